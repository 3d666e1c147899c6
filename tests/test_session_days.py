"""The sessions' people chosen again in the re-planning round
(``optimizer.solve.session_days``): with the sessions' days and starts kept, a session's team
member or trainer may change so that a person's day combines stages; the weekly limits hold as
capacity rows; every plan passes the independent validator."""

from __future__ import annotations

import dataclasses
from datetime import date

from optimizer.domain import Kind, Organisation, Point, Problem, Role, Stage, Status, Visit
from optimizer.plan.validate import validate
from optimizer.solve.dayroutes import RouteColumn
from optimizer.solve.intakes import Limits, solve_intakes
from optimizer.solve.session_days import (
    SessionDaySettings,
    current_days,
    lag_links,
    option_windows,
    part_id,
    part_of,
    part_rows,
    part_visits,
    session_days,
    session_options,
)
from optimizer.solve.slots import Calendar, start_ranges
from optimizer.solve.solve import SolveSettings, solve
from tests.factories import appointment, tiny_problem, with_calendar
from tests.test_hosted import solved_valid
from tests.test_solver import day_of, windows, with_available

FIXED_PEOPLE = SolveSettings(free_session_people=False)
TRAININGS_UTRECHT = {"GM0344": (date(2023, 5, 1), date(2023, 9, 30))}


def _two_sessions_on_one_day() -> tuple[Problem, list]:
    """Utrecht's session on 5 April 2023 at 14:00 and Amersfoort's at 19:30, both by T1 and
    R2, as stage 2 would place a session pair."""
    problem = tiny_problem(
        orgs=["GM0344", "GM0307", "GM0014"],
        people=["T1", "T2", "R1", "R2"],
        sessions=("GM0344", "GM0307"),
        trainings={},
    )
    sessions = [
        appointment(problem, "GM0344:session", ("T1", "R2"), "2023-04-05", "14:00"),
        appointment(problem, "GM0307:session", ("T1", "R2"), "2023-04-05", "19:30"),
    ]
    return problem, sessions


def test_part_ids_name_the_session_and_the_role():
    assert part_id("GM0344:session", Role.TEAM) == "GM0344:session#team"
    assert part_of("GM0344:session#trainer") == ("GM0344:session", Role.TRAINER)
    assert part_of("GM0344:intake") is None


def test_each_session_has_a_team_part_and_a_trainer_part_with_its_penalty():
    problem, sessions = _two_sessions_on_one_day()
    parts = part_visits(problem, sessions[:1])
    assert [v.id for v in parts] == ["GM0344:session#team", "GM0344:session#trainer"]
    assert all(v.required and v.stage is Stage.SESSION and v.org == "GM0344" for v in parts)


def test_session_days_offer_every_person_who_can_make_the_fixed_starts():
    """Singles and the pair for each person of the role; T2 (Groningen) cannot do the pair
    (home after 23:00), only Utrecht's afternoon; the sessions keep their starts; a pinned
    day of T1 is not offered."""
    problem, sessions = _two_sessions_on_one_day()
    days = session_days(problem, sessions, {})
    offered = {(d.column.person, d.column.visits) for d in days}
    utrecht, amersfoort = "GM0344:session", "GM0307:session"
    team = {(part_id(utrecht, Role.TEAM),), (part_id(amersfoort, Role.TEAM),)}
    team_pair = (part_id(utrecht, Role.TEAM), part_id(amersfoort, Role.TEAM))
    assert {v for p, v in offered if p == "T1"} == team | {team_pair}
    assert {v for p, v in offered if p == "T2"} == {(part_id(utrecht, Role.TEAM),)}
    assert {p for p, _ in offered} == {"T1", "T2", "R1", "R2"}
    start = {a.visit_id: a.start for a in sessions}
    for d in days:
        col = d.column
        assert [start[part_of(v)[0]] for v in col.visits] == list(col.starts)
        assert problem.people[col.person].role is part_of(col.visits[0])[1]
        assert d.host.first_start == col.starts[0] and d.host.n_visits == len(col.visits)
    day = sessions[0].start // (24 * 60)
    blocked = session_days(problem, sessions, {"T1": {day}})
    assert all(d.column.person != "T1" for d in blocked)


def test_the_current_session_days_are_columns_of_their_people():
    problem, sessions = _two_sessions_on_one_day()
    cols = current_days(problem, sessions)
    assert sorted((c.person, len(c.visits)) for c in cols) == [("R2", 2), ("T1", 2)]
    offered = {(d.column.person, d.column.visits, d.column.travel_min) for d in
               session_days(problem, sessions, {})}  # fmt: skip
    assert all((c.person, c.visits, c.travel_min) in offered for c in cols)


def test_part_rows_count_evenings_and_sessions_and_put_both_parts_at_one_start():
    problem, sessions = _two_sessions_on_one_day()
    cal = Calendar.of(problem)
    week = cal.iso_week(sessions[0].start // (24 * 60))
    rows = part_rows(problem, cal, {("T1", week): 1}, {})
    same = [("same", a.visit_id, a.start) for a in sessions]
    by_person = {c.person: c for c in current_days(problem, sessions)}
    assert list(rows.usage(by_person["T1"])) == [
        (same[0], 1.0),
        (same[1], 1.0),
        (("evenings", "T1", week), 1.0),
    ]
    assert list(rows.usage(by_person["R2"])) == [
        (same[0], -1.0),
        (same[1], -1.0),
        (("sessions", "R2", week), 2.0),
    ]
    afternoon = session_days(problem, sessions[:1], {})
    t1_afternoon = next(d.column for d in afternoon if d.column.person == "T1")
    assert list(rows.usage(t1_afternoon)) == [(same[0], 1.0)]  # home by 17:30: no evening
    assert rows.room(("evenings", "T1", week)) == 1  # one of two used by a pin
    assert rows.room(("sessions", "R2", week)) == 2
    assert (rows.room(same[0]), rows.floor(same[0])) == (0.0, 0.0)
    assert rows.floor(("sessions", "R2", week)) is None


def test_a_capacity_row_keeps_the_master_within_its_room():
    """Two visits, each with a cheap column that uses the same key (room 1) and a dear one
    that does not: the master takes one cheap and one dear column."""
    visits = [Visit("A:intake", "A", Stage.INTAKE, 90), Visit("B:intake", "B", Stage.INTAKE, 90)]
    columns = [
        RouteColumn("T1", 1, ("A:intake",), (100,), 10, 0),
        RouteColumn("T1", 2, ("B:intake",), (100,), 10, 0),
        RouteColumn("T2", 1, ("A:intake",), (100,), 50, 0),
        RouteColumn("T2", 2, ("B:intake",), (100,), 50, 0),
    ]
    limits = Limits(lambda c: [("k", 1.0)] if c.person == "T1" else [], lambda key: 1.0)
    free = solve_intakes(visits, columns, previous={}, time_limit=5, seed=0)
    assert sum(c.travel_min for c in free.chosen) == 20
    capped = solve_intakes(visits, columns, previous={}, time_limit=5, seed=0, limits=limits)
    assert sorted(c.travel_min for c in capped.chosen) == [10, 50]


def _intake_only_free_on_the_session_day() -> Problem:
    """Utrecht's session can only be on the afternoon of 5 April 2023 (its mayor is busy
    then, so its intake is on 1 March), and Zeist's mayor is free only that morning: stage 1
    gives T1 (De Bilt) Zeist's intake on 5 April, so stage 2 must send T2 from Groningen to
    Utrecht's session."""
    problem = tiny_problem(
        orgs=["GM0344", "GM0355"], people=["T1", "T2", "R2"], sessions=("GM0344",), trainings={}
    )
    problem = with_available(
        problem, "GM0344", ("2023-03-01", "09:00", "12:00"), ("2023-04-05", "13:00", "17:00")
    )
    problem = with_calendar(
        problem, "GM0344", busy=windows(problem, ("2023-04-05", "13:00", "17:00"))
    )
    return with_available(problem, "GM0355", ("2023-04-05", "09:00", "12:00"))


def test_a_nearby_team_member_takes_the_session_and_the_intake_before_it():
    problem = _intake_only_free_on_the_session_day()
    fixed = solved_valid(problem, settings=FIXED_PEOPLE)
    assert fixed.appointment("GM0344:session").people[0] == "T2"
    plan = solved_valid(problem)
    session, intake = plan.appointment("GM0344:session"), plan.appointment("GM0355:intake")
    assert session.people == ("T1", "R2")
    assert session.start == fixed.appointment("GM0344:session").start  # the start is kept
    assert intake.people == ("T1",) and day_of(problem, plan, "GM0355:intake") == date(2023, 4, 5)
    assert intake.end <= session.start
    assert not any(r.person == "T2" for r in plan.routes)
    assert plan.travel_min < fixed.travel_min - 200  # T2's round trip from Groningen saved


def _intake_only_free_a_week_after_the_session() -> Problem:
    """Utrecht's session may be on the afternoon of 5 or of 12 April 2023 (its mayor busy
    then), Zeist's mayor is free only on the morning of 12 April: stage 1 gives T1 Zeist's
    intake on 12 April, and stage 2 Utrecht's session to T1 on 5 April."""
    problem = tiny_problem(
        orgs=["GM0344", "GM0355"], people=["T1", "T2", "R2"], sessions=("GM0344",), trainings={}
    )
    spans = (("2023-04-05", "13:00", "17:00"), ("2023-04-12", "13:00", "17:00"))
    problem = with_available(problem, "GM0344", ("2023-03-01", "09:00", "12:00"), *spans)
    problem = with_calendar(problem, "GM0344", busy=windows(problem, *spans))
    return with_available(problem, "GM0355", ("2023-04-12", "09:00", "12:00"))


def test_a_session_moves_to_another_day_where_its_team_member_has_an_intake_nearby():
    problem = _intake_only_free_a_week_after_the_session()
    kept = solved_valid(problem)  # a 20 s plan: the round offers no other days
    assert day_of(problem, kept, "GM0344:session") == date(2023, 4, 5)
    eager = SolveSettings(session_days=SessionDaySettings(other_days_from_s=0.0))
    plan = solved_valid(problem, settings=eager)
    session, intake = plan.appointment("GM0344:session"), plan.appointment("GM0355:intake")
    assert day_of(problem, plan, "GM0344:session") == date(2023, 4, 12)
    assert session.people[0] == intake.people[0] == "T1"
    assert intake.end <= session.start
    assert plan.travel_min < kept.travel_min


def test_other_days_keep_the_intake_and_training_lags_and_a_proposed_session_stays():
    problem, sessions = _two_sessions_on_one_day()
    utrecht = sessions[0]
    cal = Calendar.of(problem)
    ranges = {utrecht.visit_id: start_ranges(problem, problem.visits[utrecht.visit_id], cal)}
    day0 = utrecht.start // (24 * 60)
    known = {"GM0344": {Stage.INTAKE: day0 - 40, Stage.TRAINING: day0 + 20}}
    settings = SessionDaySettings(other_days=30)
    options = session_options(problem, [utrecht], ranges, known, {}, settings)
    assert options[0] == utrecht
    days = {a.start // (24 * 60) for a in options[1:]}
    assert days and day0 not in days
    assert all(day0 - 12 <= d <= day0 + 6 for d in days)  # intake + 28 .. training - 14
    for a in options[1:]:
        day = a.start // (24 * 60)
        assert any(lo <= a.start <= hi for lo, hi in ranges[utrecht.visit_id][day])
        assert a.end - a.start == utrecht.end - utrecht.start
    lo, hi = option_windows(problem, options)["GM0344"]
    assert (lo, hi) == (max(days | {day0}) - 182, min(days | {day0}) - 28)
    linked = option_windows(problem, options, linked={"GM0344"})["GM0344"]
    assert linked == (min(days | {day0}) - 182, max(days | {day0}) - 28)  # some day keeps it
    proposed = {utrecht.visit_id: dataclasses.replace(utrecht, status=Status.PROPOSED)}
    assert session_options(problem, [utrecht], ranges, known, proposed, settings) == [utrecht]


def test_a_proposed_session_keeps_its_people_and_its_status():
    """The session proposed to Utrecht (T2 from Groningen, as stage 2 placed it) stays with
    T2 in the next plan, although T1 could take it with Zeist's intake: a change of people
    would reset what was sent."""
    problem = _intake_only_free_on_the_session_day()
    fixed = solved_valid(problem, settings=FIXED_PEOPLE)
    sent = [
        dataclasses.replace(a, status=Status.PROPOSED) if a.stage is Stage.SESSION else a
        for a in fixed.appointments
    ]
    plan = solve(problem, time_limit=20, seed=0, previous=sent)
    assert validate(problem, plan) == []
    session = plan.appointment("GM0344:session")
    assert session.people == fixed.appointment("GM0344:session").people
    assert session.status is Status.PROPOSED


def test_lag_rows_cut_exactly_the_day_choices_that_break_a_lag():
    """Utrecht's session offered on three days; for every intake, session and training day
    around them, the columns' lag rows (at most one of each row) hold exactly when intake +
    28 <= session <= intake + 182 and training >= session + 14."""
    problem = tiny_problem(
        orgs=["GM0344"], people=["T1", "R1"], sessions=("GM0344",), trainings=TRAININGS_UTRECHT
    )
    session = appointment(problem, "GM0344:session", ("T1", "R1"), "2023-06-07", "14:00")
    s0 = session.start // (24 * 60)
    offered = [dataclasses.replace(session, start=session.start + k * 24 * 60) for k in (0, 7, 21)]
    intake, training = problem.visits["GM0344:intake"], problem.visits["GM0344:training"]
    links = lag_links(offered, [intake], [training])
    assert links.days == {"GM0344": (s0, s0 + 7, s0 + 21)}
    rows = part_rows(problem, Calendar.of(problem), {}, {}, links)

    def keys(col: RouteColumn) -> set:
        return {k for k, _ in rows.usage(col) if k[0] in ("after", "before", "training")}

    for s in links.days["GM0344"]:
        part = keys(RouteColumn("T1", s, (part_id(session.visit_id, Role.TEAM),), (0,), 0, 0))
        for i in range(s - 200, s, 3):
            on_intake = keys(RouteColumn("T1", i, (intake.id,), (0,), 0, 0))
            assert bool(part & on_intake) == (not 28 <= s - i <= 182), (s - s0, i - s)
            assert all(rows.room(k) == 1.0 for k in on_intake)
        for t in range(s - 5, s + 30):
            on_training = keys(RouteColumn("R1", t, (training.id,), (0,), 0, 0))
            assert bool(part & on_training) == (t - s < 14), (s - s0, t - s)


def _session_earlier_needs_its_intake_earlier() -> Problem:
    """Utrecht's mayor can do the intake on 1 or 15 March 2023 (mornings), its council the
    session on the afternoon of 5 or 19 April; Amersfoort's mayor is free only on 15 March,
    Nieuwegein's only on the morning of 5 April. Stage 1 pairs Utrecht's and Amersfoort's
    intakes on 15 March, so stage 2 can only put the session on 19 April (5 April is 21 days
    after the intake). Moving the session to 5 April, with Nieuwegein's intake before it,
    needs Utrecht's intake moved to 1 March."""
    nieuwegein = Organisation("GM0356", "Nieuwegein", Kind.GEMEENTE, "PV26", "Utrecht",
                              Point(5.0836, 52.0290), "midden")  # fmt: skip
    problem = tiny_problem(
        orgs=["GM0344", "GM0307", nieuwegein],
        people=["T1", "T2", "R2"],
        sessions=("GM0344",),
        trainings={},
    )
    spans = (("2023-04-05", "13:00", "17:00"), ("2023-04-19", "13:00", "17:00"))
    mornings = (("2023-03-01", "09:00", "13:00"), ("2023-03-15", "09:00", "13:00"))
    problem = with_available(problem, "GM0344", *mornings, *spans)
    problem = with_calendar(problem, "GM0344", busy=windows(problem, *spans))
    problem = with_available(problem, "GM0307", mornings[1])
    return with_available(problem, "GM0356", ("2023-04-05", "09:00", "12:00"))


def test_a_session_moves_earlier_and_its_intake_with_it_through_the_lag_rows():
    problem = _session_earlier_needs_its_intake_earlier()
    kept = SessionDaySettings(other_days_from_s=0.0, lag_rows=False)
    before = solved_valid(problem, settings=SolveSettings(session_days=kept))
    assert day_of(problem, before, "GM0344:intake") == date(2023, 3, 15)
    assert day_of(problem, before, "GM0344:session") == date(2023, 4, 19)
    linked = SessionDaySettings(other_days_from_s=0.0, lag_rows=True)
    plan = solved_valid(problem, settings=SolveSettings(session_days=linked))
    assert day_of(problem, plan, "GM0344:intake") == date(2023, 3, 1)
    assert day_of(problem, plan, "GM0344:session") == date(2023, 4, 5)
    hosted = plan.appointment("GM0356:intake")
    assert hosted.people[0] == plan.appointment("GM0344:session").people[0] == "T1"
    assert day_of(problem, plan, "GM0356:intake") == date(2023, 4, 5)
    assert plan.travel_min < before.travel_min - 10
