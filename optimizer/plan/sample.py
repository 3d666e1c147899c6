"""A small example plan, made quickly: for the analyst notebooks, their CI run and tests.

:func:`sample_plan` writes the seeded example scenario (:mod:`optimizer.data.example`) for the
organisations of a few provinces only, and plans it. The scenario's organisations are
restricted by giving it its own boundaries folder with just those provinces' polygons
(``boundaries/`` beside the scenario, cut from the real CBS boundaries the loaders find);
the team and trainers of the national example keep their real home bases, written as
coordinates since their home towns may lie outside the sample. The result is a normal scenario
folder and plan folder, which every command and loader reads like any other::

    <out>/scenario.toml, requests.csv, calendars/, boundaries/
    <out>/plan/                   the plan folder (optimizer.plan.io)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from optimizer.data.boundaries import geojson_names
from optimizer.data.example import generate_example, scenario_toml, write_example
from optimizer.data.organisations import build_organisations, load_boundary_frames
from optimizer.domain import Organisation
from optimizer.errors import DataError
from optimizer.scenario import PersonEntry

BOUNDARIES_DIR = "boundaries"
"""Folder (beside the sample's scenario.toml) with the sample's own boundary files."""


@dataclass(frozen=True)
class SamplePaths:
    """Where :func:`sample_plan` wrote the scenario and the plan."""

    folder: Path
    scenario: Path
    plan: Path


def sample_plan(
    out: Path,
    *,
    provinces: Sequence[str] = ("PV26",),
    seed: int = 7,
    time_limit: float = 10,
    method: str = "exact",
) -> SamplePaths:
    """Write the example scenario for the organisations of ``provinces`` (province codes;
    the provinces themselves included) into ``out`` and its plan into ``out/plan``.

    ``seed`` seeds the example (calendars, requests); ``time_limit`` (seconds) and ``method``
    go to :func:`optimizer.solve.solve.solve`. Reads the real boundaries from the usual place
    (``$OPTIMIZER_DATA_DIR`` …). Returns the paths written.
    """
    scenario = write_sample_scenario(out, provinces=provinces, seed=seed)
    target = plan_scenario(scenario, Path(out) / "plan", time_limit=time_limit, method=method)
    return SamplePaths(Path(out), scenario, target)


def plan_scenario(
    scenario: Path, out: Path, *, time_limit: float = 10, method: str = "exact"
) -> Path:
    """Build the problem of the scenario file ``scenario``, solve it (``time_limit``
    seconds, ``method``) and write the plan folder ``out``; returns ``out``."""
    from optimizer.data.problem import build_problem
    from optimizer.plan.io import write_plan
    from optimizer.solve.solve import solve

    problem = build_problem(scenario)
    plan = solve(problem, time_limit=time_limit, seed=0, method=method)
    write_plan(plan, Path(out), problem=problem, scenario_path=Path(scenario))
    return Path(out)


def plan_folder_from_env(variable: str = "OPTIMIZER_PLAN_DIR", **sample_options) -> Path:
    """The plan folder named by the environment variable ``variable``; if it is unset or
    empty, a fresh :func:`sample_plan` in a new temporary folder (``sample_options`` go to
    it). What the analyst notebooks start from."""
    value = os.environ.get(variable, "").strip()
    if value:
        folder = Path(value).expanduser()
        if not (folder / "summary.json").is_file():
            raise DataError(f"${variable} = {value}: not a plan folder (no summary.json)")
        return folder
    out = Path(tempfile.mkdtemp(prefix="optimizer-sample-"))
    return sample_plan(out, **sample_options).plan


def write_sample_scenario(
    out: Path, *, provinces: Sequence[str] = ("PV26",), seed: int = 7
) -> Path:
    """Write the sample scenario (no plan) into ``out``; returns the scenario file's path."""
    out = Path(out)
    municipalities, province_frame = load_boundary_frames()
    orgs = build_organisations(municipalities, province_frame)
    unknown = sorted(set(provinces) - set(province_frame["statcode"]))
    if unknown:
        raise DataError(f"unknown province code(s) for the sample: {', '.join(unknown)}")
    chosen = {c: o for c, o in orgs.items() if o.province_code in provinces}
    example = generate_example(chosen, seed=seed)
    example = replace(
        example,
        name=f"sample-{'-'.join(provinces)}-seed-{seed}",
        team=tuple(_with_coordinates(p, orgs) for p in example.team),
        trainers=tuple(_with_coordinates(p, orgs) for p in example.trainers),
    )
    write_example(example, out)
    folder = out / BOUNDARIES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    municipal_name, province_name = geojson_names(2023)
    for frame, name in ((municipalities, municipal_name), (province_frame, province_name)):
        part = frame[frame["statcode"].isin(list(chosen))]
        path = folder / name
        path.unlink(missing_ok=True)
        part.to_file(path, driver="GeoJSON", engine="pyogrio")
    path = out / "scenario.toml"
    path.write_text(_sample_toml(scenario_toml(example), example.team + example.trainers))
    return path


def _with_coordinates(person: PersonEntry, orgs: dict[str, Organisation]) -> PersonEntry:
    org = orgs[person.base]
    return person.model_copy(update={"base_lon": org.location.lon, "base_lat": org.location.lat})


def _sample_toml(text: str, people: Sequence[PersonEntry]) -> str:
    """The example's scenario text with its own boundaries folder and bases as coordinates."""
    text = text.replace("[data]\n", f'[data]\nboundaries_dir = "{BOUNDARIES_DIR}"\n', 1)
    for p in people:
        text = text.replace(
            f'base = "{p.base}"\n', f"base_lon = {p.base_lon!r}\nbase_lat = {p.base_lat!r}\n"
        )
    return text
