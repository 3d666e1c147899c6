"""One person's day routes in one ISO week, on a map."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import geopandas as gpd
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from optimizer.domain import Plan, Problem, base_id
from optimizer.export.geo import LegLines, appointments_layer, location_of, routes_layer
from optimizer.plan.progress import STAGE_COLOURS

RD_NEW = "EPSG:28992"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")
MARGIN_M = 8_000
"""Space around the week's routes on the map (metres)."""


def plot_person_week_routes(
    problem: Problem,
    plan: Plan,
    person: str,
    week_of: date,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    leg_lines: LegLines | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The day routes of ``person`` in the ISO week (Monday to Sunday) holding ``week_of``:
    a line per day from the home base through the visits and back (straight, or
    ``leg_lines``), the visits coloured by stage and named, the home base as a star, the
    ``boundaries`` (any CRS) in grey behind. Drawn in EPSG:28992."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 8))
    monday = week_of - timedelta(days=week_of.weekday())
    days = {monday + timedelta(days=k) for k in range(7)}
    routes = tuple(r for r in plan.routes if r.person == person and r.day in days)
    visits = {v for r in routes for v in r.visits}
    week = replace(
        plan,
        routes=routes,
        appointments=tuple(a for a in plan.appointments if a.visit_id in visits),
    )
    lines = routes_layer(problem, week, leg_lines or {})
    points = appointments_layer(problem, week)
    home = gpd.GeoSeries([location_of(problem, base_id(person))], crs="EPSG:4326").to_crs(RD_NEW)
    extent = gpd.GeoSeries([*lines.geometry, *home], crs=RD_NEW).total_bounds
    if boundaries is not None:
        boundaries.to_crs(RD_NEW).plot(ax=ax, color="#f2f2f2", edgecolor="#cccccc", linewidth=0.4)
    handles = []
    for _, row in lines.iterrows():
        day = date.fromisoformat(row["date"])
        colour = DAY_COLOURS[day.weekday()]
        gpd.GeoSeries([row.geometry], crs=RD_NEW).plot(ax=ax, color=colour, linewidth=2)
        label = (
            f"{WEEKDAYS[day.weekday()]} {day:%d %b}: {row['visits']} visit(s), "
            f"{row['travel_min']} min, {row['travel_km']:.0f} km"
        )
        handles.append(Line2D([], [], color=colour, linewidth=2, label=label))
    for stage, group in points.groupby("stage"):
        group.plot(ax=ax, color=STAGE_COLOURS[stage], markersize=40, zorder=3, edgecolor="black")
    for _, row in points.iterrows():
        ax.annotate(
            row["org_name"],
            (row.geometry.x, row.geometry.y),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=8,
        )
    home.plot(ax=ax, marker="*", color="black", markersize=200, zorder=4)
    name = problem.people[person].name if person in problem.people else person
    year, number, _ = monday.isocalendar()
    ax.set_title(f"{person} {name}: week {year}-W{number:02d} (from {monday})")
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=True)
        ax.set_xlim(extent[0] - MARGIN_M, extent[2] + MARGIN_M)
        ax.set_ylim(extent[1] - MARGIN_M, extent[3] + MARGIN_M)
    else:
        ax.text(0.5, 0.5, "no routes this week", transform=ax.transAxes, ha="center")
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def busiest_week(plan: Plan, person: str) -> date | None:
    """The Monday of the ISO week in which ``person`` has the most day routes (the earliest
    such week); None if the person has no route."""
    weeks: dict[date, int] = {}
    for route in plan.routes:
        if route.person == person:
            monday = route.day - timedelta(days=route.day.weekday())
            weeks[monday] = weeks.get(monday, 0) + len(route.visits)
    if not weeks:
        return None
    return min(weeks, key=lambda m: (-weeks[m], m))
