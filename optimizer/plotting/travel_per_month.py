"""Travel per month, of one plan or several side by side."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from optimizer.plan.kpi import Kpis


def plot_travel_per_month(
    kpis: Kpis | Mapping[str, Kpis], *, unit: str = "min", ax: Axes | None = None
) -> Axes:
    """Bars of travel per month (``unit`` ``"min"``: minutes, ``"km"``: kilometres) from
    :func:`~optimizer.plan.kpi.compute_kpis`; a mapping ``label -> Kpis`` draws the plans'
    bars side by side, every month of any of them on the axis."""
    if unit not in ("min", "km"):
        raise ValueError(f"unit must be 'min' or 'km', not {unit!r}")
    plans = {"plan": kpis} if isinstance(kpis, Kpis) else dict(kpis)
    series = {
        label: k.travel_min_per_month if unit == "min" else k.travel_km_per_month
        for label, k in plans.items()
    }
    months = _month_range({m for values in series.values() for m in values})
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 0.3 * len(months) + 2), 3.5))
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(months))
    for k, (label, values) in enumerate(series.items()):
        heights = [values.get(m, 0) for m in months]
        ax.bar(x + (k - (len(series) - 1) / 2) * width, heights, width, label=label)
    step = max(1, len(months) // 12)
    ax.set_xticks(x[::step])
    ax.set_xticklabels(months[::step], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("travel minutes" if unit == "min" else "travel km")
    ax.set_title("Travel per month")
    if len(series) > 1:
        ax.legend(fontsize=8, frameon=False)
    return ax


def _month_range(months: set[str]) -> list[str]:
    """Every ``YYYY-MM`` from the first to the last of ``months`` (gaps filled)."""
    if not months:
        return []
    periods = pd.period_range(min(months), max(months), freq="M")
    return [p.strftime("%Y-%m") for p in periods]
