"""One measure per person, of one plan or several side by side."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from optimizer.plan.kpi import Kpis

MEASURES = {
    "working_min": ("working_min_per_person", "working minutes"),
    "travel_min": ("travel_min_per_person", "travel minutes"),
    "travel_km": ("travel_km_per_person", "travel km"),
    "visits": ("visits_per_person", "visits"),
    "working_days": ("working_days_per_person", "working days"),
    "evenings": ("evenings_per_person", "evenings"),
}
"""Measure name -> (field of :class:`~optimizer.plan.kpi.Kpis`, axis label)."""


def plot_workload(
    kpis: Kpis | Mapping[str, Kpis], *, measure: str = "working_min", ax: Axes | None = None
) -> Axes:
    """Bars of ``measure`` (a key of :data:`MEASURES`) per person; a mapping
    ``label -> Kpis`` draws the plans' bars side by side."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    field, label = MEASURES[measure]
    plans = {"plan": kpis} if isinstance(kpis, Kpis) else dict(kpis)
    values = {name: getattr(k, field) for name, k in plans.items()}
    people = list(dict.fromkeys(p for v in values.values() for p in v))
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 0.5 * len(people) + 2), 3.5))
    width = 0.8 / max(len(values), 1)
    x = np.arange(len(people))
    for k, (name, per_person) in enumerate(values.items()):
        heights = [per_person.get(p, 0) for p in people]
        ax.bar(x + (k - (len(values) - 1) / 2) * width, heights, width, label=name)
    ax.set_xticks(x)
    ax.set_xticklabels(people, fontsize=8)
    ax.set_ylabel(label)
    ax.set_title(f"{label.capitalize()} per person")
    if len(values) > 1:
        ax.legend(fontsize=8, frameon=False)
    return ax
