"""The matplotlib helpers draw what the plan holds: map colours, a week's routes, a bar per
appointment, travel per month, workload per person."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import geopandas as gpd
import matplotlib
import pandas as pd

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from factories import plan_of, tiny_problem, valid_appointments  # noqa: E402

from optimizer.domain import Unplanned  # noqa: E402
from optimizer.plan.kpi import compute_kpis  # noqa: E402
from optimizer.plan.progress import PROGRESS_COLOURS, organisation_progress  # noqa: E402
from optimizer.plotting import (  # noqa: E402
    busiest_week,
    plot_person_week_routes,
    plot_status_map,
    plot_timeline,
    plot_travel_per_month,
    plot_workload,
)


@pytest.fixture(scope="module")
def boundaries(shared_data: Path):
    from optimizer.data.organisations import load_boundary_frames

    municipalities, provinces = load_boundary_frames()
    keep = {"GM0014", "GM0307", "GM0310", "GM0344", "GM0355"}
    parts = [
        municipalities[municipalities["statcode"].isin(keep)],
        provinces[provinces["statcode"].isin({"PV20", "PV26"})],
    ]
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=municipalities.crs)


@pytest.fixture(scope="module")
def problem():
    return tiny_problem()


@pytest.fixture(scope="module")
def plan(problem):
    appointments = [a for a in valid_appointments(problem) if a.visit_id != "GM0014:intake"]
    return plan_of(problem, appointments, unplanned=[Unplanned("GM0014:intake", "test")])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _hex(rgba) -> str:
    return mcolors.to_hex(rgba)


def test_status_map_fills_each_municipality_with_its_progress_colour(
    problem, plan, boundaries
) -> None:
    ax = plot_status_map(problem, plan, boundaries, as_of=date(2023, 3, 8))
    faces = [_hex(c) for c in ax.collections[0].get_facecolors()]
    progress = organisation_progress(problem, plan, as_of=date(2023, 3, 8)).set_index("code")
    codes = sorted(c for c in boundaries["statcode"] if c.startswith("GM"))
    assert faces == [PROGRESS_COLOURS[progress.loc[c, "progress"]] for c in codes]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "a visit without a date (1)" in labels and "all visits held (1)" in labels


def test_week_routes_draw_one_line_per_day_from_home(problem, plan, boundaries) -> None:
    week = busiest_week(plan, "T1")
    assert week == date(2023, 3, 6)  # three intakes on Tuesday, one on Wednesday
    ax = plot_person_week_routes(problem, plan, "T1", date(2023, 3, 9), boundaries=boundaries)
    days = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [d[:10] for d in days] == ["Tue 07 Mar", "Wed 08 Mar"]
    assert "3 visit(s)" in days[0]
    names = {t.get_text() for t in ax.texts}
    assert names == {"De Bilt", "Utrecht", "Zeist", "Amersfoort"}
    assert "2023-W10" in ax.get_title()


def test_week_without_routes_says_so(problem, plan) -> None:
    ax = plot_person_week_routes(problem, plan, "T2", date(2023, 1, 2))
    assert [t.get_text() for t in ax.texts] == ["no routes this week"]


def test_timeline_has_a_bar_per_appointment_and_person(problem, plan) -> None:
    ax = plot_timeline(problem, plan)
    bars = sum(len(c.get_paths()) for c in ax.collections)
    assert bars == sum(len(a.people) for a in plan.appointments)
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["T1 Anna", "T2 Bram"]


def test_travel_per_month_bars_fill_the_months_between(problem, plan) -> None:
    kpis = compute_kpis(problem, plan)
    ax = plot_travel_per_month(kpis)
    heights = [p.get_height() for p in ax.patches]
    assert heights == [
        kpis.travel_min_per_month.get(m, 0) for m in ("2023-03", "2023-04", "2023-05")
    ]
    later = replace(plan, routes=plan.routes[:2])
    two = plot_travel_per_month({"all": kpis, "part": compute_kpis(problem, later)}, unit="km")
    assert len(two.containers) == 2 and two.get_ylabel() == "travel km"
    with pytest.raises(ValueError, match="unit"):
        plot_travel_per_month(kpis, unit="hours")


def test_workload_bars_per_person(problem, plan) -> None:
    kpis = compute_kpis(problem, plan)
    ax = plot_workload(kpis, measure="visits")
    assert [p.get_height() for p in ax.patches] == list(kpis.visits_per_person.values())
    with pytest.raises(ValueError, match="measure"):
        plot_workload(kpis, measure="happiness")
