"""The greedy region-by-region baseline that the planner is measured against.

What a careful human planner would do without an optimiser:

- **intakes**: every organisation goes to the team member with the nearest home base; each
  team member, farthest organisation first, takes the earliest free day on which it fits and
  fills that day with the nearest organisations still open that fit the same day;
- **sessions and trainings**: in order of their organisation's intake date, each takes its
  cheapest feasible (people, day) that is still free, respecting every rule.

It shares the timing code with the planner (so both obey the same rules) but none of its
optimisation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from optimizer.domain import Problem, Stage, Visit
from optimizer.solve.dayroutes import IntakeInstance, RouteColumn, route_cost, time_route
from optimizer.solve.intakes import IntakeSolution
from optimizer.solve.later import (
    Candidate,
    LaterContext,
    LaterSettings,
    LaterSolution,
    session_candidates,
    session_period,
    training_candidates,
)
from optimizer.solve.slots import Calendar, StartRange


def greedy_intakes(inst: IntakeInstance) -> IntakeSolution:
    """Region-by-region greedy day routes (see the module docstring)."""
    mins = inst.minutes
    owner: dict[str, list[int]] = defaultdict(list)
    for i, visit in enumerate(inst.visits):
        v = inst.loc[visit.id]
        nearest = min(inst.persons, key=lambda p: (int(mins[inst.loc[p], v]), p))
        owner[nearest].append(i)
    open_ = set(range(len(inst.visits)))
    chosen: list[RouteColumn] = []
    max_stops = inst.problem.rules.max_visits_per_day
    for person in inst.persons:
        home = inst.loc[person]
        mine = sorted(owner[person], key=lambda i: -int(mins[home, inst.loc[inst.visits[i].id]]))
        used: set[int] = set()
        for seed in mine:
            if seed not in open_:
                continue
            for day in sorted(inst.ranges[seed]):
                if not inst.usable[person][day] or day in used:
                    continue
                if time_route(inst, person, day, [seed]) is None:
                    continue
                order = _fill_day(inst, person, day, [seed], open_ & set(mine), max_stops)
                starts = time_route(inst, person, day, order)
                minutes, metres = route_cost(inst, person, order)
                ids = tuple(inst.visits[i].id for i in order)
                chosen.append(RouteColumn(person, day, ids, starts, minutes, metres))
                used.add(day)
                open_ -= set(order)
                break
    unplanned = [inst.visits[i].id for i in sorted(open_)]
    counts = {v.id: len(inst.ranges[i]) for i, v in enumerate(inst.visits)}
    return IntakeSolution(chosen, unplanned, None, len(chosen), counts)


def _fill_day(
    inst: IntakeInstance, person: str, day: int, order: list[int], open_: set[int], max_stops: int
) -> list[int]:
    """Append the nearest open visits that still fit the day."""
    mins = inst.minutes
    while len(order) < max_stops:
        last = inst.loc[inst.visits[order[-1]].id]
        options = sorted(
            (i for i in open_ if i not in order and day in inst.ranges[i]),
            key=lambda i: int(mins[last, inst.loc[inst.visits[i].id]]),
        )
        for i in options[:10]:
            if time_route(inst, person, day, [*order, i]) is not None:
                order = [*order, i]
                break
        else:
            return order
    return order


def _period_start(problem: Problem, ctx: LaterContext, org: str) -> int:
    """The first day ``org``'s session may take (sessions in that order), or a day after
    every horizon."""
    period = session_period(problem, ctx, org)
    return period[0] if period is not None else 1 << 30


def greedy_later(
    problem,
    calendar: Calendar,
    sessions: Sequence[Visit],
    trainings: Sequence[Visit],
    ranges: dict[str, dict[int, list[StartRange]]],
    ctx: LaterContext,
    settings: LaterSettings = LaterSettings(),
) -> LaterSolution:
    """Sessions then trainings, each taking its cheapest still-feasible candidate."""
    rules = problem.rules
    taken = {p: set(days) for p, days in ctx.blocked.items()}
    evenings = defaultdict(int, ctx.evenings_used)
    weekly = defaultdict(int, ctx.sessions_used)
    session_day = dict(ctx.session_day)
    chosen: list[Candidate] = []
    counts: dict[str, int] = {}
    unplanned: list[str] = []
    order = sorted(sessions, key=lambda v: (_period_start(problem, ctx, v.org), v.id))
    for visit in [*order, *sorted(trainings, key=lambda v: v.id)]:
        if visit.stage is Stage.SESSION:
            cands = session_candidates(problem, visit, ranges[visit.id], ctx, settings)
        else:
            floor = session_day.get(visit.org)
            needs_session = any(s.org == visit.org for s in sessions)
            if needs_session and floor is None:
                counts[visit.id] = 0
                unplanned.append(visit.id)
                continue
            cands = training_candidates(problem, visit, ranges[visit.id], ctx, floor, settings)
        counts[visit.id] = len(cands)
        for c in sorted(cands, key=lambda c: (c.travel_min, c.day)):
            if any(c.day in taken.get(p, ()) for p in c.people):
                continue
            week = calendar.iso_week(c.day)
            if visit.stage is Stage.SESSION:
                team, trainer = c.people
                if c.evening and evenings[(team, week)] >= rules.max_evenings_per_week:
                    continue
                if weekly[(trainer, week)] >= rules.max_sessions_per_week:
                    continue
                evenings[(team, week)] += int(c.evening)
                weekly[(trainer, week)] += 1
                session_day[visit.org] = c.day
            for p in c.people:
                taken.setdefault(p, set()).add(c.day)
            chosen.append(c)
            break
        else:
            unplanned.append(visit.id)
    return LaterSolution(chosen, unplanned, None, sum(counts.values()), counts)
