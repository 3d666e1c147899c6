"""Turn placed appointments into day routes with legs (home -> visits -> home)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable

from optimizer.domain import Appointment, DayRoute, Leg, Problem, base_id


def day_routes(problem: Problem, appointments: Iterable[Appointment]) -> tuple[DayRoute, ...]:
    """One route per person and day: legs timed to arrive just in time and leave at once.

    The first leg leaves home so as to arrive exactly at the first start; every other leg
    leaves the moment the previous appointment ends; the last one goes home.
    """
    by_person_day: dict[tuple[str, int], list[Appointment]] = defaultdict(list)
    for appt in appointments:
        for person in appt.people:
            by_person_day[(person, appt.start // 1440)].append(appt)
    routes = []
    for (person, day), appts in sorted(by_person_day.items()):
        appts.sort(key=lambda a: a.start)
        home = base_id(person)
        stops = [home, *(a.org for a in appts), home]
        legs = []
        for k, (a, b) in enumerate(itertools.pairwise(stops)):
            minutes, metres = problem.travel.min(a, b), problem.travel.m(a, b)
            depart = appts[0].start - minutes if k == 0 else appts[k - 1].end
            legs.append(Leg(a, b, depart, depart + minutes, minutes, metres))
        routes.append(
            DayRoute(
                person, problem.axis.date_of_day(day), tuple(a.visit_id for a in appts), tuple(legs)
            )
        )
    return tuple(routes)
