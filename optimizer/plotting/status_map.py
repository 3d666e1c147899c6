"""The municipalities of the Netherlands coloured by progress."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from optimizer.domain import Plan, Problem
from optimizer.plan.progress import (
    PROGRESS,
    PROGRESS_COLOURS,
    PROGRESS_LABELS,
    organisation_progress,
)

RD_NEW = "EPSG:28992"


def plot_status_map(
    problem: Problem,
    plan: Plan,
    boundaries: gpd.GeoDataFrame,
    *,
    as_of: date | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Each municipality of ``problem`` filled with the colour of its progress on ``as_of``
    (:func:`~optimizer.plan.progress.organisation_progress`), province borders drawn on top,
    a legend with the number of organisations (municipalities and provinces) per category.

    ``boundaries``: polygons with ``statcode`` (``GM…`` and ``PV…``), any CRS.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 8))
    progress = organisation_progress(problem, plan, as_of=as_of).set_index("code")["progress"]
    shapes = boundaries.to_crs(RD_NEW)
    municipal = shapes[
        shapes["statcode"].isin(progress.index) & shapes["statcode"].str.startswith("GM")
    ]
    colours = [PROGRESS_COLOURS[progress[c]] for c in municipal["statcode"]]
    municipal.plot(ax=ax, color=colours, edgecolor="white", linewidth=0.3)
    provinces = shapes[shapes["statcode"].str.startswith("PV")]
    if not provinces.empty:
        provinces.boundary.plot(ax=ax, color="#444444", linewidth=0.7)
    counts = progress.value_counts()
    handles = [
        Patch(
            facecolor=PROGRESS_COLOURS[p],
            edgecolor="#999999",
            label=f"{PROGRESS_LABELS[p]} ({int(counts.get(p, 0))})",
        )
        for p in PROGRESS
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)
    when = as_of.isoformat() if as_of else "visits marked done"
    ax.set_title(f"Progress per organisation ({when})")
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax
