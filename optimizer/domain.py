"""The pure domain core: organisations, people, visits, calendars, appointments and plans.

Plain frozen dataclasses, no I/O. Units everywhere:
- instants and intervals are integer minutes on the :mod:`optimizer.timeaxis` axis
  (Europe/Amsterdam wall clock, minutes since 00:00 on the horizon's first day);
  an :data:`Interval` ``(start, end)`` is half-open;
- durations and travel times are integer minutes; distances are integer metres;
- coordinates are WGS84 longitude/latitude in degrees;
- dates are local (Europe/Amsterdam) calendar dates.

Loaders (``optimizer.data``) build these objects from files; the solver, the validator and the
exporters only read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import numpy as np

from optimizer.timeaxis import TimeAxis

Interval = tuple[int, int]
"""Half-open ``[start, end)`` in axis minutes."""


class Stage(StrEnum):
    INTAKE = "intake"
    SESSION = "session"
    TRAINING = "training"


class Status(StrEnum):
    """Life cycle of an appointment (DESIGN.md §1)."""

    PLANNED = "planned"
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    DONE = "done"
    CANCELLED = "cancelled"
    DECLINED = "declined"

    @property
    def fixed(self) -> bool:
        """Confirmed and done appointments never move."""
        return self in (Status.CONFIRMED, Status.DONE)

    @property
    def communicated(self) -> bool:
        """The organisation has seen this date: moving it costs disruption."""
        return self is Status.PROPOSED


class Role(StrEnum):
    TEAM = "team"
    TRAINER = "trainer"


class Skill(StrEnum):
    SESSION = "session"
    GROUP_TRAINING = "group_training"
    INDIVIDUAL_TRAINING = "individual_training"


class Kind(StrEnum):
    GEMEENTE = "gemeente"
    PROVINCIE = "provincie"


@dataclass(frozen=True, slots=True)
class Point:
    """A WGS84 position in degrees."""

    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class FerryLink:
    """The ferry that serves an island municipality.

    ``crossing_min`` is the regular crossing, ``fast_crossing_min`` the fast ferry if any;
    ``headway_min`` the typical time between departures (waiting is half of it on average).
    ``cars_allowed`` is False for the car-free islands (Vlieland, Schiermonnikoog).
    """

    island: str
    mainland_port: str
    mainland: Point
    island_port: str
    island_point: Point
    crossing_min: int
    fast_crossing_min: int | None
    cars_allowed: bool
    headway_min: int = 120


@dataclass(frozen=True, slots=True)
class Organisation:
    """A municipality (``GM####``) or province (``PV##``) to be visited."""

    code: str
    name: str
    kind: Kind
    province_code: str
    province_name: str
    location: Point
    """Where visits take place: the town hall / provinciehuis."""
    holiday_region: str
    """School-holiday region: ``noord``, ``midden`` or ``zuid``."""
    ferry: FerryLink | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """A team member (``role=TEAM``) or trainer (``role=TRAINER``).

    ``available`` (if not None) lists the only intervals the person can work in (a trainer's
    availability calendar); ``unavailable`` lists leave, sickness and other busy time.
    """

    id: str
    name: str
    role: Role
    base: Point
    base_name: str
    region: str | None = None
    """Holiday region a team member is responsible for (``noord``/``midden``/``zuid``)."""
    skills: frozenset[Skill] = frozenset()
    available: tuple[Interval, ...] | None = None
    unavailable: tuple[Interval, ...] = ()
    provinces: frozenset[str] = frozenset()
    """Province codes whose organisations this team member is the preferred visitor of."""


@dataclass(frozen=True, slots=True)
class OrgCalendar:
    """What an organisation's calendars say.

    ``available``: if not None, the organisation can only be visited inside these intervals
    (explicit availability windows); ``busy``: blocks when the mayor/council is not
    available; ``council_days``: dates of council meetings (no session on those days).
    """

    available: tuple[Interval, ...] | None = None
    busy: tuple[Interval, ...] = ()
    council_days: frozenset[date] = frozenset()


@dataclass(frozen=True, slots=True)
class Visit:
    """One visit that should be planned: an organisation's intake, session or training.

    ``earliest``/``latest`` bound the date (a training's requested window); the lags between
    stages and the deadline come from :class:`Rules`.
    """

    id: str
    org: str
    stage: Stage
    duration_min: int
    required: bool = True
    earliest: date | None = None
    latest: date | None = None
    skill: Skill | None = None

    @staticmethod
    def make_id(org: str, stage: Stage) -> str:
        return f"{org}:{stage.value}"


@dataclass(frozen=True, slots=True)
class Rules:
    """The scheduling rules of DESIGN.md §1 with their defaults; minutes after midnight."""

    deadline: date = date(2024, 12, 31)
    intake_min: int = 90
    session_min: int = 150
    training_min: int = 180
    office_start: int = 9 * 60
    office_end: int = 17 * 60
    afternoon: Interval = (13 * 60 + 30, 17 * 60)
    evening: Interval = (19 * 60, 22 * 60 + 30)
    session_lag_min_days: int = 28
    session_lag_max_days: int = 182
    training_lag_min_days: int = 14
    work_start: int = 8 * 60 + 30
    work_end: int = 17 * 60 + 30
    max_visits_per_day: int = 3
    max_work_min_per_day: int = 600
    max_evenings_per_week: int = 2
    max_sessions_per_week: int = 2
    evening_end: int = 23 * 60
    """Latest return home after an evening session."""


@dataclass(frozen=True)
class TravelMatrix:
    """Travel between locations: ``minutes[i, j]`` and ``metres[i, j]`` from ``ids[i]`` to
    ``ids[j]`` (asymmetric allowed). Ids are organisation codes and ``base:<person id>``."""

    ids: tuple[str, ...]
    minutes: np.ndarray
    metres: np.ndarray
    model: str = "crowfly"
    index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.ids)
        if self.minutes.shape != (n, n) or self.metres.shape != (n, n):
            raise ValueError(f"travel matrix shape does not match its {n} ids")
        object.__setattr__(self, "index", {k: i for i, k in enumerate(self.ids)})

    def min(self, a: str, b: str) -> int:
        return int(self.minutes[self.index[a], self.index[b]])

    def m(self, a: str, b: str) -> int:
        return int(self.metres[self.index[a], self.index[b]])


def base_id(person_id: str) -> str:
    """The travel-matrix id of a person's home base."""
    return f"base:{person_id}"


@dataclass(frozen=True, slots=True)
class Appointment:
    """A visit placed in time with its people; ``start``/``end`` in axis minutes."""

    visit_id: str
    org: str
    stage: Stage
    people: tuple[str, ...]
    start: int
    end: int
    status: Status = Status.PLANNED


@dataclass(frozen=True)
class Problem:
    """Everything a solver needs, and everything the validator re-checks against."""

    name: str
    axis: TimeAxis
    horizon_end: date
    rules: Rules
    organisations: Mapping[str, Organisation]
    people: Mapping[str, Person]
    visits: Mapping[str, Visit]
    org_calendars: Mapping[str, OrgCalendar]
    public_holidays: frozenset[date]
    recess: Mapping[str, tuple[tuple[date, date], ...]]
    """Council recess per holiday region: (first day, last day) inclusive."""
    travel: TravelMatrix
    pins: tuple[Appointment, ...] = ()
    """Appointments that must stay exactly as given (confirmed, done, or pinned)."""
    previous: tuple[Appointment, ...] = ()
    """The previous plan's appointments (for disruption costs and warm starts)."""
    replan_from: date | None = None
    """New appointments only on or after this date (a nightly run: the day after its as-of
    date); before it lies the past, where only pinned appointments exist."""

    @property
    def horizon_start(self) -> date:
        return self.axis.origin

    def calendar(self, org: str) -> OrgCalendar:
        return self.org_calendars.get(org, OrgCalendar())


@dataclass(frozen=True, slots=True)
class Leg:
    """One drive (or ferry trip) of a day route; ``depart``/``arrive`` in axis minutes."""

    origin: str
    destination: str
    depart: int
    arrive: int
    minutes: int
    metres: int


@dataclass(frozen=True, slots=True)
class DayRoute:
    """One person's day: from the home base through the visits and back."""

    person: str
    day: date
    visits: tuple[str, ...]
    legs: tuple[Leg, ...]

    @property
    def travel_min(self) -> int:
        return sum(leg.minutes for leg in self.legs)

    @property
    def travel_m(self) -> int:
        return sum(leg.metres for leg in self.legs)

    @property
    def leave_home(self) -> int:
        return self.legs[0].depart

    @property
    def back_home(self) -> int:
        return self.legs[-1].arrive


@dataclass(frozen=True, slots=True)
class Unplanned:
    """A visit left out of the plan, with the reason in a planner's words."""

    visit_id: str
    reason: str


@dataclass(frozen=True)
class SolveStats:
    """How the plan was found. Objective/bound in the solver's own units (travel minutes plus
    penalties); ``gap`` = (objective - bound) / objective, None when no bound is known."""

    solver: str
    runtime_s: float
    objective: float
    bound: float | None
    seed: int
    details: Mapping[str, object] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        if self.bound is None or self.objective <= 0:
            return None
        return max(0.0, (self.objective - self.bound) / self.objective)


@dataclass(frozen=True)
class Plan:
    """A solver's answer: appointments, the day routes behind them, and what is left."""

    appointments: tuple[Appointment, ...]
    routes: tuple[DayRoute, ...]
    unplanned: tuple[Unplanned, ...]
    stats: SolveStats

    @property
    def travel_min(self) -> int:
        return sum(r.travel_min for r in self.routes)

    @property
    def travel_m(self) -> int:
        return sum(r.travel_m for r in self.routes)

    def appointment(self, visit_id: str) -> Appointment | None:
        for a in self.appointments:
            if a.visit_id == visit_id:
                return a
        return None
