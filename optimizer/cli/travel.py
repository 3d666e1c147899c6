"""Commands ``optimizer travel`` (build and summarise the travel matrix) and
``optimizer roads download`` (fetch the road network of the roads model)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from optimizer.cli.app import app, console
from optimizer.domain import FerryLink, Point, TravelMatrix
from optimizer.errors import DataError, TravelError
from optimizer.scenario import Scenario, load_scenario
from optimizer.travel.matrix import build_travel_matrix, travel_locations
from optimizer.travel.settings import TravelSettings, default_graph_path, default_roads_dir

roads_app = typer.Typer(help="The road network of the roads travel model.", no_args_is_help=True)
app.add_typer(roads_app, name="roads")


class Model(StrEnum):
    CROWFLY = "crowfly"
    ROADS = "roads"


@app.command("travel")
def travel_command(
    model: Model | None = typer.Option(
        None, "--model", help="Travel model [default: the scenario's, else crowfly]."
    ),
    scenario: Path | None = typer.Option(None, "--scenario", help="Scenario TOML file."),
    graph: Path | None = typer.Option(
        None, "--graph", help="Road graph (.graphml, .gpkg, .osm) for --model roads."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Matrix file (.csv or .parquet); default travel_<model>.csv."
    ),
) -> None:
    """Build the travel matrix between all organisations and home bases, and summarise it."""
    sc = load_scenario(scenario) if scenario else Scenario()
    chosen = model.value if model is not None else sc.travel.model
    settings = TravelSettings.from_scenario(sc)
    if graph is not None:
        settings = settings.with_graph(graph)
    elif chosen == "roads" and settings.graph is None:
        settings = settings.with_graph(default_graph_path())
    if chosen == "roads":
        from optimizer.travel.roads import check_graph_file

        check_graph_file(settings.graph)
    out = out or sc.folder / f"travel_{chosen}.csv"
    _check_out(out)
    locations, ferries = scenario_locations(sc)
    cache_dir = sc.path(sc.travel.cache_dir) or sc.folder / ".cache" / "travel"
    run_travel(locations, ferries, model=chosen, settings=settings, cache_dir=cache_dir, out=out)


def scenario_locations(sc: Scenario) -> tuple[dict[str, Point], dict[str, FerryLink]]:
    """The organisations' visit locations and the people's home bases of a scenario."""
    from optimizer.data.organisations import load_organisations

    organisations = load_organisations(sc)
    bases: dict[str, Point | str] = {}
    for person in sc.team + sc.trainers:
        if person.base_lon is not None and person.base_lat is not None:
            bases[person.id] = Point(person.base_lon, person.base_lat)
        else:
            bases[person.id] = person.base
    return travel_locations(organisations, bases)


def run_travel(
    locations: Mapping[str, Point],
    ferries: Mapping[str, FerryLink],
    *,
    model: str,
    settings: TravelSettings,
    cache_dir: Path | None,
    out: Path,
) -> TravelMatrix:
    """Build the matrix (cached), print its summary and write it to ``out``."""
    _check_out(out)
    started = time.perf_counter()
    matrix = build_travel_matrix(
        locations, ferries=ferries, model=model, settings=settings, cache_dir=cache_dir
    )
    seconds = time.perf_counter() - started
    console.print(
        f"[bold]{model}[/] travel matrix: {len(matrix.ids)} locations, {seconds:.2f} s"
        + (f" (cache {cache_dir})" if cache_dir else "")
    )
    print_summary(matrix, locations, ferries)
    write_matrix(matrix, out)
    console.print(f"wrote {out}")
    return matrix


def print_summary(
    matrix: TravelMatrix, locations: Mapping[str, Point], ferries: Mapping[str, FerryLink]
) -> None:
    """The 5 longest and 5 shortest trips (each pair once if the matrix is symmetric; places
    sharing one point left out of the shortest), and the trip to every island location from
    the nearest home base (or the nearest mainland location when there are no bases)."""
    n = len(matrix.ids)
    symmetric = np.array_equal(matrix.minutes, matrix.minutes.T)
    pairs = np.argwhere(
        np.triu(np.ones((n, n), dtype=bool), 1) if symmetric else ~np.eye(n, dtype=bool)
    )
    minutes = matrix.minutes[pairs[:, 0], pairs[:, 1]]
    order = np.argsort(minutes, kind="stable")
    console.print(_trips_table("5 longest trips", matrix, pairs[order[::-1][:5]]))
    apart = matrix.metres[pairs[order, 0], pairs[order, 1]] > 0
    console.print(_trips_table("5 shortest trips", matrix, pairs[order[apart][:5]]))
    if not apart.all():
        console.print(f"{int((~apart).sum())} pairs of locations share one point")
    islands = [i for i in matrix.ids if i in ferries and not i.startswith("base:")]
    if islands:
        console.print(_island_table(matrix, locations, ferries, islands))


def _trips_table(title: str, matrix: TravelMatrix, pairs: np.ndarray) -> Table:
    table = Table(title=title)
    for column in ("from", "to", "minutes", "km"):
        table.add_column(column, justify="right" if column in ("minutes", "km") else "left")
    for i, j in pairs:
        table.add_row(
            matrix.ids[i],
            matrix.ids[j],
            str(matrix.minutes[i, j]),
            f"{matrix.metres[i, j] / 1000:.1f}",
        )
    return table


def _island_table(
    matrix: TravelMatrix,
    locations: Mapping[str, Point],
    ferries: Mapping[str, FerryLink],
    islands: list[str],
) -> Table:
    from optimizer.travel.crowfly import point_distance_m

    bases = [i for i in matrix.ids if i.startswith("base:")]
    origins = bases or [i for i in matrix.ids if i not in ferries]
    rows = np.array([matrix.index[o] for o in origins])
    table = Table(title="island trips (from the nearest " + ("base)" if bases else "location)"))
    for column in ("island", "from", "there min", "back min", "km", "crow-fly km"):
        table.add_column(column, justify="left" if column in ("island", "from") else "right")
    for island in islands:
        j = matrix.index[island]
        i = rows[np.argmin(matrix.minutes[rows, j])]
        origin = matrix.ids[i]
        table.add_row(
            f"{island} {ferries[island].island}",
            origin,
            str(matrix.minutes[i, j]),
            str(matrix.minutes[j, i]),
            f"{matrix.metres[i, j] / 1000:.1f}",
            f"{point_distance_m(locations[origin], locations[island]) / 1000:.1f}",
        )
    return table


def write_matrix(matrix: TravelMatrix, out: Path) -> None:
    """Write the matrix in long form (origin, destination, minutes, metres) as CSV or
    Parquet, by the file's suffix."""
    import pandas as pd

    _check_out(out)
    n = len(matrix.ids)
    ids = np.array(matrix.ids, dtype=object)
    frame = pd.DataFrame(
        {
            "origin": np.repeat(ids, n),
            "destination": np.tile(ids, n),
            "minutes": matrix.minutes.ravel(),
            "metres": matrix.metres.ravel(),
        }
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        frame.to_csv(out, index=False)
    else:
        frame.to_parquet(out, index=False)


def _check_out(out: Path) -> None:
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise TravelError(f"{out}: write the matrix as .csv or .parquet, not {out.suffix or '?'}")


@roads_app.command("download")
def download_command(
    dest: Path | None = typer.Option(
        None, "--dest", help="Folder to save GraphML in [default: data/roads]."
    ),
    scenario: Path | None = typer.Option(None, "--scenario", help="Scenario TOML file."),
    boundaries: Path | None = typer.Option(
        None, "--boundaries", help="Provinces or municipalities file giving the outline."
    ),
) -> None:
    """Download the Dutch drive network from OpenStreetMap with osmnx (needs internet)."""
    from optimizer.data.organisations import load_ferries
    from optimizer.data.paths import boundaries_dir
    from optimizer.travel.roads import (
        check_overpass_reachable,
        download_drive_graph,
        outline_from_boundaries,
    )

    check_overpass_reachable()
    sc = load_scenario(scenario) if scenario else Scenario()
    if boundaries is None:
        boundaries = boundaries_dir(sc) / f"provincies_{sc.data.year}.geojson"
    if not boundaries.is_file():
        raise DataError(
            f"{boundaries}: no boundaries file for the country's outline; pass "
            "--boundaries FILE or run `optimizer data download`"
        )
    outline = outline_from_boundaries(boundaries)
    ferries = load_ferries(sc.path(sc.data.ferries_csv)).values()
    console.print("downloading the drive network (motorway to tertiary); this takes long ...")
    path = download_drive_graph(outline, ferries, dest or default_roads_dir())
    console.print(f"wrote {path}")
