"""Session days kept free of intakes in stage 1, for sessions that have few.

Stage 1 places the intakes knowing nothing of the later stages but the cuts that leave them
room (:func:`~optimizer.solve.solve._room_for_later_stages`). A session whose training's
requested window closes early must come before that window closes, less the training lag;
when only a handful of team-member days can hold it there (the mayor's calendar, a recess,
the people's leave and reach), stage 1 may fill all of them with intake routes, and the
session and its training are lost. Measured on the tight national variant (3 team members):
Enschede's session can only be on days 40-43 (a recess follows), only team member T3 can make
them, and a 60 s plan gave T3 intake triples on all four, so Enschede's training was left out
although the full-problem bound plans it.

:func:`session_reservations` finds such sessions and keeps one of their days free: the
latest one (most room for the intake before it), for the team member who can make it, only
when some session trainer can make it with them and some trainer with the training's skill
has a day between it + the training lag and the window's close. Stage 1 does not use that
person-day and cuts the intake to 28 days before it; stage 2 offers the session there
(``LaterContext.reserved``). A reserved day costs the intake stage one of the team member's
~650 days; the re-planning round may still host intakes before the session on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from optimizer.domain import Appointment, Problem, Role, Skill, Stage, Visit
from optimizer.solve.later import first_start, round_trip
from optimizer.solve.slots import StartRange
from optimizer.timeaxis import MINUTES_PER_DAY

RESERVE_AT_MOST = 20
"""A session gets a reserved day only when at most this many (team member, day) pairs can
hold it before its training's window closes (less the training lag). On the tight national
variant 6 sessions have 3-17 such pairs and every other one more than 40; on the example
every one has more than 40."""


@dataclass(frozen=True, slots=True)
class Reservation:
    """Team member ``person``'s day ``day`` (index) kept for ``org``'s session."""

    org: str
    person: str
    day: int


def session_reservations(
    problem: Problem,
    ranges: dict[str, dict[int, list[StartRange]]],
    todo: Sequence[Visit],
    blocked: dict[str, set[int]],
    at_most: int = RESERVE_AT_MOST,
    previous: Mapping[str, Appointment] | None = None,
) -> list[Reservation]:
    """The reserved session days of the sessions in ``todo`` whose training (also in
    ``todo``) has a requested window that closes, and that at most ``at_most`` team-member
    days can hold (``ranges``: visit id -> day -> start ranges; ``blocked``: person -> day
    indices already taken, by pins). The sessions with the fewest options choose first; no
    two share a person-day. A session of the ``previous`` plan (visit id -> appointment) on
    one of its options keeps that day, so a nightly run does not move it for the
    reservation."""
    visits = {v.id: v for v in todo}
    scarce = []
    for session in todo:
        training = visits.get(Visit.make_id(session.org, Stage.TRAINING))
        if session.stage is not Stage.SESSION or training is None or training.latest is None:
            continue
        options = _session_days(problem, session, training, ranges, blocked, visits, at_most)
        if options and len(options) <= at_most:
            scarce.append((len(options), session.org, options))
    out: list[Reservation] = []
    taken: set[tuple[str, int]] = set()
    before = {
        a.org: (a.start // MINUTES_PER_DAY, person)
        for a in (previous or {}).values()
        if a.stage is Stage.SESSION
        for person in a.people
        if person in problem.people and problem.people[person].role is Role.TEAM
    }
    for _, org, options in sorted(scarce):
        free = [(day, person) for day, person in options if (person, day) not in taken]
        if free:
            day, person = max(
                free, key=lambda o: (o == before.get(org), o[0], -round_trip(problem, o[1], org))
            )
            out.append(Reservation(org, person, day))
            taken.add((person, day))
    return out


def _people(problem: Problem, role: Role, skill: Skill | None) -> list[str]:
    return sorted(
        p.id
        for p in problem.people.values()
        if p.role is role and (skill is None or skill in p.skills)
    )


def _session_days(
    problem: Problem,
    session: Visit,
    training: Visit,
    ranges: dict[str, dict[int, list[StartRange]]],
    blocked: dict[str, set[int]],
    visits: dict[str, Visit],
    at_most: int,
) -> list[tuple[int, str]]:
    """(day, team member) options of ``session`` before its training's window closes,
    each with a session trainer and a later training day; stops after ``at_most`` + 1."""
    rules = problem.rules
    org = session.org
    closes = (training.latest - problem.horizon_start).days
    intake_id = Visit.make_id(org, Stage.INTAKE)
    if intake_id in visits:
        intake_days = sorted(ranges.get(intake_id, {}))
    else:
        intake_days = [a.start // MINUTES_PER_DAY for a in problem.pins if a.visit_id == intake_id]
    if not intake_days:
        return []
    first = min(intake_days) + rules.session_lag_min_days
    last = min(closes - rules.training_lag_min_days, max(intake_days) + rules.session_lag_max_days)
    team = _people(problem, Role.TEAM, None)
    trainers = _people(problem, Role.TRAINER, Skill.SESSION)
    skilled = _people(problem, Role.TRAINER, training.skill or Skill.GROUP_TRAINING)
    training_days = [
        d
        for d, rs in sorted(ranges[training.id].items())
        if d <= closes and any(_can(problem, (t,), training, d, rs, blocked) for t in skilled)
    ]
    out: list[tuple[int, str]] = []
    for day in sorted(d for d in ranges[session.id] if first <= d <= last):
        if not any(day + rules.training_lag_min_days <= d for d in training_days):
            continue
        for person in team:
            rs = ranges[session.id][day]
            if any(_can(problem, (person, t), session, day, rs, blocked) for t in trainers):
                out.append((day, person))
                if len(out) > at_most:
                    return out
    return out


def _can(
    problem: Problem,
    people: tuple[str, ...],
    visit: Visit,
    day: int,
    ranges: list[StartRange],
    blocked: dict[str, set[int]],
) -> bool:
    """Whether ``people`` together can do ``visit`` on ``day`` (none of them blocked then)."""
    if any(day in blocked.get(p, ()) for p in people):
        return False
    return first_start(problem, people, visit.org, day, ranges, visit.duration_min) is not None
