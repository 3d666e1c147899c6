"""Route enumeration (``optimizer.solve.dayroutes``): the parallel enumeration gives exactly the
columns of the sequential one."""

from __future__ import annotations

import dataclasses

from optimizer.domain import Role, Stage
from optimizer.solve import dayroutes
from optimizer.solve.dayroutes import EnumerationSettings, build_instance, enumerate_routes
from optimizer.solve.slots import Calendar, start_ranges
from tests.factories import tiny_problem


def _instance():
    problem = tiny_problem(people=["T1", "T2"], sessions=(), trainings={})
    cal = Calendar.of(problem)
    intakes = [v for v in problem.visits.values() if v.stage is Stage.INTAKE]
    team = sorted(p.id for p in problem.people.values() if p.role is Role.TEAM)
    ranges = [start_ranges(problem, v, cal) for v in intakes]
    return build_instance(problem, intakes, ranges, team, {}, cal)


def test_parallel_enumeration_returns_the_sequential_columns_in_the_same_order(monkeypatch):
    inst = _instance()
    settings = EnumerationSettings(person_ratio=0)
    sequential = enumerate_routes(inst, dataclasses.replace(settings, workers=1))
    monkeypatch.setattr(dayroutes, "PARALLEL_MIN_VISITS", 0)
    parallel = enumerate_routes(inst, dataclasses.replace(settings, workers=2))
    assert parallel == sequential
    assert {c.person for c in sequential} == {"T1", "T2"}
    assert any(len(c.visits) == 3 for c in sequential)


def test_every_enumerated_route_is_timed_and_costed_as_time_route_and_route_cost_do():
    """The enumeration reads travel from per-person lists; each of its columns has the starts
    of :func:`time_route` and the travel of :func:`route_cost` for its person, day and order."""
    inst = _instance()
    index = {v.id: i for i, v in enumerate(inst.visits)}
    columns = enumerate_routes(inst, EnumerationSettings(person_ratio=0))
    assert len(columns) > 20
    for col in columns:
        order = [index[v] for v in col.visits]
        assert dayroutes.time_route(inst, col.person, col.day, order) == col.starts
        assert dayroutes.route_cost(inst, col.person, order) == (col.travel_min, col.travel_m)


def test_a_visit_waits_for_its_range_and_a_range_closed_on_arrival_fails_the_route():
    """Home at 08:30 (day 0); 30 minutes to a visit whose range opens at 10:00: it starts at
    10:00. A second visit reached at 11:40 whose only range ends at 11:00 cannot start."""
    rules = tiny_problem(people=["T1"], sessions=(), trainings={}).rules
    first = [(600, 660)]
    assert dayroutes.timed_starts([first], [90], [30, 30], 0, rules, rules.work_end) == (600,)
    second = [(540, 660)]
    legs = [30, 10, 30]
    assert dayroutes.timed_starts([first, second], [90, 90], legs, 0, rules, 1440) is None
    late_home = [(rules.work_end - 100, rules.work_end - 90)]
    assert dayroutes.timed_starts([late_home], [90], [30, 30], 0, rules, rules.work_end) is None
