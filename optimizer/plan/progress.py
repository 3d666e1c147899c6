"""Where each organisation stands: its stages' statuses, its next appointment, its progress.

Pure functions over a :class:`~optimizer.domain.Problem` and a :class:`~optimizer.domain.Plan`;
the GeoPackage, the HTML report and the status map all read :func:`organisation_progress`.

An appointment counts as *held* when its status is ``done`` or, given a date ``as_of``, when
it took place before that date (local Europe/Amsterdam dates) and was not cancelled or
declined. Without ``as_of`` only ``done`` counts: a fresh plan knows nothing of the past.

Progress of an organisation (:data:`PROGRESS`, in this order):

- ``unplanned``: one of its visits has no date (it is in the plan's unplanned list, or its
  appointment was cancelled) and has not been held;
- ``intake`` / ``session`` / ``training``: the first stage (in that order) not yet held;
- ``complete``: every visit held (a declined stage counts as settled).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from optimizer.domain import Appointment, Plan, Problem, Stage, Status, Visit
from optimizer.timeaxis import fmt_hhmm, minute_of_day

PROGRESS = ("unplanned", "intake", "session", "training", "complete")
"""The progress categories, in the order a legend lists them."""

PROGRESS_LABELS = {
    "unplanned": "a visit without a date",
    "intake": "intake to come",
    "session": "session to come",
    "training": "training to come",
    "complete": "all visits held",
}
"""Legend text of each progress category."""

PROGRESS_COLOURS = {
    "unplanned": "#d7301f",
    "intake": "#fdd49e",
    "session": "#9ecae1",
    "training": "#bcbddc",
    "complete": "#74c476",
}
"""Fill colour of each progress category (the map, the report, the GeoPackage's style)."""

STAGE_COLOURS = {
    Stage.INTAKE.value: "#e6550d",
    Stage.SESSION.value: "#3182bd",
    Stage.TRAINING.value: "#756bb1",
}
"""Colour of each stage's appointments (timelines, route maps)."""

NOT_A_VISIT = "-"
"""Stage status of a stage the organisation does not have (no session accepted, ...)."""
UNPLANNED = "unplanned"

_GONE = (Status.CANCELLED, Status.DECLINED)


def is_held(appointment: Appointment, problem: Problem, as_of: date | None) -> bool:
    """Whether ``appointment`` counts as held (see the module docstring)."""
    if appointment.status is Status.DONE:
        return True
    if as_of is None or appointment.status in _GONE:
        return False
    return problem.axis.date_of(appointment.start) < as_of


def organisation_progress(
    problem: Problem, plan: Plan, *, as_of: date | None = None
) -> pd.DataFrame:
    """One row per organisation of ``problem`` (in its order).

    Columns: ``code, name, kind, province_code, province_name``; per stage ``<stage>_status``
    (:data:`NOT_A_VISIT`, ``unplanned`` or the appointment's status), ``<stage>_date``
    (local date or None), ``<stage>_people`` (``"T1;R3"``); ``progress`` (:data:`PROGRESS`);
    ``next_stage``, ``next_date``, ``next_time`` (``"HH:MM"``), ``next_people``: the first
    appointment not yet held (None if none); ``unplanned_reason`` (reasons joined by
    ``"; "``, empty if none).
    """
    appointments = {a.visit_id: a for a in plan.appointments}
    reasons = {u.visit_id: u.reason for u in plan.unplanned}
    visits_of = _visits_by_org(problem)
    rows = []
    for code, org in problem.organisations.items():
        row: dict[str, object] = {
            "code": code,
            "name": org.name,
            "kind": org.kind.value,
            "province_code": org.province_code,
            "province_name": org.province_name,
        }
        visits = visits_of.get(code, [])
        for stage in Stage:
            row[f"{stage.value}_status"] = NOT_A_VISIT
            row[f"{stage.value}_date"] = None
            row[f"{stage.value}_people"] = ""
        why = []
        for visit in visits:
            a = appointments.get(visit.id)
            key = visit.stage.value
            if a is None:
                row[f"{key}_status"] = UNPLANNED
            else:
                row[f"{key}_status"] = a.status.value
                row[f"{key}_date"] = problem.axis.date_of(a.start)
                row[f"{key}_people"] = ";".join(a.people)
            if a is None or a.status is Status.CANCELLED:
                why.append(reasons.get(visit.id, "no appointment"))
        progress, upcoming = _progress(problem, visits, appointments, as_of)
        row["progress"] = progress
        row.update(_next(problem, upcoming))
        row["unplanned_reason"] = "; ".join(why)
        rows.append(row)
    return pd.DataFrame(rows)


def progress_steps(problem: Problem, plan: Plan) -> dict[str, list[tuple[date | None, str]]]:
    """Per organisation code, how its progress changes with ``as_of``: ``(from, progress)``
    steps in date order, the first with ``from`` None (before any appointment is held); the
    progress on a date is that of the last step whose ``from`` is on or before it."""
    appointments = {a.visit_id: a for a in plan.appointments}
    steps: dict[str, list[tuple[date | None, str]]] = {}
    for code, visits in _visits_by_org(problem).items():
        days = sorted(
            {
                problem.axis.date_of(a.start) + timedelta(days=1)
                for v in visits
                if (a := appointments.get(v.id)) is not None
            }
        )
        own = [(None, _progress(problem, visits, appointments, None)[0])]
        for day in days:
            progress = _progress(problem, visits, appointments, day)[0]
            if progress != own[-1][1]:
                own.append((day, progress))
        steps[code] = own
    for code in problem.organisations:
        steps.setdefault(code, [(None, "complete")])
    return steps


def _visits_by_org(problem: Problem) -> dict[str, list[Visit]]:
    """Each organisation's visits in stage order."""
    order = {stage: k for k, stage in enumerate(Stage)}
    result: dict[str, list[Visit]] = {}
    for visit in sorted(problem.visits.values(), key=lambda v: (v.org, order[v.stage])):
        result.setdefault(visit.org, []).append(visit)
    return result


def _progress(
    problem: Problem,
    visits: list[Visit],
    appointments: dict[str, Appointment],
    as_of: date | None,
) -> tuple[str, list[Appointment]]:
    """The progress of one organisation's ``visits`` (stage order) and its appointments not
    yet held."""
    progress, upcoming = "complete", []
    for visit in visits:
        a = appointments.get(visit.id)
        if a is not None and a.status is Status.DECLINED:
            continue
        if a is None or a.status is Status.CANCELLED:
            progress = "unplanned"
        elif not is_held(a, problem, as_of):
            upcoming.append(a)
            if progress == "complete":
                progress = visit.stage.value
    return progress, upcoming


def _next(problem: Problem, upcoming: list[Appointment]) -> dict[str, object]:
    if not upcoming:
        return {"next_stage": None, "next_date": None, "next_time": None, "next_people": None}
    a = min(upcoming, key=lambda x: x.start)
    return {
        "next_stage": a.stage.value,
        "next_date": problem.axis.date_of(a.start),
        "next_time": fmt_hhmm(minute_of_day(a.start)),
        "next_people": ";".join(a.people),
    }
