"""The independent plan validator: every rule of ``docs/rules.md``, re-checked from the raw
:class:`~optimizer.domain.Problem` fields (organisation calendars, public holidays, council
recess, people's availability, the travel matrix, pins).

It shares no code with the solver (nothing from :mod:`optimizer.solve` is imported), so a bug in
the solver's model cannot hide itself here. In the style of Timefold's constraint providers, each
rule is one small named function, grouped by what it looks at, and each says in a planner's words
why it is broken, with local (Europe/Amsterdam) dates and times::

    violations = validate(problem, plan)
    print(format_violations(violations))
    # [intake-office-hours] GM0363:intake on 2023-05-02 starts 08:00, before office hours 09:00

Scopes: ``appointment`` rules see one appointment with its visit (subject: the visit id);
``route`` rules see one person's day route (subject: the person id); ``person`` rules see all
appointments of one person (subject: the person id); ``plan`` rules see the whole plan.

Also :func:`validate_vrptw_routes`, a checker of plain VRPTW routes for the benchmarks.
"""

from __future__ import annotations

import inspect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from optimizer.domain import (
    Appointment,
    DayRoute,
    Interval,
    Person,
    Plan,
    Problem,
    Role,
    Skill,
    Stage,
    Visit,
    base_id,
)
from optimizer.timeaxis import fmt_hhmm, minute_of_day


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: ``rule`` is a short stable name (``"intake-office-hours"``),
    ``subject`` the visit id or person id it is about, ``message`` a planner-readable
    sentence with local dates and times."""

    rule: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


@dataclass(frozen=True)
class Rule:
    """A registered rule: its name, scope, one-line description and check function."""

    name: str
    scope: str
    description: str
    check: Callable[..., Iterable[Any]]
    stages: frozenset[Stage] = frozenset(Stage)


RULES: list[Rule] = []
"""Every rule the validator checks, in the order of ``docs/rules.md``."""


def _rule(name: str, scope: str, *stages: Stage) -> Callable[[Callable], Callable]:
    """Register a check function as rule ``name``; its docstring's first paragraph
    describes it."""

    def register(check: Callable) -> Callable:
        description = " ".join((inspect.getdoc(check) or name).split("\n\n")[0].split())
        RULES.append(Rule(name, scope, description, check, frozenset(stages or Stage)))
        return check

    return register


# --------------------------------------------------------------------------------------------
# What the rules look at: the problem, the plan and a few look-ups built once.


@dataclass
class _Facts:
    problem: Problem
    plan: Plan
    appointment_of: dict[str, Appointment] = field(default_factory=dict)
    """The first appointment of each visit id."""
    of_person: dict[str, list[Appointment]] = field(default_factory=dict)
    """Each person's appointments, by start."""

    @classmethod
    def of(cls, problem: Problem, plan: Plan) -> _Facts:
        facts = cls(problem, plan)
        of_person: dict[str, list[Appointment]] = defaultdict(list)
        for appt in plan.appointments:
            facts.appointment_of.setdefault(appt.visit_id, appt)
            for person in dict.fromkeys(appt.people):
                of_person[person].append(appt)
        facts.of_person = {
            person: sorted(appts, key=lambda a: (a.start, a.end))
            for person, appts in of_person.items()
        }
        return facts

    def day(self, minute: int) -> date:
        return self.problem.axis.date_of(minute)

    def when(self, minute: int) -> str:
        """``"2023-05-02 08:00"``: local date and time of an axis minute."""
        return f"{self.day(minute).isoformat()} {fmt_hhmm(minute_of_day(minute))}"

    def span(self, appt: Appointment) -> str:
        """``"2023-05-02 09:00-10:30"``."""
        return f"{self.when(appt.start)}-{fmt_hhmm(minute_of_day(appt.end))}"

    def interval(self, interval: Interval) -> str:
        start, end = interval
        if self.day(start) == self.day(end - 1):
            return f"{self.when(start)}-{fmt_hhmm(minute_of_day(end))}"
        return f"{self.when(start)} to {self.when(end)}"

    def person_day(self, person: str, day: date) -> list[Appointment]:
        return [a for a in self.of_person.get(person, []) if self.day(a.start) == day]

    def travel(self, origin: str, destination: str) -> tuple[int, int] | None:
        """(minutes, metres) from the problem's matrix; None if a location is unknown."""
        index = self.problem.travel.index
        if origin not in index or destination not in index:
            return None
        return self.problem.travel.min(origin, destination), self.problem.travel.m(
            origin, destination
        )


def _overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _inside_one(span: Interval, intervals: Iterable[Interval]) -> bool:
    return any(lo <= span[0] and span[1] <= hi for lo, hi in intervals)


def _weekday(day: date) -> str:
    return day.strftime("%A")


def _people(facts: _Facts, appt: Appointment) -> list[Person]:
    return [facts.problem.people[p] for p in appt.people if p in facts.problem.people]


# --------------------------------------------------------------------------------------------
# Every appointment


@_rule("person-unknown", "appointment")
def person_unknown(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """Every person of an appointment is a team member or trainer of the problem."""
    for person in a.people:
        if person not in f.problem.people:
            yield f"{a.visit_id} on {f.span(a)} names person {person!r}, who is not in the team"


@_rule("duration", "appointment")
def duration(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """An appointment lasts exactly its visit's duration."""
    if a.end - a.start != v.duration_min:
        yield (
            f"{a.visit_id} on {f.span(a)} lasts {a.end - a.start} minutes, "
            f"not the {v.duration_min} minutes of a {v.stage.value}"
        )


@_rule("same-day", "appointment")
def same_day(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """An appointment starts and ends on the same calendar day."""
    if a.end > a.start and f.day(a.start) != f.day(a.end - 1):
        yield f"{a.visit_id} starts {f.when(a.start)} but ends {f.when(a.end)}, on another day"


@_rule("org-busy", "appointment", Stage.INTAKE)
def org_busy(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """No intake inside a busy block of the organisation's (the mayor's) calendar."""
    for block in f.problem.calendar(v.org).busy:
        if _overlaps((a.start, a.end), block):
            yield (
                f"{a.visit_id} on {f.span(a)} overlaps a busy block of {v.org} "
                f"({f.interval(block)})"
            )


@_rule("org-availability", "appointment")
def org_availability(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """Where the organisation gave availability, the appointment lies inside one window."""
    available = f.problem.calendar(v.org).available
    if available is not None and not _inside_one((a.start, a.end), available):
        yield (
            f"{a.visit_id} on {f.span(a)} is outside the availability {v.org} gave "
            f"({len(available)} windows)"
        )


@_rule("person-availability", "appointment")
def person_availability(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """Where a person gave availability, the appointment lies inside one of its intervals."""
    for person in _people(f, a):
        if person.available is not None and not _inside_one((a.start, a.end), person.available):
            yield f"{a.visit_id} on {f.span(a)} is outside the availability of {person.id}"


@_rule("person-leave", "appointment")
def person_leave(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """No appointment overlaps a person's leave, sickness or other busy time."""
    for person in _people(f, a):
        for block in person.unavailable:
            if _overlaps((a.start, a.end), block):
                yield (
                    f"{a.visit_id} on {f.span(a)} needs {person.id}, who is unavailable "
                    f"{f.interval(block)}"
                )


@_rule("working-day", "appointment")
def working_day(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """Every visit is on a working day: Monday to Friday and not a public holiday."""
    day = f.day(a.start)
    if day.weekday() >= 5:
        yield f"{a.visit_id} is on {_weekday(day)} {day.isoformat()}, a weekend day"
    elif day in f.problem.public_holidays:
        yield f"{a.visit_id} is on {_weekday(day)} {day.isoformat()}, a public holiday"


@_rule("date-window", "appointment")
def date_window(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """A visit's date lies inside its requested window (earliest .. latest, inclusive)."""
    day = f.day(a.start)
    if v.earliest is not None and day < v.earliest:
        yield f"{a.visit_id} on {day.isoformat()} is before its window opens on {v.earliest}"
    if v.latest is not None and day > v.latest:
        yield f"{a.visit_id} on {day.isoformat()} is after its window closes on {v.latest}"


@_rule("deadline", "appointment", Stage.INTAKE, Stage.SESSION)
def deadline(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """A required intake or session is on or before the deadline."""
    day = f.day(a.start)
    if v.required and day > f.problem.rules.deadline:
        yield f"{a.visit_id} on {day.isoformat()} is after the deadline {f.problem.rules.deadline}"


def _office_hours(f: _Facts, a: Appointment) -> Iterator[str]:
    rules = f.problem.rules
    start, end = minute_of_day(a.start), minute_of_day(a.end - 1) + 1
    if start < rules.office_start:
        yield (
            f"{a.visit_id} on {f.day(a.start)} starts {fmt_hhmm(start)}, "
            f"before office hours {fmt_hhmm(rules.office_start)}"
        )
    if end > rules.office_end:
        yield (
            f"{a.visit_id} on {f.day(a.start)} ends {fmt_hhmm(end)}, "
            f"after office hours end {fmt_hhmm(rules.office_end)}"
        )


def _roles(f: _Facts, a: Appointment) -> Counter[Role]:
    return Counter(p.role for p in _people(f, a))


# --------------------------------------------------------------------------------------------
# Intake


@_rule("intake-people", "appointment", Stage.INTAKE)
def intake_people(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """An intake is done by exactly one team member."""
    if len(a.people) != 1 or _roles(f, a)[Role.TEAM] != 1:
        yield (
            f"{a.visit_id} on {f.span(a)} is done by {_who(a)}; "
            "an intake needs exactly one team member"
        )


@_rule("intake-office-hours", "appointment", Stage.INTAKE)
def intake_office_hours(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """An intake lies inside office hours (09:00-17:00)."""
    yield from _office_hours(f, a)


# --------------------------------------------------------------------------------------------
# Session


@_rule("session-people", "appointment", Stage.SESSION)
def session_people(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """A session is run by exactly one team member and one trainer together."""
    roles = _roles(f, a)
    if len(a.people) != 2 or roles[Role.TEAM] != 1 or roles[Role.TRAINER] != 1:
        yield (
            f"{a.visit_id} on {f.span(a)} is run by {_who(a)}; "
            "a session needs one team member and one trainer"
        )


@_rule("trainer-skill", "appointment", Stage.SESSION, Stage.TRAINING)
def trainer_skill(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """The trainer of a session or training has the skill it needs."""
    need = Skill.SESSION if v.stage is Stage.SESSION else (v.skill or Skill.GROUP_TRAINING)
    for person in _people(f, a):
        if person.role is Role.TRAINER and need not in person.skills:
            yield (
                f"{a.visit_id} on {f.span(a)} is given by trainer {person.id}, "
                f"who lacks the skill {need.value}"
            )


@_rule("session-council-day", "appointment", Stage.SESSION)
def session_council_day(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """No session on a council meeting day of its organisation."""
    day = f.day(a.start)
    if day in f.problem.calendar(v.org).council_days:
        yield f"{a.visit_id} is on {day.isoformat()}, a council meeting day of {v.org}"


@_rule("session-recess", "appointment", Stage.SESSION)
def session_recess(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """No session in the council recess of the organisation's holiday region."""
    org = f.problem.organisations.get(v.org)
    if org is None:
        return
    day = f.day(a.start)
    for first, last in f.problem.recess.get(org.holiday_region, ()):
        if first <= day <= last:
            yield (
                f"{a.visit_id} on {day.isoformat()} falls in the council recess of region "
                f"{org.holiday_region} ({first} to {last})"
            )


@_rule("session-time-of-day", "appointment", Stage.SESSION)
def session_time_of_day(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """A session lies entirely inside the afternoon (13:30-17:00) or the evening (19:00-22:30)."""
    rules = f.problem.rules
    day_start = a.start - minute_of_day(a.start)
    span = (a.start - day_start, a.end - day_start)
    if not _inside_one(span, (rules.afternoon, rules.evening)):
        yield (
            f"{a.visit_id} on {f.span(a)} is not inside the afternoon "
            f"{fmt_hhmm(rules.afternoon[0])}-{fmt_hhmm(rules.afternoon[1])} or the evening "
            f"{fmt_hhmm(rules.evening[0])}-{fmt_hhmm(rules.evening[1])}"
        )


@_rule("session-needs-intake", "appointment", Stage.SESSION)
def session_needs_intake(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """A session's organisation has its intake planned."""
    intake_id = Visit.make_id(v.org, Stage.INTAKE)
    if intake_id not in f.appointment_of:
        yield f"{a.visit_id} on {f.day(a.start)} is planned, but the intake {intake_id} is not"


@_rule("session-lag", "appointment", Stage.SESSION)
def session_lag(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """A session is 28 to 182 days (inclusive) after its organisation's intake."""
    intake = f.appointment_of.get(Visit.make_id(v.org, Stage.INTAKE))
    if intake is None:
        return
    rules = f.problem.rules
    lag = (f.day(a.start) - f.day(intake.start)).days
    if lag < rules.session_lag_min_days:
        yield (
            f"{a.visit_id} on {f.day(a.start)} is {lag} days after the intake on "
            f"{f.day(intake.start)}; at least {rules.session_lag_min_days} are needed"
        )
    elif lag > rules.session_lag_max_days:
        yield (
            f"{a.visit_id} on {f.day(a.start)} is {lag} days after the intake on "
            f"{f.day(intake.start)}; at most {rules.session_lag_max_days} are allowed"
        )


# --------------------------------------------------------------------------------------------
# Training


@_rule("training-people", "appointment", Stage.TRAINING)
def training_people(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """A training is given by exactly one trainer."""
    if len(a.people) != 1 or _roles(f, a)[Role.TRAINER] != 1:
        yield (
            f"{a.visit_id} on {f.span(a)} is given by {_who(a)}; "
            "a training needs exactly one trainer"
        )


@_rule("training-office-hours", "appointment", Stage.TRAINING)
def training_office_hours(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """A training lies inside office hours (09:00-17:00)."""
    yield from _office_hours(f, a)


@_rule("training-needs-session", "appointment", Stage.TRAINING)
def training_needs_session(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """If the organisation has a session visit, that session is planned."""
    session_id = Visit.make_id(v.org, Stage.SESSION)
    if session_id in f.problem.visits and session_id not in f.appointment_of:
        yield f"{a.visit_id} on {f.day(a.start)} is planned, but the session {session_id} is not"


@_rule("training-lag", "appointment", Stage.TRAINING)
def training_lag(f: _Facts, a: Appointment, v: Visit) -> Iterator[str]:
    """A training is at least 14 days after its organisation's session."""
    session = f.appointment_of.get(Visit.make_id(v.org, Stage.SESSION))
    if session is None:
        return
    lag = (f.day(a.start) - f.day(session.start)).days
    need = f.problem.rules.training_lag_min_days
    if lag < need:
        yield (
            f"{a.visit_id} on {f.day(a.start)} is {lag} days after the session on "
            f"{f.day(session.start)}; at least {need} are needed"
        )


def _who(a: Appointment) -> str:
    return ", ".join(a.people) if a.people else "nobody"


# --------------------------------------------------------------------------------------------
# Each person's day route


def _route_appointments(f: _Facts, route: DayRoute) -> list[Appointment | None]:
    return [f.appointment_of.get(v) for v in route.visits]


@_rule("route-shape", "route")
def route_shape(f: _Facts, r: DayRoute) -> Iterator[str]:
    """A day route runs from the home base through its visits in time order and back home."""
    home = base_id(r.person)
    appts = _route_appointments(f, r)
    if None in appts:
        return  # a visit that is no appointment: route-mismatch reports it
    stops = [home] + [a.org for a in appts if a is not None] + [home]
    expected = list(zip(stops, stops[1:], strict=False))
    actual = [(leg.origin, leg.destination) for leg in r.legs]
    if actual != expected:
        yield (
            f"the route of {r.person} on {r.day} drives {_path(actual)}, "
            f"not {_path(expected)} (home base, visits in time order, home base)"
        )
    starts = [a.start for a in appts if a is not None]
    if starts != sorted(starts):
        yield f"the route of {r.person} on {r.day} lists its visits out of time order"


def _path(legs: Sequence[tuple[str, str]]) -> str:
    if not legs:
        return "nowhere"
    return " -> ".join([legs[0][0], *(d for _, d in legs)])


@_rule("leg-travel", "route")
def leg_travel(f: _Facts, r: DayRoute) -> Iterator[str]:
    """Each leg's minutes and metres equal the travel matrix."""
    for leg in r.legs:
        travel = f.travel(leg.origin, leg.destination)
        if travel is None:
            yield (
                f"the route of {r.person} on {r.day} drives {leg.origin} -> {leg.destination}, "
                "which is not in the travel matrix"
            )
        elif (leg.minutes, leg.metres) != travel:
            yield (
                f"the route of {r.person} on {r.day} says {leg.origin} -> {leg.destination} "
                f"takes {leg.minutes} min / {leg.metres} m; the travel matrix says "
                f"{travel[0]} min / {travel[1]} m"
            )


@_rule("leg-timing", "route")
def leg_timing(f: _Facts, r: DayRoute) -> Iterator[str]:
    """A leg departs after the previous appointment ends, arrives before the next starts and
    lasts at least its travel minutes."""
    appts = _route_appointments(f, r)
    for i, leg in enumerate(r.legs):
        where = f"the route of {r.person} on {r.day}: leg {leg.origin} -> {leg.destination}"
        if leg.arrive - leg.depart < leg.minutes:
            yield (
                f"{where} departs {f.when(leg.depart)} and arrives {f.when(leg.arrive)}, "
                f"less than its {leg.minutes} minutes of travel"
            )
        prev = appts[i - 1] if 0 < i <= len(appts) else None
        nxt = appts[i] if i < len(appts) else None
        if prev is not None and nxt is not None and _too_close(f, prev, nxt):
            continue  # the appointments themselves overlap: person-overlap reports that
        if prev is not None and leg.depart < prev.end:
            yield f"{where} departs {f.when(leg.depart)}, before {prev.visit_id} ends"
        if nxt is not None and leg.arrive > nxt.start:
            yield f"{where} arrives {f.when(leg.arrive)}, after {nxt.visit_id} starts"


@_rule("work-start", "route")
def work_start(f: _Facts, r: DayRoute) -> Iterator[str]:
    """A person leaves home at or after the start of the working day (08:30)."""
    if not r.legs:
        return
    leave = r.leave_home - f.problem.axis.at(r.day, 0)
    if leave < f.problem.rules.work_start:
        clock = fmt_hhmm(leave) if leave >= 0 else f.when(r.leave_home)
        yield (
            f"{r.person} leaves home at {clock} on {r.day}, "
            f"before {fmt_hhmm(f.problem.rules.work_start)}"
        )


@_rule("home-by", "route")
def home_by(f: _Facts, r: DayRoute) -> Iterator[str]:
    """A person is back home by 23:00 every day (a day back after 17:30 is an evening)."""
    if not r.legs:
        return
    limit = f.problem.rules.evening_end
    back = r.back_home - f.problem.axis.at(r.day, 0)
    if back > limit:
        yield (
            f"{r.person} is back home on {r.day} at {fmt_hhmm(back % 1440)}"
            f"{' (next day)' if back >= 1440 else ''}, later than {fmt_hhmm(limit)}"
        )


@_rule("work-hours", "route")
def work_hours(f: _Facts, r: DayRoute) -> Iterator[str]:
    """Working time, from leaving home to coming back, is at most 10 hours a day."""
    if not r.legs:
        return
    worked = r.back_home - r.leave_home
    limit = f.problem.rules.max_work_min_per_day
    if worked > limit:
        yield (
            f"{r.person} works {worked // 60}h{worked % 60:02d} on {r.day} (leaves home "
            f"{fmt_hhmm(minute_of_day(r.leave_home))}, back {fmt_hhmm(minute_of_day(r.back_home))}"
            f"), more than {limit // 60}h{limit % 60:02d}"
        )


# --------------------------------------------------------------------------------------------
# Each person over days and weeks


def _too_close(f: _Facts, a: Appointment, b: Appointment) -> bool:
    """True if ``b`` starts before ``a`` ends plus the travel between their organisations."""
    travel = f.travel(a.org, b.org) if f.day(a.start) == f.day(b.start) else None
    return b.start < a.end + (travel[0] if travel else 0)


@_rule("person-overlap", "person")
def person_overlap(f: _Facts, person: str) -> Iterator[str]:
    """No two appointments of a person overlap, travel between them included."""
    latest: Appointment | None = None  # of those seen, the one that ends last
    for b in f.of_person.get(person, []):
        if latest is not None and _too_close(f, latest, b):
            travel = f.travel(latest.org, b.org)
            yield (
                f"{person} cannot be at {b.visit_id} at {f.when(b.start)}: {latest.visit_id} "
                f"ends {fmt_hhmm(minute_of_day(latest.end))} and the drive {latest.org} -> "
                f"{b.org} takes {travel[0] if travel else '?'} minutes"
            )
        if latest is None or b.end > latest.end:
            latest = b


@_rule("visits-per-day", "person")
def visits_per_day(f: _Facts, person: str) -> Iterator[str]:
    """A person makes at most 3 visits a day."""
    per_day = Counter(f.day(a.start) for a in f.of_person.get(person, []))
    limit = f.problem.rules.max_visits_per_day
    for day, count in sorted(per_day.items()):
        if count > limit:
            yield f"{person} has {count} visits on {day}, more than {limit}"


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@_rule("evenings-per-week", "person")
def evenings_per_week(f: _Facts, person: str) -> Iterator[str]:
    """A team member has at most 2 evenings per ISO week: days back home after 17:30."""
    who = f.problem.people.get(person)
    if who is None or who.role is not Role.TEAM:
        return
    work_end = f.problem.rules.work_end
    evenings = [
        r.day
        for r in f.plan.routes
        if r.person == person and r.legs and r.back_home - f.problem.axis.at(r.day, 0) > work_end
    ]
    per_week = Counter(_iso_week(day) for day in evenings)
    limit = f.problem.rules.max_evenings_per_week
    for week, count in sorted(per_week.items()):
        if count > limit:
            days = ", ".join(str(d) for d in sorted(evenings) if _iso_week(d) == week)
            yield f"{person} works {count} evenings in week {week} ({days}), over {limit}"


@_rule("sessions-per-week", "person")
def sessions_per_week(f: _Facts, person: str) -> Iterator[str]:
    """A trainer runs at most 2 sessions per ISO week."""
    who = f.problem.people.get(person)
    if who is None or who.role is not Role.TRAINER:
        return
    sessions = [a for a in f.of_person.get(person, []) if a.stage is Stage.SESSION]
    per_week = Counter(_iso_week(f.day(a.start)) for a in sessions)
    limit = f.problem.rules.max_sessions_per_week
    for week, count in sorted(per_week.items()):
        if count > limit:
            days = ", ".join(
                str(f.day(a.start)) for a in sessions if _iso_week(f.day(a.start)) == week
            )
            yield f"{person} runs {count} sessions in week {week} ({days}), over {limit}"


# --------------------------------------------------------------------------------------------
# The plan as a whole


@_rule("visit-unknown", "plan")
def visit_unknown(f: _Facts) -> Iterator[tuple[str, str]]:
    """Every appointment and unplanned entry names a visit of the problem, with its org and
    stage."""
    for a in f.plan.appointments:
        v = f.problem.visits.get(a.visit_id)
        if v is None:
            yield a.visit_id, f"appointment {a.visit_id} is not a visit of the problem"
        elif (a.org, a.stage) != (v.org, v.stage):
            yield (
                a.visit_id,
                f"appointment {a.visit_id} says {a.org}/{a.stage.value}, "
                f"but the visit is {v.org}/{v.stage.value}",
            )
    for u in f.plan.unplanned:
        if u.visit_id not in f.problem.visits:
            yield u.visit_id, f"unplanned entry {u.visit_id} is not a visit of the problem"


@_rule("visit-twice", "plan")
def visit_twice(f: _Facts) -> Iterator[tuple[str, str]]:
    """No visit is both planned and unplanned, planned twice or unplanned twice."""
    planned = Counter(a.visit_id for a in f.plan.appointments)
    unplanned = Counter(u.visit_id for u in f.plan.unplanned)
    for visit in sorted(planned | unplanned):
        p, u = planned[visit], unplanned[visit]
        if p and u:
            yield visit, f"{visit} is both planned and in the unplanned list"
        elif p > 1:
            yield visit, f"{visit} is planned {p} times"
        elif u > 1:
            yield visit, f"{visit} is in the unplanned list {u} times"


@_rule("visit-missing", "plan")
def visit_missing(f: _Facts) -> Iterator[tuple[str, str]]:
    """Every visit of the problem is either planned or in the unplanned list with a reason."""
    planned = {a.visit_id for a in f.plan.appointments}
    unplanned = {u.visit_id: u.reason for u in f.plan.unplanned}
    for visit in f.problem.visits:
        if visit not in planned and visit not in unplanned:
            yield visit, f"{visit} is neither planned nor in the unplanned list"
        elif visit in unplanned and not unplanned[visit].strip():
            yield visit, f"{visit} is unplanned without a reason"


@_rule("pin-moved", "plan")
def pin_moved(f: _Facts) -> Iterator[tuple[str, str]]:
    """Every pinned appointment appears exactly as given: visit, people, start and end."""
    for pin in f.problem.pins:
        found = [a for a in f.plan.appointments if a.visit_id == pin.visit_id]
        if not found:
            yield pin.visit_id, f"{pin.visit_id} is pinned on {f.span(pin)} but not planned"
            continue
        a = found[0]
        if (a.start, a.end) != (pin.start, pin.end):
            yield (
                pin.visit_id,
                f"{pin.visit_id} is pinned on {f.span(pin)} ({pin.status.value}) "
                f"but planned on {f.span(a)}",
            )
        if sorted(a.people) != sorted(pin.people):
            yield (
                pin.visit_id,
                f"{pin.visit_id} is pinned with {_who(pin)} but planned with {_who(a)}",
            )


@_rule("in-the-past", "plan")
def in_the_past(f: _Facts) -> Iterator[tuple[str, str]]:
    """No appointment other than a pinned one lies before the re-planning date (the past)."""
    since = f.problem.replan_from
    if since is None:
        return
    pinned = {p.visit_id for p in f.problem.pins}
    for a in f.plan.appointments:
        if a.visit_id not in pinned and f.day(a.start) < since:
            yield a.visit_id, f"{a.visit_id} is planned on {f.span(a)}, before {since} (the past)"


@_rule("route-mismatch", "plan")
def route_mismatch(f: _Facts) -> Iterator[tuple[str, str]]:
    """Every appointment is on the route of each of its people on its date; routes hold
    nothing else, and a person has one route a day."""
    routes: dict[tuple[str, date], list[DayRoute]] = defaultdict(list)
    for r in f.plan.routes:
        routes[(r.person, r.day)].append(r)
    for (person, day), found in routes.items():
        if len(found) > 1:
            yield person, f"{person} has {len(found)} routes on {day}"
    needed: dict[tuple[str, date], set[str]] = defaultdict(set)
    for person, appts in f.of_person.items():
        for a in appts:
            needed[(person, f.day(a.start))].add(a.visit_id)
    for key in sorted(set(needed) | set(routes)):
        person, day = key
        on_route = {v for r in routes.get(key, []) for v in r.visits}
        for visit in sorted(needed.get(key, set()) - on_route):
            yield person, f"{visit} on {day} is not on the route of {person} that day"
        for visit in sorted(on_route - needed.get(key, set())):
            yield (
                person,
                f"the route of {person} on {day} visits {visit}, "
                f"which is not an appointment of {person} that day",
            )


# --------------------------------------------------------------------------------------------
# Running the rules


def _known(problem: Problem, a: Appointment) -> Visit | None:
    v = problem.visits.get(a.visit_id)
    return v if v is not None and (v.org, v.stage) == (a.org, a.stage) else None


def _run_appointment_rules(f: _Facts) -> Iterator[Violation]:
    rules = [r for r in RULES if r.scope == "appointment"]
    for a in f.plan.appointments:
        visit = _known(f.problem, a)
        if visit is None:
            continue  # visit-unknown reports it
        for rule in rules:
            if visit.stage in rule.stages:
                for message in rule.check(f, a, visit):
                    yield Violation(rule.name, a.visit_id, message)


def _run_route_rules(f: _Facts) -> Iterator[Violation]:
    rules = [r for r in RULES if r.scope == "route"]
    for route in f.plan.routes:
        for rule in rules:
            for message in rule.check(f, route):
                yield Violation(rule.name, route.person, message)


def _run_person_rules(f: _Facts) -> Iterator[Violation]:
    rules = [r for r in RULES if r.scope == "person"]
    for person in sorted(f.of_person):
        for rule in rules:
            for message in rule.check(f, person):
                yield Violation(rule.name, person, message)


def _run_plan_rules(f: _Facts) -> Iterator[Violation]:
    for rule in (r for r in RULES if r.scope == "plan"):
        for subject, message in rule.check(f):
            yield Violation(rule.name, subject, message)


def validate(problem: Problem, plan: Plan) -> list[Violation]:
    """Every violation of the rules of ``docs/rules.md`` by ``plan``; empty if it is valid.

    Plan-level findings come first, then appointments, people's days and weeks.
    """
    facts = _Facts.of(problem, plan)
    return [
        *_run_plan_rules(facts),
        *_run_appointment_rules(facts),
        *_run_route_rules(facts),
        *_run_person_rules(facts),
    ]


def is_valid(problem: Problem, plan: Plan) -> bool:
    """True if :func:`validate` finds nothing."""
    return not validate(problem, plan)


def format_violations(violations: Sequence[Violation], *, limit: int | None = None) -> str:
    """One line per violation (``[rule] message``), with a count per rule at the end;
    ``limit`` caps the number of lines listed."""
    if not violations:
        return "the plan is valid: no rule is broken"
    shown = violations if limit is None else violations[:limit]
    lines = [str(v) for v in shown]
    if len(shown) < len(violations):
        lines.append(f"... and {len(violations) - len(shown)} more")
    counts = Counter(v.rule for v in violations)
    summary = ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items()))
    plural = "" if len(violations) == 1 else "s"
    lines.append(f"{len(violations)} violation{plural}: {summary}")
    return "\n".join(lines)


def rule_descriptions() -> dict[str, str]:
    """Rule name -> one-line description, for documentation and reports."""
    return {r.name: r.description for r in RULES}


# --------------------------------------------------------------------------------------------
# VRPTW routes (benchmarks)


def _vrptw_durations(instance: Mapping[str, Any]) -> np.ndarray:
    if "edge_weight" in instance:
        return np.asarray(instance["edge_weight"])
    coords = np.asarray(instance["node_coord"], dtype=float)
    return np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(axis=-1))


def _per_node(value: Any, n: int, default: float = 0) -> np.ndarray:
    if value is None:
        return np.full(n, default)
    array = np.asarray(value)
    return np.full(n, array.item()) if array.ndim == 0 else array


def validate_vrptw_routes(instance: Mapping[str, Any], routes: list[list[int]]) -> list[str]:
    """Violations of a VRPTW solution, as sentences; empty if feasible.

    ``instance`` is a vrplib-style dict: ``edge_weight`` (durations = distances, used as
    given) or ``node_coord`` (Euclidean), ``demand``, ``capacity``, ``time_window``,
    ``service_time`` (scalar or per node), ``depot`` and optionally ``vehicles``. ``routes``
    list customer indices of those arrays, without the depot. Checks: every customer exactly
    once, capacity, time windows (waiting for a window to open is allowed, arriving after it
    closes is not, the depot's included) and the number of vehicles.
    """
    durations = _vrptw_durations(instance)
    n = durations.shape[0]
    depot = int(np.asarray(instance.get("depot", 0)).ravel()[0])
    demand = _per_node(instance.get("demand"), n)
    service = _per_node(instance.get("service_time"), n).astype(float)
    service[depot] = 0
    windows = instance.get("time_window")
    windows = np.asarray(windows) if windows is not None else None
    capacity = instance.get("capacity")
    problems: list[str] = []
    seen: Counter[int] = Counter()
    for number, route in enumerate(routes, start=1):
        bad = [c for c in route if not 0 <= c < n or c == depot]
        if bad:
            problems.append(f"route {number}: {bad} are not customers (1..{n - 1}, not the depot)")
            continue
        seen.update(route)
        problems += _vrptw_route(
            number, route, durations, demand, service, windows, capacity, depot
        )
    customers = [c for c in range(n) if c != depot]
    missing = [c for c in customers if seen[c] == 0]
    twice = sorted(c for c, k in seen.items() if k > 1)
    if missing:
        problems.append(f"customers not visited: {missing}")
    if twice:
        problems.append(f"customers visited more than once: {twice}")
    vehicles = instance.get("vehicles")
    used = sum(1 for r in routes if r)
    if vehicles is not None and used > int(vehicles):
        problems.append(f"{used} routes use more than the {int(vehicles)} vehicles")
    return problems


def _vrptw_route(
    number: int,
    route: list[int],
    durations: np.ndarray,
    demand: np.ndarray,
    service: np.ndarray,
    windows: np.ndarray | None,
    capacity: Any,
    depot: int,
) -> list[str]:
    problems: list[str] = []
    load = float(demand[route].sum()) if route else 0.0
    if capacity is not None and load > float(np.max(capacity)):
        problems.append(
            f"route {number}: load {load:g} exceeds the capacity {float(np.max(capacity)):g}"
        )
    time = float(windows[depot][0]) if windows is not None else 0.0
    previous = depot
    for customer in [*route, depot]:
        time += float(durations[previous, customer])
        if windows is not None:
            opens, closes = float(windows[customer][0]), float(windows[customer][1])
            if time > closes:
                what = "the depot" if customer == depot else f"customer {customer}"
                problems.append(
                    f"route {number}: reaches {what} at {time:g}, after its window closes "
                    f"at {closes:g}"
                )
            time = max(time, opens)
        time += service[customer]
        previous = customer
    return problems
