"""Two or more plans side by side: the headline measures, the workload per person, and what
moved between two of them. Pure functions returning pandas tables (for notebooks).

Units: travel in minutes and kilometres, working time in minutes (leaving home to coming
back), dates local (Europe/Amsterdam), shifts in days.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from optimizer.domain import Organisation
from optimizer.plan.diff import PlanDiff
from optimizer.plan.kpi import Kpis
from optimizer.timeaxis import TimeAxis


def kpi_summary(kpis: Mapping[str, Kpis]) -> pd.DataFrame:
    """One row per plan label: travel minutes and km, visits planned, required visits left
    unplanned, the last planned date of any stage, its margin to the deadline (days), and
    whether the deadline holds (every required visit planned, none after the deadline)."""
    rows = []
    for label, k in kpis.items():
        last = max((s.last_date for s in k.stages.values() if s.last_date), default=None)
        open_required = sum(s.required_unplanned for s in k.stages.values())
        rows.append(
            {
                "plan": label,
                "travel_min": k.travel_min,
                "travel_km": k.travel_km,
                "planned": sum(s.planned for s in k.stages.values()),
                "required_unplanned": open_required,
                "last_date": last,
                "margin_days": (k.deadline - last).days if last else None,
                "deadline_holds": open_required == 0 and (last is None or last <= k.deadline),
            }
        )
    return pd.DataFrame(rows).set_index("plan")


def workload_table(a: Kpis, b: Kpis, *, labels: tuple[str, str] = ("A", "B")) -> pd.DataFrame:
    """Per person the visits, working days, working minutes, evenings and travel of plans
    ``a`` and ``b`` and the change (b - a); columns ``<measure> <label>`` and
    ``<measure> change``."""
    measures = {
        "visits": "visits_per_person",
        "working days": "working_days_per_person",
        "working min": "working_min_per_person",
        "evenings": "evenings_per_person",
        "travel min": "travel_min_per_person",
        "travel km": "travel_km_per_person",
    }
    people = list(dict.fromkeys([*a.visits_per_person, *b.visits_per_person]))
    table = pd.DataFrame(index=pd.Index(people, name="person"))
    for name, field in measures.items():
        left, right = getattr(a, field), getattr(b, field)
        table[f"{name} {labels[0]}"] = [left.get(p, 0) for p in people]
        table[f"{name} {labels[1]}"] = [right.get(p, 0) for p in people]
        table[f"{name} change"] = table[f"{name} {labels[1]}"] - table[f"{name} {labels[0]}"]
    return table


def changes_table(
    diff: PlanDiff, axis: TimeAxis, organisations: Mapping[str, Organisation]
) -> pd.DataFrame:
    """One row per change of :func:`~optimizer.plan.diff.diff_plans`: ``kind, visit_id, org,
    name, stage, old_date, new_date, shift_days`` (new - old), ``old_people, new_people``,
    ``organisation_told``."""
    rows = []
    for change in diff.changes:
        old, new = change.old, change.new
        current = change.current
        org = organisations.get(current.org)
        old_day = axis.date_of(old.start) if old else None
        new_day = axis.date_of(new.start) if new else None
        rows.append(
            {
                "kind": change.kind,
                "visit_id": change.visit_id,
                "org": current.org,
                "name": org.name if org else current.org,
                "stage": str(current.stage),
                "old_date": old_day,
                "new_date": new_day,
                "shift_days": (new_day - old_day).days if old_day and new_day else None,
                "old_people": ";".join(old.people) if old else "",
                "new_people": ";".join(new.people) if new else "",
                "organisation_told": change.organisation_told,
            }
        )
    columns = [
        "kind",
        "visit_id",
        "org",
        "name",
        "stage",
        "old_date",
        "new_date",
        "shift_days",
        "old_people",
        "new_people",
        "organisation_told",
    ]
    return pd.DataFrame(rows, columns=columns)
