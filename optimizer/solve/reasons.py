"""Why a visit is left unplanned, in words a planner can act on.

Each explanation walks the same questions a planner would ask, in order: is the stage before
it planned; is the organisation free at all in the allowed period; which rule takes away the
free days (council days, recess, busy blocks); can any person make one of the free moments.
"""

from __future__ import annotations

from datetime import date

from optimizer.domain import Problem, Stage, Visit
from optimizer.solve.slots import Calendar, StartRange


def _org(problem: Problem, visit: Visit) -> str:
    org = problem.organisations.get(visit.org)
    return f"{org.name} ({visit.org})" if org and org.name != visit.org else visit.org


def _fmt(day: date) -> str:
    return day.isoformat()


def explain(
    problem: Problem,
    visit: Visit,
    cal: Calendar,
    ranges: dict[int, list[StartRange]],
    *,
    n_candidates: int,
    prerequisite_planned: bool = True,
    window: tuple[int, int] | None = None,
) -> str:
    """A sentence saying why ``visit`` could not be placed.

    ``ranges`` are the visit's allowed starts per day (organisation and stage rules only),
    ``window`` the day-index bounds from the stage before it, ``n_candidates`` how many
    (people, day, start) choices the solver had for it.
    """
    name = _org(problem, visit)
    deadline = problem.rules.deadline
    if visit.stage is Stage.SESSION and not prerequisite_planned:
        return f"the intake of {name} is not planned, so its council session cannot be"
    if visit.stage is Stage.TRAINING and not prerequisite_planned:
        return f"the council session of {name} is not planned, so the training cannot follow it"
    days = sorted(ranges)
    if window is not None:
        days = [d for d in days if window[0] <= d <= window[1]]
    period = "before the deadline " + _fmt(deadline)
    if window is not None:
        first, last = (cal.dates[min(max(w, 0), cal.n_days - 1)] for w in window)
        period = f"between {_fmt(first)} and {_fmt(min(last, deadline))}"
    if not days and visit.stage is Stage.TRAINING and window is not None:
        return _too_late_for_training(problem, visit, cal, name, window)
    if not days:
        return _no_free_moment(problem, visit, cal, name, period, window)
    if n_candidates == 0:
        who = {
            Stage.INTAKE: "no team member",
            Stage.SESSION: "no team member and trainer with the session skill together",
            Stage.TRAINING: "no trainer with the requested skill",
        }[visit.stage]
        return (
            f"{name} is free on {len(days)} day(s) {period}, but {who} can make any of them "
            "(leave, other appointments, or too far to be back home in time)"
        )
    return (
        f"{name} has {n_candidates} possible appointment(s) {period}, but every one of them "
        "clashes with visits the plan needs more (the people's days and weekly limits are full)"
    )


def _too_late_for_training(
    problem: Problem, visit: Visit, cal: Calendar, name: str, window: tuple[int, int]
) -> str:
    """A training whose session leaves it no free day: the lag after the session runs past
    the requested window, or the organisation is not free after it."""
    lag = problem.rules.training_lag_min_days
    session = cal.dates[min(max(window[0] - lag, 0), cal.n_days - 1)]
    first = cal.dates[min(max(window[0], 0), cal.n_days - 1)]
    said = f"the council session of {name} is on {_fmt(session)}, and the training must be "
    said += f"at least {lag} days after it, from {_fmt(first)}"
    if visit.latest is not None and visit.latest < first:
        return f"{said}: after its requested window closes on {_fmt(visit.latest)}"
    return f"{said}; {name} has no availability from then in office hours on a working day"


def _no_free_moment(
    problem: Problem,
    visit: Visit,
    cal: Calendar,
    name: str,
    period: str,
    window: tuple[int, int] | None,
) -> str:
    if visit.stage is not Stage.SESSION:
        return f"no availability of {name} {period} in office hours on a working day" + (
            " that a trainer can also make" if visit.stage is Stage.TRAINING else ""
        )
    lo, hi = window if window is not None else (0, cal.n_days - 1)
    hi = min(hi, (problem.rules.deadline - problem.horizon_start).days, cal.n_days - 1)
    org_cal = problem.calendar(visit.org)
    region = problem.organisations[visit.org].holiday_region
    recess = problem.recess.get(region, ())
    council = in_recess = 0
    for d in range(max(lo, 0), hi + 1):
        if not cal.working[d]:
            continue
        the_date = cal.dates[d]
        if the_date in org_cal.council_days:
            council += 1
        elif any(a <= the_date <= b for a, b in recess):
            in_recess += 1
    if in_recess and not council:
        return (
            f"the only free afternoons and evenings of {name} {period} fall in the council recess"
        )
    return (
        f"{name} has no free afternoon or evening {period}: {council} working day(s) are council "
        f"days, {in_recess} fall in the council recess, and the rest are busy in its calendar"
    )
