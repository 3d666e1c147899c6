"""A Gantt chart of the plan: one row per person, one mark per appointment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from optimizer.domain import Plan, Problem, Role, Stage
from optimizer.plan.progress import STAGE_COLOURS


def plot_timeline(
    problem: Problem,
    plan: Plan,
    *,
    people: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Appointments per person over time: a bar of one day per appointment, coloured by
    stage; the deadline as a red line. ``people`` (ids, default: team members then
    trainers) are the rows; ``start``/``end`` (inclusive local dates) clip the time axis."""
    if people is None:
        ordered = sorted(problem.people.values(), key=lambda p: (p.role is not Role.TEAM, p.id))
        people = [p.id for p in ordered]
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 0.35 * len(people) + 1.2))
    row = {pid: k for k, pid in enumerate(people)}
    bars: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for a in plan.appointments:
        day = problem.axis.date_of(a.start)
        if (start and day < start) or (end and day > end):
            continue
        for person in a.people:
            if person in row:
                bars.setdefault((person, a.stage.value), []).append((mdates.date2num(day), 1.0))
    for (person, stage), spans in bars.items():
        ax.broken_barh(spans, (row[person] - 0.35, 0.7), facecolors=STAGE_COLOURS[stage])
    deadline = problem.rules.deadline + timedelta(days=1)
    ax.axvline(mdates.date2num(deadline), color="#d7301f", linewidth=1.5, label="deadline")
    ax.set_yticks(range(len(people)))
    names = {pid: problem.people[pid].name if pid in problem.people else pid for pid in people}
    ax.set_yticklabels([f"{pid} {names[pid]}" for pid in people], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(
        mdates.date2num(start or problem.horizon_start),
        mdates.date2num((end or max(problem.horizon_end, deadline)) + timedelta(days=1)),
    )
    ax.xaxis.set_major_locator(mdates.AutoDateLocator())
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.grid(axis="x", color="#eeeeee")
    handles = [Patch(facecolor=STAGE_COLOURS[s.value], label=s.value) for s in Stage]
    ax.legend(handles=handles, loc="upper right", fontsize=8, ncols=3, frameon=False)
    ax.set_title("Appointments per person")
    return ax
