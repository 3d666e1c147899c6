"""The planner on small cases with known answers: every hard rule, where the obvious plan
would break it, is kept; every plan produced here passes the independent validator."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date, timedelta

import pytest

import optimizer.solve.solve as solve_module
from optimizer.domain import OrgCalendar, Plan, Problem, Rules, Stage
from optimizer.plan.validate import validate
from optimizer.solve.reserve import session_reservations
from optimizer.solve.slots import Calendar, start_ranges
from optimizer.solve.solve import SolveSettings, solve
from tests.factories import appointment, at, tiny_problem, with_calendar, with_person


def solved(problem: Problem, **options) -> Plan:
    """Solve and insist that the validator finds nothing wrong."""
    plan = solve(problem, time_limit=options.pop("time_limit", 20), **options)
    violations = validate(problem, plan)
    assert violations == [], "\n".join(f"{v.rule}: {v.message}" for v in violations)
    return plan


def day_of(problem: Problem, plan: Plan, visit_id: str) -> date:
    appt = plan.appointment(visit_id)
    assert appt is not None, f"{visit_id} not planned: {plan.unplanned}"
    return problem.axis.date_of(appt.start)


def windows(problem: Problem, *spans: tuple[str, str, str]) -> tuple[tuple[int, int], ...]:
    """Availability intervals from (ISO date, "HH:MM", "HH:MM") triples."""
    return tuple((at(problem, d, a), at(problem, d, b)) for d, a, b in spans)


def with_available(problem: Problem, org: str, *spans: tuple[str, str, str]) -> Problem:
    cal = dataclasses.replace(problem.calendar(org), available=windows(problem, *spans))
    return dataclasses.replace(problem, org_calendars={**problem.org_calendars, org: cal})


def brute_force_optimum(problem: Problem, person: str) -> int:
    """Least travel over every way to split the organisations into day routes of <= 3 stops."""
    codes = list(problem.organisations)
    base = f"base:{person}"

    def route(stops: tuple[str, ...]) -> int:
        best = None
        for order in itertools.permutations(stops):
            path = [base, *order, base]
            cost = sum(problem.travel.min(a, b) for a, b in itertools.pairwise(path))
            best = cost if best is None else min(best, cost)
        return best

    def partitions(items: list[str]):
        if not items:
            yield []
            return
        first, rest = items[0], items[1:]
        for k in range(0, min(2, len(rest)) + 1):
            for group in itertools.combinations(rest, k):
                remaining = [x for x in rest if x not in group]
                for tail in partitions(remaining):
                    yield [(first, *group), *tail]

    return min(sum(route(g) for g in part) for part in partitions(codes))


def test_three_municipalities_one_person_reach_the_brute_force_optimum():
    problem = tiny_problem(
        orgs=["GM0344", "GM0307", "GM0355"], people=["T1"], sessions=(), trainings={}
    )
    plan = solved(problem)
    assert not plan.unplanned
    assert plan.travel_min == brute_force_optimum(problem, "T1")
    assert plan.stats.gap is not None and plan.stats.gap < 1e-6


def test_four_close_municipalities_are_split_over_two_days_at_most_three_a_day():
    problem = tiny_problem(
        orgs=["GM0344", "GM0307", "GM0355", "GM0310"], people=["T1"], sessions=(), trainings={}
    )
    for code in problem.organisations:
        problem = with_available(
            problem, code, ("2023-03-01", "09:00", "17:00"), ("2023-03-02", "09:00", "17:00")
        )
    plan = solved(problem)
    assert not plan.unplanned
    per_day = [len(r.visits) for r in plan.routes]
    assert sorted(per_day) in ([1, 3], [2, 2])


def test_intake_avoids_a_public_holiday_even_when_it_is_the_first_free_day():
    problem = tiny_problem(orgs=["GM0344"], people=["T1"], sessions=(), trainings={})
    problem = with_available(
        problem, "GM0344", ("2023-04-10", "09:00", "12:00"), ("2023-04-12", "09:00", "12:00")
    )
    plan = solved(problem)
    assert day_of(problem, plan, "GM0344:intake") == date(2023, 4, 12)


def test_intake_keeps_to_office_hours_when_availability_starts_earlier():
    problem = tiny_problem(orgs=["GM0344"], people=["T1"], sessions=(), trainings={})
    problem = with_available(
        problem, "GM0344", ("2023-03-01", "07:00", "10:00"), ("2023-03-02", "10:00", "12:00")
    )
    plan = solved(problem)
    assert day_of(problem, plan, "GM0344:intake") == date(2023, 3, 2)


def test_team_member_on_leave_is_replaced_by_a_colleague():
    problem = tiny_problem(orgs=["GM0344"], people=["T1", "T2"], sessions=(), trainings={})
    problem = with_available(problem, "GM0344", ("2023-03-01", "09:00", "17:00"))
    problem = with_person(
        problem, "T1", unavailable=windows(problem, ("2023-03-01", "00:00", "23:59"))
    )
    plan = solved(problem)
    assert plan.appointment("GM0344:intake").people == ("T2",)


def test_an_intake_too_late_for_its_training_still_gets_its_session():
    """Utrecht's training must end by 31 March 2023, so the intake should be before about
    3 February; its mayor's only such morning (10 January) is T1's day off, the rest is
    March. The intake and the session are planned (in March and after), only the training,
    whose window then closes, is left with its reason."""
    problem = tiny_problem(
        orgs=["GM0344"],
        people=["T1", "R1"],
        sessions=("GM0344",),
        trainings={"GM0344": (date(2023, 3, 1), date(2023, 3, 31))},
    )
    problem = with_available(
        problem, "GM0344", ("2023-01-10", "09:00", "12:00"), ("2023-03-01", "09:00", "12:00"),
        ("2023-04-03", "09:00", "17:00"), ("2023-04-04", "09:00", "17:00"),
    )  # fmt: skip
    problem = with_person(
        problem, "T1", unavailable=windows(problem, ("2023-01-10", "00:00", "23:59"))
    )
    plan = solved(problem)
    assert day_of(problem, plan, "GM0344:intake") == date(2023, 3, 1)
    assert day_of(problem, plan, "GM0344:session") in {date(2023, 4, 3), date(2023, 4, 4)}
    (left,) = plan.unplanned
    assert left.visit_id == "GM0344:training"
    assert "council session of Utrecht (GM0344) is on 2023-04-0" in left.reason
    assert "after its requested window closes on 2023-03-31" in left.reason


def test_an_intake_leaves_its_session_a_day_before_the_recess_that_its_training_needs():
    """Utrecht's training must be by 30 April 2023 and its council is in recess from 18 March
    to 16 April, so its session must be by 17 March and its intake by 17 February. Its
    mayor is free on 1 February and 3 March; Zeist's only on 3 March, so a route of both
    that day would be cheaper, and would leave the training no day."""
    problem = tiny_problem(
        orgs=["GM0344", "GM0355"],
        people=["T1", "R1"],
        sessions=("GM0344",),
        trainings={"GM0344": (date(2023, 3, 1), date(2023, 4, 30))},
        recess={"midden": ((date(2023, 3, 18), date(2023, 4, 16)),)},
    )
    problem = with_available(
        problem, "GM0344", ("2023-02-01", "09:00", "13:00"), ("2023-03-03", "09:00", "13:00"),
        ("2023-03-08", "13:00", "17:00"), ("2023-04-20", "13:00", "17:00"),
        ("2023-03-27", "09:00", "17:00"),
    )  # fmt: skip
    problem = with_available(problem, "GM0355", ("2023-03-03", "09:00", "13:00"))
    plan = solved(problem)
    assert day_of(problem, plan, "GM0344:intake") == date(2023, 2, 1)
    assert day_of(problem, plan, "GM0344:session") == date(2023, 3, 8)
    assert day_of(problem, plan, "GM0344:training") == date(2023, 3, 27)
    assert not plan.unplanned


def _scarce_session_day() -> Problem:
    """Utrecht's training must be by 31 March 2023, so its session by 17 March: its council
    is free for it only on 8 March (and on 27 March and 10 May, too late), and T1 is the only
    team member. Zeist and Amersfoort are free on 8 March, Zeist also on 15 March and
    Amersfoort on 22 March: one route of both on 8 March is cheaper than two days."""
    problem = tiny_problem(
        orgs=["GM0344", "GM0355", "GM0307"],
        people=["T1", "R1"],
        sessions=("GM0344",),
        trainings={"GM0344": (date(2023, 3, 1), date(2023, 3, 31))},
    )
    problem = with_available(
        problem, "GM0344", ("2023-02-01", "09:00", "12:00"), ("2023-03-08", "13:00", "17:00"),
        ("2023-03-27", "09:00", "17:00"), ("2023-05-10", "13:00", "17:00"),
    )  # fmt: skip
    problem = with_available(
        problem, "GM0355", ("2023-03-08", "09:00", "17:00"), ("2023-03-15", "09:00", "17:00")
    )
    return with_available(
        problem, "GM0307", ("2023-03-08", "09:00", "17:00"), ("2023-03-22", "09:00", "17:00")
    )


def test_the_only_day_left_for_a_session_before_its_training_is_kept_free_of_intakes():
    """Without the reservation stage 1 gives T1's 8 March to Zeist and Amersfoort, the
    session goes to 10 May and the training is lost."""
    problem = _scarce_session_day()
    cal = Calendar.of(problem)
    todo = list(problem.visits.values())
    ranges = {v.id: start_ranges(problem, v, cal) for v in todo}
    (reserved,) = session_reservations(problem, ranges, todo, {})
    assert (reserved.org, reserved.person) == ("GM0344", "T1")
    assert problem.axis.date_of_day(reserved.day) == date(2023, 3, 8)
    plan = solved(problem)
    assert day_of(problem, plan, "GM0344:session") == date(2023, 3, 8)
    assert day_of(problem, plan, "GM0344:training") == date(2023, 3, 27)
    assert not plan.unplanned


def test_a_reserved_session_day_is_the_one_the_previous_plan_gave_the_session():
    """Utrecht's session may be on 8 or 9 March (both before its training needs it); the
    latest would be reserved, but last night's plan has it on 8 March, so that day is kept."""
    problem = _scarce_session_day()
    problem = with_available(
        problem, "GM0344", ("2023-02-01", "09:00", "12:00"), ("2023-03-08", "13:00", "17:00"),
        ("2023-03-09", "13:00", "17:00"), ("2023-03-27", "09:00", "17:00"),
    )  # fmt: skip
    cal = Calendar.of(problem)
    todo = list(problem.visits.values())
    ranges = {v.id: start_ranges(problem, v, cal) for v in todo}
    (latest,) = session_reservations(problem, ranges, todo, {})
    assert problem.axis.date_of_day(latest.day) == date(2023, 3, 9)
    before = appointment(problem, "GM0344:session", ("R1", "T1"), "2023-03-08", "13:30")
    (kept,) = session_reservations(problem, ranges, todo, {}, previous={before.visit_id: before})
    assert (kept.person, problem.axis.date_of_day(kept.day)) == ("T1", date(2023, 3, 8))


def test_a_reserved_day_that_its_session_did_not_take_is_open_to_intakes_in_the_round():
    """Utrecht's session may be on 8 March with Daan (R2) or on 9 March with Carla (R1), both
    in time for its training, and 9 March (the latest) is reserved for it. Zeist's mayor is
    free only on 9 March. The round may give T1's 9 March to Zeist's intake and hold the
    session on 8 March with Daan, who lives nearer; with the reserved day closed to intakes
    in the round too, Zeist could only be hosted before the session on 9 March, with Carla."""
    problem = tiny_problem(
        orgs=["GM0344", "GM0355"],
        people=["T1", "R1", "R2"],
        sessions=("GM0344",),
        trainings={"GM0344": (date(2023, 3, 1), date(2023, 3, 31))},
    )
    problem = with_available(
        problem, "GM0344", ("2023-02-01", "09:00", "12:00"), ("2023-03-08", "13:00", "17:00"),
        ("2023-03-09", "13:00", "17:00"), ("2023-03-27", "09:00", "17:00"),
    )  # fmt: skip
    problem = with_available(problem, "GM0355", ("2023-03-09", "09:00", "12:00"))
    away = {"R1": "2023-03-08", "R2": "2023-03-09"}
    for person, day in away.items():
        leave = ((at(problem, day, "00:00"), at(problem, day, "23:59")),)
        problem = with_person(problem, person, unavailable=leave)
    cal = Calendar.of(problem)
    todo = list(problem.visits.values())
    ranges = {v.id: start_ranges(problem, v, cal) for v in todo}
    (reserved,) = session_reservations(problem, ranges, todo, {})
    assert problem.axis.date_of_day(reserved.day) == date(2023, 3, 9)
    plan = solved(problem, time_limit=40)
    assert day_of(problem, plan, "GM0344:session") == date(2023, 3, 8)
    assert day_of(problem, plan, "GM0355:intake") == date(2023, 3, 9)
    assert not plan.unplanned


def test_a_session_with_many_days_before_its_training_gets_no_reserved_day():
    problem = tiny_problem(
        orgs=["GM0344"], sessions=("GM0344",),
        trainings={"GM0344": (date(2023, 3, 1), date(2023, 6, 30))},
    )  # fmt: skip
    cal = Calendar.of(problem)
    todo = list(problem.visits.values())
    ranges = {v.id: start_ranges(problem, v, cal) for v in todo}
    assert session_reservations(problem, ranges, todo, {}) == []


def _late_intakes(days: dict[str, str]) -> Problem:
    """Mayors free only from 15:30 to 17:00 (one day each, ``days``: org -> ISO date), and
    T2 lives in Groningen, about two hours away: each intake is a day back after 17:30."""
    problem = tiny_problem(orgs=list(days), people=["T2"], sessions=(), trainings={})
    for org, day in days.items():
        problem = with_available(problem, org, (day, "15:30", "17:00"))
    return problem


def test_an_intake_that_needs_an_evening_is_planned_with_one():
    problem = _late_intakes({"GM0344": "2023-03-01"})
    plan = solved(problem)
    intake = plan.appointment("GM0344:intake")
    assert intake is not None and intake.people == ("T2",)
    (route,) = plan.routes
    assert route.back_home - problem.axis.at(route.day, 0) > problem.rules.work_end


@pytest.mark.parametrize("replan", [False, True], ids=["intake-stage", "re-planning-round"])
def test_intakes_that_need_evenings_keep_to_two_evenings_a_week(replan):
    """Three such intakes on Monday to Wednesday of one week: T2 has two evenings (the
    intake master's rows, and the re-planning round's)."""
    days = {"GM0344": "2023-03-06", "GM0307": "2023-03-07", "GM0355": "2023-03-08"}
    plan = solved(_late_intakes(days), settings=SolveSettings(host_intakes=replan))
    assert len(plan.appointments) == 2
    assert len(plan.unplanned) == 1


def _session_problem(evenings: list[str], **kw) -> Problem:
    """GM0344 with an intake on 2023-03-01 and only the given evenings free afterwards."""
    problem = tiny_problem(orgs=["GM0344"], sessions=("GM0344",), trainings={}, **kw)
    spans = [("2023-03-01", "09:00", "12:00")] + [(d, "19:00", "22:30") for d in evenings]
    return with_available(problem, "GM0344", *spans)


def test_session_takes_the_only_evening_that_team_member_and_trainer_share():
    problem = _session_problem(
        ["2023-04-03", "2023-04-04", "2023-04-05", "2023-04-06"], people=["T1", "R1"]
    )
    problem = with_person(
        problem,
        "T1",
        unavailable=windows(
            problem, ("2023-04-03", "00:00", "23:59"), ("2023-04-05", "00:00", "23:59")
        ),
    )
    problem = with_person(
        problem, "R1", unavailable=windows(problem, ("2023-04-04", "00:00", "23:59"))
    )
    plan = solved(problem)
    session = plan.appointment("GM0344:session")
    assert session is not None, plan.unplanned
    assert session.start == at(problem, "2023-04-06", "19:00")
    assert set(session.people) == {"T1", "R1"}


def test_session_skips_a_council_day():
    problem = _session_problem(["2023-04-03", "2023-04-04"], people=["T1", "R1"])
    cal = dataclasses.replace(
        problem.calendar("GM0344"), council_days=frozenset({date(2023, 4, 3)})
    )
    problem = dataclasses.replace(problem, org_calendars={"GM0344": cal})
    plan = solved(problem)
    assert day_of(problem, plan, "GM0344:session") == date(2023, 4, 4)


def test_session_skips_the_council_recess():
    problem = _session_problem(["2023-07-10", "2023-08-28"], people=["T1", "R1"])
    plan = solved(problem)
    assert day_of(problem, plan, "GM0344:session") == date(2023, 8, 28)


def test_session_waits_at_least_28_days_after_the_intake():
    problem = _session_problem(["2023-03-14", "2023-03-28", "2023-03-29"], people=["T1", "R1"])
    plan = solved(problem)
    assert day_of(problem, plan, "GM0344:session") == date(2023, 3, 29)


def test_team_member_does_at_most_two_evenings_a_week():
    orgs = ["GM0344", "GM0307", "GM0355"]
    problem = tiny_problem(orgs=orgs, people=["T1", "R1", "R2"], sessions=orgs, trainings={})
    week = ["2023-04-03", "2023-04-04", "2023-04-05", "2023-04-06"]
    for code in orgs:
        spans = [("2023-03-01", "09:00", "17:00"), ("2023-03-02", "09:00", "17:00")]
        spans += [(d, "19:00", "22:30") for d in week]
        if code == "GM0355":
            spans.append(("2023-04-11", "19:00", "22:30"))
        problem = with_available(problem, code, *spans)
    plan = solved(problem)
    assert not plan.unplanned
    in_week = [
        a
        for a in plan.appointments
        if a.stage is Stage.SESSION and a.start < at(problem, "2023-04-08", "00:00")
    ]
    assert len(in_week) == 2


def test_trainer_gives_at_most_two_sessions_a_week():
    orgs = ["GM0344", "GM0307", "GM0355"]
    rules = Rules(max_evenings_per_week=5)
    problem = tiny_problem(orgs=orgs, people=["T1", "R1"], sessions=orgs, trainings={}, rules=rules)
    for code in orgs:
        spans = [("2023-03-01", "09:00", "17:00"), ("2023-03-02", "09:00", "17:00")]
        spans += [(d, "19:00", "22:30") for d in ("2023-04-03", "2023-04-04", "2023-04-05")]
        if code == "GM0307":
            spans.append(("2023-04-12", "19:00", "22:30"))
        problem = with_available(problem, code, *spans)
    plan = solved(problem)
    assert not plan.unplanned
    weeks = [
        problem.axis.date_of(a.start).isocalendar()[1]
        for a in plan.appointments
        if a.stage is Stage.SESSION
    ]
    assert max(weeks.count(w) for w in set(weeks)) <= 2


def test_training_follows_its_session_by_at_least_14_days():
    problem = tiny_problem(
        orgs=["GM0344"],
        people=["T1", "R1"],
        sessions=("GM0344",),
        trainings={"GM0344": (date(2023, 4, 1), date(2023, 6, 30))},
    )
    problem = with_available(
        problem,
        "GM0344",
        ("2023-03-01", "09:00", "12:00"),
        ("2023-04-12", "19:00", "22:30"),
        ("2023-04-20", "09:00", "17:00"),
        ("2023-05-03", "09:00", "17:00"),
    )
    plan = solved(problem)
    assert day_of(problem, plan, "GM0344:session") == date(2023, 4, 12)
    assert day_of(problem, plan, "GM0344:training") == date(2023, 5, 3)


def test_deadline_is_kept_and_a_visit_with_no_time_before_it_is_explained():
    rules = Rules(deadline=date(2024, 6, 30))
    problem = tiny_problem(
        orgs=["GM0344", "GM0307"], people=["T1"], sessions=(), trainings={}, rules=rules
    )
    problem = with_available(
        problem, "GM0344", ("2024-06-28", "09:00", "12:00"), ("2024-07-01", "09:00", "12:00")
    )
    problem = with_available(problem, "GM0307", ("2024-07-01", "09:00", "12:00"))
    plan = solved(problem)
    assert day_of(problem, plan, "GM0344:intake") == date(2024, 6, 28)
    [left] = plan.unplanned
    assert left.visit_id == "GM0307:intake"
    assert "no availability" in left.reason and "Amersfoort" in left.reason


def test_island_without_availability_ends_unplanned_with_a_reason_not_an_exception():
    problem = tiny_problem(
        orgs=["GM0344", "GM0014"], people=["T1", "T2"], sessions=("GM0014",), trainings={}
    )
    cal = OrgCalendar(available=())
    problem = dataclasses.replace(problem, org_calendars={"GM0014": cal})
    plan = solved(problem)
    reasons = {u.visit_id: u.reason for u in plan.unplanned}
    assert set(reasons) == {"GM0014:intake", "GM0014:session"}
    assert "no availability of Groningen" in reasons["GM0014:intake"]
    assert "intake of Groningen" in reasons["GM0014:session"]


def test_pinned_appointments_come_back_unchanged():
    problem = tiny_problem()
    first = solved(problem)
    pins = first.appointments[::2]
    again = solved(dataclasses.replace(problem, pins=tuple(pins)))
    for pin in pins:
        assert again.appointment(pin.visit_id) == pin


def test_same_inputs_and_seed_give_the_same_plan():
    problem = tiny_problem()
    a = solve(problem, time_limit=20, seed=3, deterministic=True)
    b = solve(problem, time_limit=20, seed=3, deterministic=True)
    assert a.appointments == b.appointments


def test_deterministic_runs_leave_out_the_clocked_neighbourhood_search(monkeypatch):
    """Its neighbourhood MIPs stop after ``LNS_SUB_S`` seconds, so a deterministic run (the
    MIPs to optimality instead) must not use it; a normal run offers it to both intake
    masters (the first one and the re-planning round)."""
    searches: list[bool] = []
    real = solve_module.solve_intakes

    def spy(*args, search: bool = True, **kwargs):
        searches.append(search)
        return real(*args, search=search, **kwargs)

    monkeypatch.setattr(solve_module, "solve_intakes", spy)
    solve(tiny_problem(), time_limit=20, seed=3, deterministic=True)
    assert searches == [False, False]
    searches.clear()
    solve(tiny_problem(), time_limit=20, seed=3)
    assert searches == [True, True]


def test_greedy_baseline_is_valid_and_never_cheaper_than_the_planner():
    problem = tiny_problem()
    exact = solved(problem)
    greedy = solved(problem, method="greedy")
    assert len(greedy.unplanned) >= len(exact.unplanned)
    assert greedy.travel_min >= exact.travel_min


@pytest.mark.slow
def test_intake_reference_instance_reaches_its_proven_optimum(shared_data):
    from optimizer.data.intake_bench import read_intake_benchmark

    bench = read_intake_benchmark(shared_data / "bench" / "intake_k8.json")
    plan = solved(bench.problem, time_limit=60)
    assert not plan.unplanned
    assert plan.travel_min == bench.best_known


def test_replanning_places_nothing_new_in_the_past():
    problem = tiny_problem()
    first = solved(problem)
    as_of = problem.axis.date_of(sorted(a.start for a in first.appointments)[4])
    done = tuple(a for a in first.appointments if problem.axis.date_of(a.start) <= as_of)
    later = dataclasses.replace(problem, pins=done, replan_from=as_of + timedelta(days=1))
    plan = solved(later, previous=first)
    for a in plan.appointments:
        assert a in done or problem.axis.date_of(a.start) > as_of


def test_two_nearby_sessions_share_one_day_afternoon_then_evening():
    orgs = ["GM0344", "GM0310"]
    problem = tiny_problem(orgs=orgs, people=["T1", "R1"], sessions=orgs, trainings={})
    problem = with_available(
        problem, "GM0344", ("2023-03-01", "09:00", "12:00"), ("2023-04-05", "13:30", "17:00")
    )
    problem = with_available(
        problem, "GM0310", ("2023-03-01", "13:00", "17:00"), ("2023-04-05", "19:00", "22:30")
    )
    plan = solved(problem)
    first, second = plan.appointment("GM0344:session"), plan.appointment("GM0310:session")
    assert first is not None and second is not None, plan.unplanned
    assert day_of(problem, plan, "GM0344:session") == day_of(problem, plan, "GM0310:session")
    assert first.people == second.people and first.end <= second.start
    [route] = [r for r in plan.routes if r.person == "T1" and r.day == date(2023, 4, 5)]
    assert route.visits == ("GM0344:session", "GM0310:session")


def test_session_whose_only_free_evenings_fall_in_the_recess_says_so():
    problem = _session_problem(["2023-07-10", "2023-07-11"], people=["T1", "R1"])
    plan = solved(problem)
    [left] = plan.unplanned
    assert left.visit_id == "GM0344:session"
    assert "council recess" in left.reason and "Utrecht" in left.reason


@pytest.mark.slow
def test_half_of_the_reference_plan_pinned_comes_back_unchanged(shared_data):
    from optimizer.data.intake_bench import read_intake_benchmark

    problem = read_intake_benchmark(shared_data / "bench" / "intake_k8.json").problem
    first = solved(problem, time_limit=60)
    pins = first.appointments[::2]
    again = solved(dataclasses.replace(problem, pins=tuple(pins)), time_limit=60)
    assert not again.unplanned
    for pin in pins:
        assert again.appointment(pin.visit_id) == pin


def test_person_free_agrees_with_checking_every_interval():
    """The bisect look-up of ``slots.person_free`` against the plain definition."""
    import random

    from optimizer.domain import Person, Point, Role
    from optimizer.solve.slots import person_free

    rng = random.Random(3)
    for _ in range(200):
        busy = tuple((a, a + rng.randint(1, 300)) for a in rng.sample(range(0, 5000), 8))
        free = tuple((a, a + rng.randint(100, 900)) for a in rng.sample(range(0, 5000), 4))
        person = Person("X", "X", Role.TEAM, Point(5, 52), "X", unavailable=busy, available=free)
        for _ in range(20):
            a = rng.randint(0, 5200)
            b = a + rng.randint(1, 400)
            clear = not any(u0 < b and a < u1 for u0, u1 in busy)
            inside = any(v0 <= a and b <= v1 for v0, v1 in free)
            assert person_free(person, (a, b)) == (clear and inside)


def test_session_pair_starts_the_afternoon_session_late_to_keep_the_day_short():
    """With a 500-minute day, 13:30 + evening would be too long; 14:30 fits."""
    rules = Rules(max_work_min_per_day=500)
    problem = tiny_problem(
        orgs=["GM0344", "GM0355"],
        people=["T1", "R2"],
        sessions=("GM0344", "GM0355"),
        trainings={},
        rules=rules,
    )
    problem = with_available(
        problem, "GM0344", ("2023-03-01", "09:00", "13:00"), ("2023-04-05", "13:30", "17:00")
    )
    problem = with_available(
        problem, "GM0355", ("2023-03-01", "09:00", "13:00"), ("2023-04-05", "19:00", "22:30")
    )
    mayor_away = ((at(problem, "2023-04-05", "00:00"), at(problem, "2023-04-06", "00:00")),)
    problem = with_calendar(problem, "GM0344", busy=mayor_away)  # no intake on 5 April
    plan = solved(problem)
    assert not plan.unplanned
    afternoon = plan.appointment("GM0344:session")
    assert day_of(problem, plan, "GM0355:session") == day_of(problem, plan, "GM0344:session")
    assert afternoon.start > at(problem, "2023-04-05", "13:30")


def test_a_mayors_block_over_midnight_cuts_both_days_and_leaves_the_next_day_whole():
    """``start_ranges`` on a block split at midnight (Monday 12:00 to Tuesday 10:00) and on
    the day after it, which has no block (the fast path)."""
    problem = tiny_problem(orgs=["GM0344"], sessions=(), trainings={})
    block = (at(problem, "2023-03-06", "12:00"), at(problem, "2023-03-07", "10:00"))
    problem = with_calendar(problem, "GM0344", busy=(block,))
    intake = problem.visits["GM0344:intake"]
    ranges = start_ranges(problem, intake, Calendar.of(problem))
    by_date = {problem.axis.date_of(rs[0][0]).isoformat(): rs for rs in ranges.values()}
    length = intake.duration_min

    def span(day: str, first: str, end: str) -> list[tuple[int, int]]:
        return [(at(problem, day, first), at(problem, day, end) - length)]

    assert by_date["2023-03-06"] == span("2023-03-06", "09:00", "12:00")
    assert by_date["2023-03-07"] == span("2023-03-07", "10:00", "17:00")
    assert by_date["2023-03-08"] == span("2023-03-08", "09:00", "17:00")


@pytest.mark.parametrize(
    "settings",
    [SolveSettings(sessions_first=True), SolveSettings(lag_slack_days=60)],
    ids=["sessions-first", "lag-slack"],
)
def test_sessions_placed_before_their_intakes_keep_every_visit_and_the_lag(settings):
    """With the sessions placed first (or up to 60 days outside the lag to the stage-1
    intake), every intake is planned in the round inside its session's lag window (28-182
    days before it); the validator finds nothing wrong."""
    problem = tiny_problem()
    classic = solved(problem)
    plan = solved(problem, settings=settings)
    assert {u.visit_id for u in plan.unplanned} == {u.visit_id for u in classic.unplanned}
    rules = problem.rules
    sessions = [v for v in problem.visits.values() if v.stage is Stage.SESSION]
    assert sessions
    for session in sessions:
        gap = (
            day_of(problem, plan, session.id) - day_of(problem, plan, f"{session.org}:intake")
        ).days
        assert rules.session_lag_min_days <= gap <= rules.session_lag_max_days


def test_a_session_placed_first_may_start_after_its_intakes_tenth_possible_day():
    """A session's window (sessions first) opens 28 days after the tenth day on which a team
    member can make its intake, and closes 182 days after the last such day."""
    problem = tiny_problem(orgs=["GM0344"], people=["T1", "R1"], sessions=("GM0344",))
    cal = Calendar.of(problem)
    todo = list(problem.visits.values())
    ranges = {v.id: start_ranges(problem, v, cal) for v in todo}
    inst = solve_module.intake_instance(problem, cal, todo, ranges, {})
    possible = [
        d
        for d in sorted(inst.ranges[0])
        if solve_module._timeable_on(inst, 0, d, problem.rules.evening_end)
    ]
    assert len(possible) > solve_module.INTAKE_DAYS_BEFORE_SESSION
    first, last = solve_module.session_windows(inst)["GM0344"]
    rules = problem.rules
    assert (
        first == possible[solve_module.INTAKE_DAYS_BEFORE_SESSION - 1] + rules.session_lag_min_days
    )
    assert last == possible[-1] + rules.session_lag_max_days
