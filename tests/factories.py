"""Small hand-built problems and plans for tests (validator, KPIs, plan folder, solver).

:func:`tiny_problem` builds a :class:`~optimizer.domain.Problem` of five organisations at their
real town halls (Utrecht, Amersfoort, Zeist, De Bilt, Groningen), two team members, three
trainers, a crow-fly travel matrix, the Dutch public holidays and the summer/Christmas council
recess; axis origin Monday 2023-01-02. :func:`valid_plan` is a hand-checked plan of it that
breaks no rule. :func:`appointment`, :func:`day_route` and :func:`plan_of` build appointments,
routes (legs from the problem's travel matrix) and plans; :func:`with_person` and
:func:`with_calendar` change one person or one organisation calendar.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import holidays
import numpy as np

from optimizer.domain import (
    Appointment,
    DayRoute,
    Kind,
    Leg,
    Organisation,
    OrgCalendar,
    Person,
    Plan,
    Point,
    Problem,
    Role,
    Rules,
    Skill,
    SolveStats,
    Stage,
    Status,
    TravelMatrix,
    Unplanned,
    Visit,
    base_id,
)
from optimizer.timeaxis import TimeAxis, hhmm

ORIGIN = date(2023, 1, 2)
"""Axis origin of the tiny problems: Monday 2 January 2023."""

ORGANISATIONS: dict[str, Organisation] = {
    o.code: o
    for o in (
        Organisation("GM0344", "Utrecht", Kind.GEMEENTE, "PV26", "Utrecht",
                     Point(5.1197, 52.0920), "midden"),
        Organisation("GM0307", "Amersfoort", Kind.GEMEENTE, "PV26", "Utrecht",
                     Point(5.3833, 52.1550), "midden"),
        Organisation("GM0355", "Zeist", Kind.GEMEENTE, "PV26", "Utrecht",
                     Point(5.2370, 52.0858), "midden"),
        Organisation("GM0310", "De Bilt", Kind.GEMEENTE, "PV26", "Utrecht",
                     Point(5.2011, 52.1287), "midden"),
        Organisation("GM0014", "Groningen", Kind.GEMEENTE, "PV20", "Groningen",
                     Point(6.5680, 53.2190), "noord"),
    )
}  # fmt: skip
"""Five organisations at their real town halls (WGS84)."""

PEOPLE: dict[str, Person] = {
    p.id: p
    for p in (
        Person("T1", "Anna", Role.TEAM, ORGANISATIONS["GM0310"].location, "Bilthoven",
               region="midden", provinces=frozenset({"PV26"})),
        Person("T2", "Bram", Role.TEAM, ORGANISATIONS["GM0014"].location, "Groningen",
               region="noord", provinces=frozenset({"PV20"})),
        Person("R1", "Carla", Role.TRAINER, Point(5.4290, 52.1325), "Leusden",
               skills=frozenset({Skill.SESSION, Skill.GROUP_TRAINING})),
        Person("R2", "Daan", Role.TRAINER, Point(5.1684, 52.0284), "Houten",
               skills=frozenset({Skill.SESSION})),
        Person("R3", "Eva", Role.TRAINER, Point(5.2800, 52.0530), "Driebergen",
               skills=frozenset({Skill.GROUP_TRAINING, Skill.INDIVIDUAL_TRAINING})),
    )
}  # fmt: skip
"""T1 (team, midden, lives at De Bilt's town hall), T2 (team, noord, at Groningen's), trainers
R1 (session + group training), R2 (session only), R3 (group + individual training)."""

RECESS: dict[str, tuple[tuple[date, date], ...]] = {
    "noord": ((date(2023, 7, 22), date(2023, 9, 3)), (date(2023, 12, 23), date(2024, 1, 7)),
              (date(2024, 7, 20), date(2024, 9, 1)), (date(2024, 12, 21), date(2025, 1, 5))),
    "midden": ((date(2023, 7, 8), date(2023, 8, 20)), (date(2023, 12, 23), date(2024, 1, 7)),
               (date(2024, 7, 13), date(2024, 8, 25)), (date(2024, 12, 21), date(2025, 1, 5))),
    "zuid": ((date(2023, 7, 15), date(2023, 8, 27)), (date(2023, 12, 23), date(2024, 1, 7)),
             (date(2024, 7, 6), date(2024, 8, 18)), (date(2024, 12, 21), date(2025, 1, 5))),
}  # fmt: skip
"""Summer and Christmas school holidays 2023-2024 per region (first, last day inclusive)."""

SESSIONS = ("GM0344", "GM0307", "GM0355")
TRAININGS: dict[str, tuple[date | None, date | None]] = {
    "GM0344": (date(2023, 5, 1), date(2023, 6, 30)),
}


def crowfly_matrix(
    points: Mapping[str, Point], *, circuity: float = 1.3, speed_kmh: float = 70.0
) -> TravelMatrix:
    """Haversine distance x ``circuity`` (metres, rounded) and minutes at ``speed_kmh``
    (rounded up); zero between identical points."""
    ids = tuple(points)
    lon = np.radians([points[i].lon for i in ids])
    lat = np.radians([points[i].lat for i in ids])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    metres = np.rint(2 * 6_371_000 * np.arcsin(np.sqrt(h)) * circuity).astype(np.int64)
    minutes = np.ceil(metres / (speed_kmh * 1000 / 60)).astype(np.int64)
    return TravelMatrix(ids, minutes, metres, model="crowfly")


def tiny_problem(
    *,
    orgs: Iterable[str | Organisation] = tuple(ORGANISATIONS),
    people: Iterable[str | Person] = tuple(PEOPLE),
    sessions: Iterable[str] = SESSIONS,
    trainings: Mapping[str, tuple[date | None, date | None]] = TRAININGS,
    optional_sessions: Iterable[str] = (),
    rules: Rules | None = None,
    org_calendars: Mapping[str, OrgCalendar] | None = None,
    pins: Sequence[Appointment] = (),
    previous: Sequence[Appointment] = (),
    origin: date = ORIGIN,
    horizon_end: date = date(2024, 12, 31),
    public_holidays: Iterable[date] | None = None,
    recess: Mapping[str, tuple[tuple[date, date], ...]] | None = None,
    name: str = "tiny",
) -> Problem:
    """A small problem: an intake for every organisation, a session for each of ``sessions``
    (not required for ``optional_sessions``), a group training for each of ``trainings``
    (requested window earliest, latest). Organisations and people are codes/ids of
    :data:`ORGANISATIONS`/:data:`PEOPLE` or objects; travel is :func:`crowfly_matrix`."""
    rules = rules or Rules()
    organisations = {o.code: o for o in (_org(o) for o in orgs)}
    persons = {p.id: p for p in (PEOPLE[p] if isinstance(p, str) else p for p in people)}
    optional = set(optional_sessions)
    visits: list[Visit] = [
        Visit(Visit.make_id(c, Stage.INTAKE), c, Stage.INTAKE, rules.intake_min)
        for c in organisations
    ]
    visits += [
        Visit(Visit.make_id(c, Stage.SESSION), c, Stage.SESSION, rules.session_min,
              required=c not in optional)
        for c in sessions if c in organisations
    ]  # fmt: skip
    visits += [
        Visit(Visit.make_id(c, Stage.TRAINING), c, Stage.TRAINING, rules.training_min,
              required=False, earliest=lo, latest=hi, skill=Skill.GROUP_TRAINING)
        for c, (lo, hi) in trainings.items() if c in organisations
    ]  # fmt: skip
    points = {c: o.location for c, o in organisations.items()}
    points |= {base_id(p.id): p.base for p in persons.values()}
    if public_holidays is None:
        years = range(origin.year, horizon_end.year + 2)
        public_holidays = holidays.country_holidays("NL", years=years)
    return Problem(
        name=name,
        axis=TimeAxis(origin),
        horizon_end=horizon_end,
        rules=rules,
        organisations=organisations,
        people=persons,
        visits={v.id: v for v in visits},
        org_calendars=dict(org_calendars or {}),
        public_holidays=frozenset(public_holidays),
        recess=dict(RECESS if recess is None else recess),
        travel=crowfly_matrix(points),
        pins=tuple(pins),
        previous=tuple(previous),
    )


def _org(org: str | Organisation) -> Organisation:
    return ORGANISATIONS[org] if isinstance(org, str) else org


def with_person(problem: Problem, person_id: str, **changes: object) -> Problem:
    """The problem with one person's fields replaced (not the base: the matrix would differ)."""
    person = dataclasses.replace(problem.people[person_id], **changes)
    return dataclasses.replace(problem, people={**problem.people, person_id: person})


def with_calendar(problem: Problem, org: str, **changes: object) -> Problem:
    """The problem with fields of one organisation's calendar replaced."""
    calendar = dataclasses.replace(problem.calendar(org), **changes)
    return dataclasses.replace(problem, org_calendars={**problem.org_calendars, org: calendar})


def at(problem: Problem, day: date | str, clock: str) -> int:
    """Axis minute of local ``clock`` (``"HH:MM"``) on ``day`` (a date or ISO string)."""
    return problem.axis.at(_date(day), hhmm(clock))


def _date(day: date | str) -> date:
    return day if isinstance(day, date) else date.fromisoformat(day)


def appointment(
    problem: Problem,
    visit_id: str,
    people: str | Sequence[str],
    day: date | str,
    start: str,
    *,
    status: Status = Status.PLANNED,
    duration_min: int | None = None,
) -> Appointment:
    """An appointment of ``visit_id`` starting at local ``start`` on ``day``, lasting the
    visit's duration unless ``duration_min`` is given; ``people`` ``"T1"`` or ``("T1", "R1")``.
    """
    visit = problem.visits.get(visit_id)
    org, _, stage = visit_id.partition(":")
    begin = at(problem, day, start)
    length = duration_min if duration_min is not None else visit.duration_min if visit else 90
    who = (people,) if isinstance(people, str) else tuple(people)
    return Appointment(visit_id, org, Stage(stage), who, begin, begin + length, status)


def day_route(problem: Problem, person: str, appointments: Sequence[Appointment]) -> DayRoute:
    """The person's day through ``appointments`` (sorted by start): leave home just in time
    for the first, drive on as soon as each ends, go home after the last; legs from the
    problem's travel matrix."""
    appts = sorted(appointments, key=lambda a: a.start)
    home = base_id(person)
    stops = [home, *(a.org for a in appts), home]
    legs: list[Leg] = []
    for i, (origin, destination) in enumerate(zip(stops, stops[1:], strict=False)):
        minutes = problem.travel.min(origin, destination)
        metres = problem.travel.m(origin, destination)
        if i == 0:
            arrive = appts[0].start
            depart = arrive - minutes
        else:
            depart = appts[i - 1].end
            arrive = depart + minutes
        legs.append(Leg(origin, destination, depart, arrive, minutes, metres))
    day = problem.axis.date_of(appts[0].start)
    return DayRoute(person, day, tuple(a.visit_id for a in appts), tuple(legs))


def routes_of(problem: Problem, appointments: Iterable[Appointment]) -> tuple[DayRoute, ...]:
    """One :func:`day_route` per person and date of ``appointments``, by person then date."""
    days: dict[tuple[str, date], list[Appointment]] = defaultdict(list)
    for a in appointments:
        for person in a.people:
            days[(person, problem.axis.date_of(a.start))].append(a)
    return tuple(day_route(problem, p, appts) for (p, _), appts in sorted(days.items()))


def plan_of(
    problem: Problem,
    appointments: Iterable[Appointment],
    *,
    unplanned: Iterable[Unplanned] | None = None,
    stats: SolveStats | None = None,
) -> Plan:
    """A plan of ``appointments`` with their :func:`routes_of`; by default every visit not
    planned is listed as unplanned (reason ``"not planned in this test"``)."""
    appts = tuple(appointments)
    if unplanned is None:
        planned = {a.visit_id for a in appts}
        unplanned = [
            Unplanned(v, "not planned in this test") for v in problem.visits if v not in planned
        ]
    return Plan(
        appointments=appts,
        routes=routes_of(problem, appts),
        unplanned=tuple(unplanned),
        stats=stats or SolveStats("hand", runtime_s=0.0, objective=0.0, bound=None, seed=0),
    )


def valid_appointments(problem: Problem) -> list[Appointment]:
    """A hand-checked set of appointments of :func:`tiny_problem` that breaks no rule.

    T1 does the intakes of De Bilt, Utrecht and Zeist on Tue 2023-03-07 (3 visits: the daily
    maximum) and Amersfoort on Wed 03-08; T2 does Groningen on Thu 03-09. Sessions: Utrecht Tue
    05-02 and Amersfoort Wed 05-03 in the evening with T1 and R1 (2 evenings and 2 sessions in
    ISO week 18: both weekly maxima), Zeist Thu 05-11 in the afternoon with T1 and R2. R1 gives
    Utrecht's training on Tue 05-23 (21 days after the session, inside 05-01..06-30).
    """
    a = appointment
    return [
        a(problem, "GM0310:intake", "T1", "2023-03-07", "09:00"),
        a(problem, "GM0344:intake", "T1", "2023-03-07", "11:00"),
        a(problem, "GM0355:intake", "T1", "2023-03-07", "13:30"),
        a(problem, "GM0307:intake", "T1", "2023-03-08", "10:00"),
        a(problem, "GM0014:intake", "T2", "2023-03-09", "10:00"),
        a(problem, "GM0344:session", ("T1", "R1"), "2023-05-02", "19:30"),
        a(problem, "GM0307:session", ("T1", "R1"), "2023-05-03", "19:30"),
        a(problem, "GM0355:session", ("T1", "R2"), "2023-05-11", "13:30"),
        a(problem, "GM0344:training", "R1", "2023-05-23", "10:00"),
    ]


def valid_plan(problem: Problem | None = None, **stats: object) -> Plan:
    """The plan of :func:`valid_appointments` (on ``problem``, default :func:`tiny_problem`)."""
    problem = problem or tiny_problem()
    solve_stats = SolveStats(
        **{"solver": "hand", "runtime_s": 0.0, "objective": 0.0, "bound": None, "seed": 0} | stats
    )
    return plan_of(problem, valid_appointments(problem), stats=solve_stats)


def replace_appointment(
    problem: Problem, plan: Plan, new: Appointment, *, drop: Iterable[str] = ()
) -> Plan:
    """``plan`` with the appointment of ``new.visit_id`` replaced by ``new`` (and the visits in
    ``drop`` removed from it), routes rebuilt from the appointments, unplanned kept."""
    dropped = set(drop)
    appts = [new if a.visit_id == new.visit_id else a for a in plan.appointments]
    appts = [a for a in appts if a.visit_id not in dropped]
    return dataclasses.replace(plan, appointments=tuple(appts), routes=routes_of(problem, appts))
