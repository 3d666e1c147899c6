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
