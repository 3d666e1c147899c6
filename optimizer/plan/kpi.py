"""The measures of a plan (DESIGN.md §4): travel, visits per stage, deadline margin, evenings
and the balance of work between team members.

Units: travel in minutes and kilometres; working time in minutes from leaving home to coming
back (travel included); dates are local (Europe/Amsterdam); months are ``"YYYY-MM"`` of the
route's day. Per-person tables list every person of the problem (zero when idle).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import pandas as pd

from optimizer.domain import Plan, Problem, Role, Stage


@dataclass(frozen=True)
class StageKpis:
    """Visits of one stage: how many the plan holds, how many the problem requires, how many
    are left unplanned (and of those, required); the last planned date and its margin to the
    deadline in days (negative: after the deadline)."""

    planned: int
    required: int
    unplanned: int
    required_unplanned: int
    last_date: date | None
    margin_days: int | None


@dataclass(frozen=True)
class Kpis:
    """The measures of a plan; see the module docstring for units."""

    deadline: date
    travel_min: int
    travel_km: float
    travel_min_per_person: dict[str, int]
    travel_km_per_person: dict[str, float]
    travel_min_per_month: dict[str, int]
    travel_km_per_month: dict[str, float]
    stages: dict[str, StageKpis]
    visits_per_person: dict[str, int]
    working_days_per_person: dict[str, int]
    working_min_per_person: dict[str, int]
    evenings_per_person: dict[str, int]
    team_working_min_max: int
    team_working_min_min: int
    team_working_min_cv: float
    """Coefficient of variation (population standard deviation / mean) of the team members'
    working minutes; 0 when nobody works."""


def _km(metres: int) -> float:
    return round(metres / 1000, 3)


def compute_kpis(problem: Problem, plan: Plan) -> Kpis:
    """All KPIs of ``plan`` for ``problem``."""
    people = list(problem.people)
    travel_min: Counter[str] = Counter({p: 0 for p in people})
    travel_m: Counter[str] = Counter({p: 0 for p in people})
    month_min: Counter[str] = Counter()
    month_m: Counter[str] = Counter()
    working_min: Counter[str] = Counter({p: 0 for p in people})
    working_days: dict[str, set[date]] = {p: set() for p in people}
    for route in plan.routes:
        month = route.day.strftime("%Y-%m")
        travel_min[route.person] += route.travel_min
        travel_m[route.person] += route.travel_m
        month_min[month] += route.travel_min
        month_m[month] += route.travel_m
        if route.legs:
            working_min[route.person] += route.back_home - route.leave_home
        working_days.setdefault(route.person, set()).add(route.day)
    visits: Counter[str] = Counter({p: 0 for p in people})
    evenings: Counter[str] = Counter({p: 0 for p in people})
    for a in plan.appointments:
        for person in a.people:
            visits[person] += 1
    for route in plan.routes:
        back = route.back_home - problem.axis.at(route.day, 0) if route.legs else 0
        evenings[route.person] += back > problem.rules.work_end
    team = [working_min[p.id] for p in problem.people.values() if p.role is Role.TEAM]
    return Kpis(
        deadline=problem.rules.deadline,
        travel_min=plan.travel_min,
        travel_km=_km(plan.travel_m),
        travel_min_per_person=dict(travel_min),
        travel_km_per_person={p: _km(m) for p, m in travel_m.items()},
        travel_min_per_month=dict(sorted(month_min.items())),
        travel_km_per_month={k: _km(m) for k, m in sorted(month_m.items())},
        stages=_stages(problem, plan),
        visits_per_person=dict(visits),
        working_days_per_person={p: len(d) for p, d in working_days.items()},
        working_min_per_person=dict(working_min),
        evenings_per_person={p: int(n) for p, n in evenings.items()},
        team_working_min_max=max(team, default=0),
        team_working_min_min=min(team, default=0),
        team_working_min_cv=_cv(team),
    )


def _cv(values: list[int]) -> float:
    if not values or sum(values) == 0:
        return 0.0
    return round(statistics.pstdev(values) / statistics.fmean(values), 4)


def _stages(problem: Problem, plan: Plan) -> dict[str, StageKpis]:
    planned: dict[Stage, list[date]] = defaultdict(list)
    for a in plan.appointments:
        planned[a.stage].append(problem.axis.date_of(a.start))
    required = Counter(v.stage for v in problem.visits.values() if v.required)
    unplanned: Counter[Stage] = Counter()
    required_unplanned: Counter[Stage] = Counter()
    for u in plan.unplanned:
        visit = problem.visits.get(u.visit_id)
        if visit is not None:
            unplanned[visit.stage] += 1
            required_unplanned[visit.stage] += visit.required
    result = {}
    for stage in Stage:
        last = max(planned[stage], default=None)
        result[stage.value] = StageKpis(
            planned=len(planned[stage]),
            required=required[stage],
            unplanned=unplanned[stage],
            required_unplanned=int(required_unplanned[stage]),
            last_date=last,
            margin_days=(problem.rules.deadline - last).days if last else None,
        )
    return result


def kpis_to_dict(kpis: Kpis) -> dict[str, Any]:
    """The KPIs as JSON-able data (dates as ISO strings)."""
    return _jsonable(asdict(kpis))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value


def kpi_table(kpis: Kpis) -> pd.DataFrame:
    """The KPIs as a two-column table (``metric``, ``value``) for printing."""
    rows: list[tuple[str, object]] = [
        ("travel minutes", kpis.travel_min),
        ("travel km", kpis.travel_km),
        ("deadline", kpis.deadline.isoformat()),
    ]
    for stage, s in kpis.stages.items():
        rows += [
            (f"{stage} planned", s.planned),
            (f"{stage} required", s.required),
            (f"{stage} unplanned", s.unplanned),
            (f"{stage} required unplanned", s.required_unplanned),
            (f"{stage} last date", s.last_date.isoformat() if s.last_date else "-"),
            (f"{stage} days of margin", s.margin_days if s.margin_days is not None else "-"),
        ]
    rows += [
        ("team working minutes max", kpis.team_working_min_max),
        ("team working minutes min", kpis.team_working_min_min),
        ("team working minutes CV", kpis.team_working_min_cv),
    ]
    per_person = {
        "travel minutes": kpis.travel_min_per_person,
        "travel km": kpis.travel_km_per_person,
        "visits": kpis.visits_per_person,
        "working days": kpis.working_days_per_person,
        "working minutes": kpis.working_min_per_person,
        "evenings": kpis.evenings_per_person,
    }
    for label, table in per_person.items():
        rows += [(f"{label} {person}", value) for person, value in table.items()]
    rows += [(f"travel minutes {m}", v) for m, v in kpis.travel_min_per_month.items()]
    rows += [(f"travel km {m}", v) for m, v in kpis.travel_km_per_month.items()]
    return pd.DataFrame(rows, columns=["metric", "value"])
