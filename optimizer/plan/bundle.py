"""A plan folder with everything needed to look at it: its problem, scenario and boundaries.

:func:`load_bundle` reads a plan folder (:mod:`optimizer.plan.io`), rebuilds the
:class:`~optimizer.domain.Problem` from the scenario its ``summary.json`` records (or the one
given), and loads the scenario's municipality and province polygons. The exporters (GeoPackage,
HTML report), the CLI and the notebooks all start from a :class:`PlanBundle`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from optimizer.domain import Plan, Problem
from optimizer.errors import DataError
from optimizer.scenario import Scenario, load_scenario


@dataclass(frozen=True)
class PlanBundle:
    """A plan and its context. Polygons are EPSG:4326 with ``statcode, statnaam, geometry``."""

    folder: Path
    scenario_path: Path
    scenario: Scenario
    problem: Problem
    plan: Plan
    municipalities: gpd.GeoDataFrame
    provinces: gpd.GeoDataFrame

    @property
    def boundaries(self) -> gpd.GeoDataFrame:
        """Municipalities and provinces in one frame (provinces last)."""
        import pandas as pd

        both = pd.concat([self.municipalities, self.provinces], ignore_index=True)
        return gpd.GeoDataFrame(both, geometry="geometry", crs=self.municipalities.crs)

    def leg_lines(self) -> dict:
        """Road geometry of the plan's legs when the scenario uses the roads model (see
        :func:`optimizer.export.geo.road_leg_lines`); empty (straight lines) otherwise."""
        if self.scenario.travel.model != "roads":
            return {}
        from optimizer.export.geo import road_leg_lines
        from optimizer.travel.matrix import _graph_identity, _road_graph
        from optimizer.travel.settings import TravelSettings

        settings = TravelSettings.from_scenario(self.scenario)
        cache = (
            self.scenario.path(self.scenario.travel.cache_dir)
            or self.scenario.folder / ".cache" / "travel"
        )
        graph = _road_graph(settings, _graph_identity(settings.graph), cache)
        return road_leg_lines(self.problem, self.plan, graph, settings)


def scenario_of_plan(folder: Path) -> Path:
    """The scenario file a plan folder was made from (as its ``summary.json`` records)."""
    from optimizer.plan.io import read_summary

    recorded = read_summary(folder).get("scenario")
    if not recorded:
        raise DataError(
            f"{Path(folder) / 'summary.json'}: records no scenario; give the scenario file"
        )
    path = Path(recorded)
    if not path.is_file():
        raise DataError(
            f"{Path(folder) / 'summary.json'}: its scenario {path} does not exist any more; "
            "give the scenario file"
        )
    return path


def load_bundle(folder: Path, *, scenario: Path | None = None) -> PlanBundle:
    """The plan in ``folder`` with its problem (from ``scenario`` or the recorded one) and the
    scenario's boundary polygons."""
    from optimizer.data.organisations import load_boundary_frames
    from optimizer.data.problem import build_problem
    from optimizer.plan.io import read_plan, read_summary

    folder = Path(folder)
    plan = read_plan(folder)
    path = Path(scenario) if scenario else scenario_of_plan(folder)
    loaded = load_scenario(path)
    problem = build_problem(loaded)
    origin = read_summary(folder).get("axis_origin")
    if origin and origin != problem.axis.origin.isoformat():
        raise DataError(
            f"{folder}: the plan's time axis starts on {origin}, the scenario {path} on "
            f"{problem.axis.origin}; give the scenario the plan was made from"
        )
    municipalities, provinces = load_boundary_frames(loaded)
    return PlanBundle(folder, path, loaded, problem, plan, municipalities, provinces)
