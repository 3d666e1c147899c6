"""The nightly re-plan (``optimizer nightly``): yesterday's plan + tonight's news -> a new version.

:func:`run_nightly` does, while holding the store's run lock (a second run refuses at once):

1. **Drop folder** (:mod:`~optimizer.plan.status_updates`): new availability calendars are
   copied into the scenario's calendars folder (``orgs/`` or ``people/``) by write-and-rename,
   unless the file there already has the same SHA-256, and noted with
   :meth:`~optimizer.plan.store.PlanStore.record_calendar_import`; status updates are recorded
   in the store (the date of a row without one is the as-of date).
2. **Problem**: :func:`~optimizer.data.problem.build_problem` on the scenario, then
   :func:`night_problem` adds what the store knows (see below).
3. **Solve** (:func:`~optimizer.solve.solve.solve`) by the strategies of :data:`STRATEGIES`:
   ``full`` re-plans every visit after the as-of date, warm-started from the base version;
   ``repair`` keeps every base appointment that still breaks no rule and plans only the rest
   (cancelled, new and invalidated visits). The default ``best`` runs both (its ``full``
   solve keeps the proposed appointments that still break no rule, :func:`kept_proposed`)
   and keeps the valid plan of least :func:`plan_score` (unplanned visits, travel, moved
   proposed ones): the stored plan is never worse than yesterday's plan repaired, even when
   the full re-plan runs out of time. Every plan goes through the independent validator;
   one that breaks a rule is not stored (``SolveError``; the run is recorded as ``invalid``).
4. **Store** the new version with its run in one transaction
   (:meth:`~optimizer.plan.store.PlanStore.save_version`), then compute what changed.

**The base version** is the newest version whose as-of date lies *before* tonight's. Normally
that is the latest one; when the same night is run again (after a crash, or by hand) it is the
one the first run started from, so a re-run re-plans from the same starting point and, with
the same inputs, stores the same plan again. A store whose latest version is as of a later
date than tonight is refused (a nightly run cannot go back in time).

**Statuses** (:func:`effective_statuses`): a version stores the status of every appointment as
the nightly run left it (a moved ``proposed`` appointment becomes ``planned`` again: its new
date has not been sent); the version's summary holds ``status_events_upto``, the id of the
last status event that run had read. Tonight's status of a visit is the base version's, unless
a status event newer than that mark says otherwise (a reply, ``optimizer status set``, the
drop folder). So ``optimizer status show`` lists what people *reported*, and the latest
version holds what the plan *is*.

**Pins and previous** (:func:`night_problem`):

- pinned (kept exactly): appointments that are ``confirmed`` or ``done``, and every
  appointment on or before the as-of date (the past) that is not cancelled or declined;
- ``declined`` visits leave the problem, and with them the later stages of the same
  organisation that are not pinned (a declined session takes its training along, a declined
  intake the session and the training);
- ``cancelled`` visits are planned again, neither pinned nor offered as a warm start, and not
  on the day that was refused (that day is made busy in the organisation's calendar);
- ``previous`` is every other appointment of the base version with tonight's status: moving a
  ``proposed`` one costs disruption (:data:`~optimizer.solve.objective.MOVED_PROPOSED`), and
  they are the warm start of the MIPs;
- ``replan_from`` is the day after the as-of date: nothing new is planned in the past.

**Statuses of the new version**: an appointment at the same start, end and people as before
keeps tonight's status; a new or moved one is ``planned``.

**Determinism**: with ``deterministic=True`` the MIPs run to their optimality tolerance
whatever the time limit says (HiGHS single-threaded, seeded), so the same inputs give the
same plan; :func:`input_fingerprint` (stored with the run) identifies those inputs. Without
it, a solve is deterministic only when its MIPs finish inside their share of the time limit:
the ``repair`` solve (few visits) practically always does, a national ``full`` re-plan does
not, so the clock can change the full plan and, through :func:`plan_score`, which plan wins.
See ``docs/nightly.md`` for what was measured.

**Crash safety**: the version, its appointments and its run are written in one SQLite
transaction; a kill at any moment leaves the previous version current and readable. Status
updates and calendar copies made before a kill stay (each is atomic on its own) and are simply
read again by the next run. Drop-folder files are moved to ``<drop>/.done/<as-of>-v<version>/``
only after the version is committed.

Test hooks: ``OPTIMIZER_TEST_PAUSE_AT=<point>`` makes the run print ``paused at <point>`` on
stderr and sleep ``OPTIMIZER_TEST_PAUSE_S`` seconds (default 60) at that point, so a test can
kill it there: ``before_solve``, ``solving`` (at the solver's first progress report),
``before_commit`` (inside the write transaction of the new version, after its first rows are
written) and ``after_commit``.

Units: appointment start/end in axis minutes of the problem's axis; dates are local
(Europe/Amsterdam); times in :attr:`NightlyResult.timings` are wall-clock seconds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from optimizer.domain import (
    Appointment,
    OrgCalendar,
    Plan,
    Problem,
    SolveStats,
    Stage,
    Status,
    Unplanned,
)
from optimizer.errors import SolveError, StoreError
from optimizer.plan.diff import Notice, PlanDiff, diff_plans, format_diff
from optimizer.plan.store import INACTIVE, PlanStore, RunInfo, StoredPlan, file_sha256
from optimizer.plan.validate import Violation, format_violations, validate
from optimizer.scenario import Scenario, load_scenario
from optimizer.solve.solve import SolveSettings
from optimizer.timeaxis import AMSTERDAM, MINUTES_PER_DAY

PAUSE_ENV = "OPTIMIZER_TEST_PAUSE_AT"
PAUSE_SECONDS_ENV = "OPTIMIZER_TEST_PAUSE_S"
PAUSE_POINTS = ("before_solve", "solving", "before_commit", "after_commit")
WATERMARK_KEY = "status_events_upto"
"""Key of the version summary holding the id of the last status event the run had read."""
DONE_FOLDER = ".done"
"""Sub-folder of the drop folder where read files are moved after a committed run."""
STAGE_ORDER = (Stage.INTAKE, Stage.SESSION, Stage.TRAINING)
STRATEGIES = ("best", "full", "repair")
"""``full``: re-plan every visit after the as-of date, warm-started from the base version;
``repair``: keep every base appointment that still breaks no rule (:func:`kept_appointments`)
and plan only the rest (cancelled, new, invalidated visits); ``best``: both, and store the
valid plan of least :func:`plan_score`."""
MOVED_PLANNED_SCORE = 1.0
"""Travel-minute equivalents per moved ``planned`` appointment when the strategies' plans are
compared: not a cost the solver sees, a preference for the plan that changes fewer entries of
the people's calendars when two plans are about as good (moving 20 appointments to save 13
minutes of travel is not worth it; moving 120 to save 17 hours is)."""
REPAIR_SHARE = 0.25
"""Share of the time limit the ``repair`` solve may use under ``best`` (the rest: ``full``)."""

Progress = Callable[[dict], None]


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class NightProblem:
    """The problem of one night with what :func:`night_problem` decided on the way."""

    problem: Problem
    previous: dict[str, Appointment]
    """Base-version appointments with tonight's status (pins included), by visit id."""
    removed: tuple[str, ...]
    """Visits left out because they (or an earlier stage) were declined."""
    refused_days: dict[str, date]
    """Cancelled visits and the day that was refused (kept free for them tonight)."""
    notes: tuple[str, ...]
    """Planner-readable remarks (e.g. a confirmed visit that is no longer requested)."""


@dataclass(frozen=True)
class NightlyResult:
    """What one nightly run did. ``timings`` are wall-clock seconds per step and ``total``."""

    version_id: int
    store_path: Path
    as_of: date
    base_version: int | None
    """The version re-planned from (None on the first night)."""
    replaced_version: int | None
    """The latest version before tonight's (what people's calendars hold); the diff is
    against it. Differs from ``base_version`` when the same night is run again."""
    plan: Plan
    """The new plan, appointments with their statuses."""
    problem: Problem
    diff: PlanDiff
    summary: str
    """The diff in words (:func:`~optimizer.plan.diff.format_diff`)."""
    timings: Mapping[str, float]
    problems: tuple[str, ...]
    """Drop-folder lines that were skipped or refused (``file:line: what``) and other notes."""
    applied_updates: int
    calendars_imported: tuple[Path, ...]
    fingerprint: str
    counts: Mapping[str, int] = field(default_factory=dict)
    """added, moved, cancelled, moved_proposed, moved_fixed, unplanned, pinned, ..."""
    tolerated: tuple[Violation, ...] = ()
    """Rule violations caused by pinned appointments alone (e.g. a confirmed date that a new
    calendar now marks busy): reported, not blocking."""
    strategy: str = "full"
    """The strategy whose plan was stored (``full`` or ``repair``)."""
    scores: Mapping[str, float] = field(default_factory=dict)
    """:func:`plan_score` of each strategy's plan."""
    rejected: Mapping[str, list[str]] = field(default_factory=dict)
    """Strategies whose plan broke a rule (not stored), with the first few violations."""

    @property
    def notices(self) -> tuple[Notice, ...]:
        """Who must be told of tonight's changes (people and organisations)."""
        return self.diff.who_to_tell()


# ---------------------------------------------------------------------------------------------
# Test hooks


def pause_point(name: str) -> None:
    """Sleep here if ``$OPTIMIZER_TEST_PAUSE_AT`` names this point (tests kill the run)."""
    if os.environ.get(PAUSE_ENV) != name:
        return
    print(f"paused at {name}", file=sys.stderr, flush=True)
    time.sleep(float(os.environ.get(PAUSE_SECONDS_ENV, "60")))


def _write_locked(db: Path) -> bool:
    """Whether some connection holds the write lock of the SQLite file ``db``."""
    con = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        con.close()
    return False


class _PausingAppointments(Sequence[Appointment]):
    """The appointments to save; iterating them pauses at ``before_commit`` the first time
    the store's write transaction is open (only when that hook is set)."""

    def __init__(self, items: Sequence[Appointment], db: Path) -> None:
        self._items = list(items)
        self._db = db
        self._armed = os.environ.get(PAUSE_ENV) == "before_commit"

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index):  # type: ignore[override]
        return self._items[index]

    def __iter__(self) -> Iterator[Appointment]:
        if self._armed and _write_locked(self._db):
            self._armed = False
            pause_point("before_commit")
        return iter(self._items)


# ---------------------------------------------------------------------------------------------
# Statuses and the base version


def store_path_of(scenario: Scenario) -> Path:
    """The plan store of a scenario: its ``data.store`` (default ``plans.sqlite`` beside it)."""
    return scenario.path(scenario.data.store) or scenario.folder / "plans.sqlite"


def status_events_after(db: Path, watermark: int) -> tuple[dict[str, Status], int]:
    """The latest status per visit among the store's status events with id > ``watermark``,
    and the id of the newest event, read in one snapshot (one SELECT)."""
    con = sqlite3.connect(f"{Path(db).resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        rows = con.execute("SELECT id, visit_id, status FROM status_events ORDER BY id").fetchall()
    finally:
        con.close()
    latest: dict[str, Status] = {}
    for event_id, visit_id, status in rows:
        if event_id > watermark:
            latest[visit_id] = Status(status)
    return latest, max((r[0] for r in rows), default=0)


def find_base(store: PlanStore, as_of: date) -> tuple[StoredPlan | None, StoredPlan | None]:
    """(base, latest): the newest version as of before ``as_of``, and the newest version.

    Raises StoreError when the latest version is as of a later date than ``as_of``."""
    versions = store.versions()
    if not versions:
        return None, None
    latest = store.load_version(versions[-1])
    if latest.as_of > as_of:
        raise StoreError(
            f"{store.path}: the latest plan version {latest.version_id} is as of "
            f"{latest.as_of}, later than {as_of}; a nightly run cannot go back in time"
        )
    for version_id in reversed(versions):
        plan = latest if version_id == latest.version_id else store.load_version(version_id)
        if plan.as_of < as_of:
            return plan, latest
    return None, latest


def effective_statuses(base: StoredPlan | None, newer: Mapping[str, Status]) -> dict[str, Status]:
    """Tonight's status per visit: the base version's (tombstones included), overridden by
    the status events newer than the base version's mark (``newer``)."""
    statuses: dict[str, Status] = {}
    if base is not None:
        statuses.update({a.visit_id: a.status for a in base.cancelled})
        statuses.update({a.visit_id: a.status for a in base.appointments})
    statuses.update(newer)
    return statuses


# ---------------------------------------------------------------------------------------------
# The night's problem (pure)


def _declined(problem: Problem, statuses: Mapping[str, Status], pinned: set[str]) -> set[str]:
    """Declined visits and the later, unpinned stages of the same organisation."""
    removed: set[str] = set()
    for visit_id, status in statuses.items():
        visit = problem.visits.get(visit_id)
        if status is not Status.DECLINED or visit is None:
            continue
        removed.add(visit_id)
        later = STAGE_ORDER[STAGE_ORDER.index(visit.stage) + 1 :]
        for other in problem.visits.values():
            if other.org == visit.org and other.stage in later and other.id not in pinned:
                removed.add(other.id)
    return removed


def _block_days(problem: Problem, refused: Mapping[str, date]) -> dict[str, OrgCalendar]:
    """The organisations' calendars with each refused day made busy (00:00-24:00)."""
    calendars = dict(problem.org_calendars)
    for visit_id, day in refused.items():
        org = problem.visits[visit_id].org
        start = problem.axis.at(day, 0)
        cal = problem.calendar(org)
        calendars[org] = dataclasses.replace(
            cal, busy=tuple(sorted((*cal.busy, (start, start + MINUTES_PER_DAY))))
        )
    return calendars


def night_problem(
    problem: Problem, base: StoredPlan | None, statuses: Mapping[str, Status], as_of: date
) -> NightProblem:
    """``problem`` with tonight's pins, previous plan, removals and re-planning date (see the
    module docstring). ``base`` may be on any axis; ``statuses`` are tonight's."""
    stored = base.on_axis(problem.axis).appointments if base is not None else ()
    notes: list[str] = []
    current: dict[str, Appointment] = {}
    refused: dict[str, date] = {}
    for a in stored:
        status = statuses.get(a.visit_id, a.status)
        if status is Status.CANCELLED:
            refused[a.visit_id] = problem.axis.date_of(a.start)
        if status in INACTIVE:
            continue
        if a.visit_id not in problem.visits:
            notes.append(f"{a.visit_id} ({status}) is no longer a visit of the scenario; left out")
            continue
        current[a.visit_id] = dataclasses.replace(a.appointment, status=status)
    pins = tuple(
        a for a in current.values() if a.status.fixed or problem.axis.date_of(a.start) <= as_of
    )
    pinned = {a.visit_id for a in pins}
    removed = _declined(problem, statuses, pinned)
    for visit_id, status in sorted(statuses.items()):
        if status.fixed and visit_id in problem.visits and visit_id not in current:
            notes.append(f"{visit_id} is {status} but has no appointment; it is planned anew")
    visits = {k: v for k, v in problem.visits.items() if k not in removed}
    refused = {k: v for k, v in refused.items() if k in visits and v > as_of}
    previous = {k: a for k, a in current.items() if k not in removed}
    night = dataclasses.replace(
        problem,
        visits=visits,
        org_calendars=_block_days(problem, refused),
        pins=tuple(sorted(pins, key=lambda a: (a.start, a.visit_id))),
        previous=tuple(sorted(previous.values(), key=lambda a: (a.start, a.visit_id))),
        replan_from=as_of + timedelta(days=1),
    )
    return NightProblem(night, previous, tuple(sorted(removed)), refused, tuple(notes))


def with_statuses(plan: Plan, previous: Mapping[str, Appointment]) -> Plan:
    """The plan with each appointment's status: tonight's if it did not change (start, end
    and people), else ``planned``."""
    appointments = []
    for a in plan.appointments:
        before = previous.get(a.visit_id)
        status = Status.PLANNED
        if before is not None and (before.start, before.end, set(before.people)) == (
            a.start,
            a.end,
            set(a.people),
        ):
            status = before.status
        appointments.append(dataclasses.replace(a, status=status))
    return dataclasses.replace(plan, appointments=tuple(appointments))


def movement(previous: Mapping[str, Appointment], plan: Plan) -> dict[str, int]:
    """How many of the previous appointments moved (other start or end) or vanished, by
    their status: ``moved_proposed``, ``moved_fixed`` (confirmed or done: must be 0),
    ``moved_planned``, ``dropped_proposed`` (proposed and now unplanned) and so on."""
    now = {a.visit_id: a for a in plan.appointments}
    counts = {
        "moved_planned": 0,
        "moved_proposed": 0,
        "moved_fixed": 0,
        "dropped_planned": 0,
        "dropped_proposed": 0,
        "dropped_fixed": 0,
    }
    for visit_id, before in previous.items():
        kind = "fixed" if before.status.fixed else before.status.value
        after = now.get(visit_id)
        if after is None:
            counts[f"dropped_{kind}"] += 1
        elif (after.start, after.end) != (before.start, before.end):
            counts[f"moved_{kind}"] += 1
    return counts


def pinned_violations(problem: Problem, plan: Plan) -> tuple[list[Violation], list[Violation]]:
    """(blocking, tolerated): the plan's violations, split by whether the pinned
    appointments alone already break the same rule for the same subject."""
    violations = validate(problem, plan)
    if not violations or not problem.pins:
        return violations, []
    inherent = {(v.rule, v.subject) for v in validate(problem, _plan_of(problem, problem.pins))}
    blocking = [v for v in violations if (v.rule, v.subject) not in inherent]
    tolerated = [v for v in violations if (v.rule, v.subject) in inherent]
    return blocking, tolerated


def _plan_of(problem: Problem, appointments: Sequence[Appointment]) -> Plan:
    """A plan holding just ``appointments`` (routes rebuilt), every other visit unplanned."""
    from optimizer.solve.assemble import day_routes

    present = {a.visit_id for a in appointments}
    return Plan(
        tuple(appointments),
        tuple(day_routes(problem, appointments)),
        tuple(Unplanned(v, "not planned") for v in problem.visits if v not in present),
        SolveStats("keep", 0.0, 0.0, None, 0),
    )


def kept_appointments(night: NightProblem, *, rounds: int = 5) -> tuple[Appointment, ...]:
    """The base version's unpinned appointments that still break no rule tonight (with the
    pins): the plan of the ``repair`` strategy keeps them exactly.

    An appointment is left out when a rule names its visit (a new busy day, a stage whose
    earlier stage was cancelled, ...); when a rule names a person, all of that person's
    unpinned appointments are left out. Repeated until nothing is named (at most
    ``rounds`` times, else nothing is kept)."""
    problem = night.problem
    pinned = {a.visit_id for a in problem.pins}
    kept = {k: a for k, a in night.previous.items() if k not in pinned and k in problem.visits}
    inherent = {(v.rule, v.subject) for v in validate(problem, _plan_of(problem, problem.pins))}
    for _ in range(rounds):
        plan = _plan_of(problem, (*problem.pins, *kept.values()))
        bad = [v for v in validate(problem, plan) if (v.rule, v.subject) not in inherent]
        if not bad:
            return tuple(sorted(kept.values(), key=lambda a: (a.start, a.visit_id)))
        people = {v.subject for v in bad if v.subject in problem.people}
        drop = {v.subject for v in bad if v.subject in kept}
        drop |= {k for k, a in kept.items() if people & set(a.people)}
        if not drop:
            break
        kept = {k: a for k, a in kept.items() if k not in drop}
    return ()


def plan_score(problem: Problem, previous: Mapping[str, Appointment], plan: Plan) -> float:
    """The objective the strategies are compared on, in travel-minute equivalents: the
    solver's weights (:mod:`optimizer.solve.objective`) for unplanned visits, travel and
    moved proposed appointments, plus :data:`MOVED_PLANNED_SCORE` per moved planned one."""
    from optimizer.solve import objective

    unplanned = sum(
        objective.unplanned_penalty(problem.visits[u.visit_id])
        for u in plan.unplanned
        if u.visit_id in problem.visits
    )
    moved = movement(previous, plan)
    return (
        unplanned
        + plan.travel_min
        + objective.MOVED_PROPOSED * moved["moved_proposed"]
        + MOVED_PLANNED_SCORE * moved["moved_planned"]
    )


# ---------------------------------------------------------------------------------------------
# Inputs: drop folder, calendars, fingerprint


def _data_files(scenario: Scenario) -> list[Path]:
    """The scenario's input files besides the boundaries: requests, overrides, calendars."""
    data = scenario.data
    files = [
        scenario.path(name)
        for name in (
            data.requests_csv,
            data.town_halls_csv,
            data.holiday_regions_csv,
            data.school_holidays_csv,
            data.ferries_csv,
        )
    ]
    found = [p for p in files if p is not None and p.is_file()]
    calendars = scenario.path(data.calendars_dir)
    if calendars is not None and calendars.is_dir():
        found += sorted(
            p
            for p in calendars.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.parts[-2:])
        )
    return found


def input_fingerprint(
    scenario_file: Path,
    scenario: Scenario,
    *,
    as_of: date,
    seed: int,
    base: StoredPlan | None,
    statuses: Mapping[str, Status],
    mode: str,
) -> str:
    """SHA-256 (hex) over everything a night's plan depends on: the scenario file, its data
    files (requests, overrides, every calendar), the base version's appointments, tonight's
    statuses, the as-of date, the seed and the solver mode (``deterministic`` or the time
    limit)."""
    digest = hashlib.sha256()

    def add(label: str, value: bytes | str) -> None:
        data = value.encode("utf-8") if isinstance(value, str) else value
        digest.update(f"{label}:{len(data)}:".encode())
        digest.update(data)

    add("scenario", scenario_file.read_bytes())
    root = scenario.folder
    for path in _data_files(scenario):
        name = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        add("file", f"{name}={file_sha256(path)}")
    if base is not None:
        add("base-axis", base.axis_origin.isoformat())
        for a in base.appointments + base.cancelled:
            add("base", f"{a.visit_id}|{','.join(a.people)}|{a.start}|{a.end}|{a.status}")
    for visit_id, status in sorted(statuses.items()):
        add("status", f"{visit_id}={status}")
    add("as_of", as_of.isoformat())
    add("seed", str(seed))
    add("mode", mode)
    return digest.hexdigest()


def _write_atomically(data: bytes, path: Path) -> None:
    """Write through a temporary file in the same folder, fsync, and rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def import_calendars(
    store: PlanStore, files: Sequence[Path], calendars_dir: Path | None
) -> tuple[list[Path], list[str]]:
    """Copy new calendar files (``orgs/X`` or ``people/X`` of the drop folder) into the
    scenario's calendars folder, skipping files whose bytes are already there; returns the
    paths written and a problem line per file that could not be placed."""
    if not files:
        return [], []
    if calendars_dir is None:
        return [], [f"{f}:1: the scenario has no calendars_dir; calendar ignored" for f in files]
    written: list[Path] = []
    for source in files:
        folder = source.parent.name
        name = source.stem.upper() + source.suffix.lower() if folder == "orgs" else source.name
        target = calendars_dir / folder / name
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if target.is_file() and file_sha256(target) == digest:
            continue
        _write_atomically(data, target)
        store.record_calendar_import(
            target, kind="org" if folder == "orgs" else "person", sha256=digest
        )
        written.append(target)
    return written, []


def archive_drop_files(drop: Path, files: Sequence[Path], label: str) -> Path | None:
    """Move the files read from the drop folder to ``<drop>/.done/<label>/`` (keeping the
    ``orgs/``/``people/`` sub-folders); returns that folder, or None if there was nothing."""
    if not files:
        return None
    target = drop / DONE_FOLDER / label
    for path in files:
        relative = path.relative_to(drop)
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, destination)
    return target


def _known_visits(scenario: Scenario) -> set[str]:
    """Visit ids of the scenario (every organisation's intake, requested sessions and
    trainings), without reading any calendar."""
    from optimizer.data.organisations import load_organisations
    from optimizer.data.problem import build_visits
    from optimizer.data.requests import load_requests

    orgs = load_organisations(scenario)
    path = scenario.path(scenario.data.requests_csv)
    requests = load_requests(path, orgs) if path and path.exists() else {}
    return set(build_visits(orgs, requests, scenario.rules.to_rules()))


# ---------------------------------------------------------------------------------------------
# The run


@dataclass
class _Clock:
    began: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)
    last: float = field(default_factory=time.perf_counter)

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.marks[name] = round(now - self.last, 3)
        self.last = now

    def total(self) -> dict[str, float]:
        return {**self.marks, "total": round(time.perf_counter() - self.began, 3)}


def run_nightly(
    scenario_path: Path | str,
    *,
    as_of: date,
    time_limit: float = 60.0,
    seed: int = 0,
    drop_folder: Path | None = None,
    deterministic: bool = False,
    strategy: str = "best",
    progress: Progress | None = None,
    settings: SolveSettings = SolveSettings(),
) -> NightlyResult:
    """Re-plan everything after ``as_of`` and store the new version (see the module doc).

    ``time_limit`` is the solver's wall-clock limit in seconds (ignored, up to the solver's
    safety cap, when ``deterministic``); ``drop_folder`` holds replies and new calendars;
    ``strategy`` is one of :data:`STRATEGIES`; ``progress`` receives dicts with at least
    ``stage`` and ``elapsed_s``.

    Raises StoreError when another run holds the lock or the store is ahead of ``as_of``;
    SolveError when the new plan breaks a rule (nothing is stored then).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r} (one of {', '.join(STRATEGIES)})")
    scenario_file = Path(scenario_path)
    scenario = load_scenario(scenario_file)
    db = store_path_of(scenario)
    clock = _Clock()
    started = datetime.now(AMSTERDAM)

    def report(stage: str, **fields: Any) -> None:
        if progress is not None:
            progress({"stage": stage, "elapsed_s": time.perf_counter() - clock.began, **fields})

    with PlanStore(db) as store, store.run_lock():
        base, latest = find_base(store, as_of)
        report("drop", base=base.version_id if base else None)
        problems: list[str] = []
        imported: list[Path] = []
        applied = 0
        drop = None
        if drop_folder is not None:
            from optimizer.plan.status_updates import apply_updates, read_drop_folder

            drop = read_drop_folder(drop_folder, _known_visits(scenario))
            problems += drop.problems
            imported, bad = import_calendars(
                store, drop.calendars, scenario.path(scenario.data.calendars_dir)
            )
            problems += bad
            done, refused = apply_updates(store, drop.updates, today=as_of)
            applied = len(done)
            problems += refused
        clock.lap("drop")

        report("loading")
        from optimizer.data.problem import build_problem

        problem = build_problem(scenario)
        watermark = int(base.summary.get(WATERMARK_KEY, 0)) if base is not None else 0
        newer, upto = status_events_after(db, watermark)
        statuses = effective_statuses(base, newer)
        night = night_problem(problem, base, statuses, as_of)
        problems += night.notes
        mode = "deterministic" if deterministic else f"time-limit {time_limit:g}s"
        fingerprint = input_fingerprint(
            scenario_file,
            scenario,
            as_of=as_of,
            seed=seed,
            base=base,
            statuses=statuses,
            mode=mode,
        )
        clock.lap("load")

        options = _SolveOptions(time_limit, seed, deterministic, settings, report)
        candidates = _solve_strategies(night, strategy, options)
        clock.lap("solve")

        report("validating")
        choice = _choose(night, candidates)
        plan, blocking, tolerated = choice.plan, choice.blocking, choice.tolerated
        clock.lap("validate")
        run_info = _run_info(started, as_of, fingerprint, clock, night, plan, mode, seed)
        run_info = dataclasses.replace(
            run_info,
            kpis={
                **run_info.kpis,
                "strategy": choice.name,
                "scores": choice.scores,
                "rejected": choice.rejected,
            },
        )
        if blocking:
            store.record_run(dataclasses.replace(run_info, status="invalid"))
            raise SolveError(
                f"nightly run as of {as_of}: the new plan breaks {len(blocking)} rule(s) and "
                f"was not stored; version {latest.version_id if latest else '(none)'} stays "
                f"current.\n{format_violations(blocking, limit=20)}"
            )

        plan = with_statuses(plan, night.previous)
        counts = {**movement(night.previous, plan), "pinned": len(night.problem.pins)}
        counts["unplanned"] = len(plan.unplanned)
        counts["removed"] = len(night.removed)
        old = latest.on_axis(problem.axis).appointments if latest is not None else ()
        diff = diff_plans(old, plan.appointments)
        counts |= {
            "added": len(diff.added),
            "moved": len(diff.moved),
            "cancelled": len(diff.cancelled),
            "people_changed": len(diff.people_changed),
        }
        report("storing")
        run_info = dataclasses.replace(
            run_info,
            kpis={**run_info.kpis, **counts},
            duration_s=time.perf_counter() - clock.began,
            finished_at=datetime.now(AMSTERDAM),
        )
        summary = {
            **_summary(night, plan, base, latest, upto, fingerprint, counts),
            "strategy": choice.name,
            "scores": choice.scores,
            "rejected": choice.rejected,
        }
        version_id = store.save_version(
            _PausingAppointments(plan.appointments, db),
            as_of=as_of,
            run=run_info,
            axis_origin=problem.axis.origin,
            summary=summary,
        )
        clock.lap("store")
        pause_point("after_commit")
        if drop is not None and drop_folder is not None:
            archive_drop_files(drop_folder, drop.files, f"{as_of.isoformat()}-v{version_id}")
    report("done", version=version_id)
    return NightlyResult(
        version_id=version_id,
        store_path=db,
        as_of=as_of,
        base_version=base.version_id if base else None,
        replaced_version=latest.version_id if latest else None,
        plan=plan,
        problem=night.problem,
        diff=diff,
        summary=format_diff(diff, problem.axis, problem.organisations),
        timings=clock.total(),
        problems=tuple(problems),
        applied_updates=applied,
        calendars_imported=tuple(imported),
        fingerprint=fingerprint,
        counts=counts,
        tolerated=tuple(tolerated),
        strategy=choice.name,
        scores=choice.scores,
        rejected=choice.rejected,
    )


@dataclass(frozen=True)
class _SolveOptions:
    time_limit: float
    seed: int
    deterministic: bool
    settings: SolveSettings
    report: Callable[..., None]


@dataclass(frozen=True)
class _Choice:
    name: str
    plan: Plan
    blocking: list[Violation]
    tolerated: list[Violation]
    scores: dict[str, float]
    rejected: dict[str, list[str]]
    """Strategies whose plan broke a rule, with the first few violations."""


def _solve_strategies(
    night: NightProblem, strategy: str, options: _SolveOptions
) -> list[tuple[str, Plan]]:
    """The plans of the strategies asked for (see :data:`STRATEGIES`), in solving order.

    ``best`` gives ``repair`` at most ``REPAIR_SHARE`` of the time limit (it plans few
    visits and usually needs a few seconds) and ``full`` the rest; its ``full`` solve keeps
    the proposed appointments that still break no rule (:func:`kept_proposed`)."""
    began = time.perf_counter()
    pause_point("before_solve")
    plans: list[tuple[str, Plan]] = []
    kept = kept_appointments(night) if strategy != "full" and night.previous else ()
    if kept:
        repair = _with_pins(night.problem, kept)
        share = 1.0 if strategy == "repair" else REPAIR_SHARE
        limit = max(5.0, options.time_limit * share)
        plans.append(("repair", _solve(repair, "repair", limit, options)))
    if strategy != "repair" or not kept:
        limit = max(1.0, options.time_limit - (time.perf_counter() - began))
        full = night.problem
        if strategy == "best":
            full = _with_pins(full, kept_proposed(kept))
        plans.append(("full", _solve(full, "full", limit, options)))
    return plans


def kept_proposed(kept: Sequence[Appointment]) -> tuple[Appointment, ...]:
    """The proposed appointments among ``kept`` (:func:`kept_appointments`): the ``full``
    re-plan of ``best`` keeps them as they are.

    A proposed appointment was sent to its organisation; moving it costs
    :data:`~optimizer.solve.objective.MOVED_PROPOSED`. The stages of the ``full`` re-plan
    cannot weigh that move: stage 2 places the sessions from its own candidates, which need
    not hold a session's previous day and start. Measured on the national example (session
    15, nights 2, 12 and 24 of the nightly simulation, one 55 s run each): the ``full``
    re-plan moved 22, 7 and 27 proposed appointments and scored 54,747, 52,246 and 59,225;
    keeping them, it moved none and scored 49,213, 50,600 and 51,640 (the repaired plan:
    48,623, 50,551 and 51,840). Under ``best`` a proposed appointment therefore moves only
    when a rule forces it (it is then not kept); ``--strategy full`` may still move one at
    its cost."""
    return tuple(a for a in kept if a.status is Status.PROPOSED)


def _with_pins(problem: Problem, extra: Sequence[Appointment]) -> Problem:
    """``problem`` with ``extra`` pinned as well."""
    if not extra:
        return problem
    pins = tuple(sorted((*problem.pins, *extra), key=lambda a: (a.start, a.visit_id)))
    return dataclasses.replace(problem, pins=pins)


def _choose(night: NightProblem, candidates: list[tuple[str, Plan]]) -> _Choice:
    """The valid plan of least :func:`plan_score` (``repair`` on a tie: fewer changes);
    if none is valid, the first with its violations."""
    scored = []
    for name, plan in candidates:
        blocking, tolerated = pinned_violations(night.problem, plan)
        score = plan_score(night.problem, night.previous, plan)
        scored.append((bool(blocking), score, name != "repair", name, plan, blocking, tolerated))
    scores = {name: round(score, 1) for _, score, _, name, *_ in scored}
    rejected = {c[3]: [str(v) for v in c[5][:5]] for c in scored if c[5]}
    best = min(scored, key=lambda c: c[:3])
    return _Choice(best[3], best[4], best[5], best[6], scores, rejected)


def _solve(problem: Problem, name: str, time_limit: float, options: _SolveOptions) -> Plan:
    from optimizer.solve.solve import solve

    first = [True]

    def on_progress(event: dict) -> None:
        fields = {k: v for k, v in event.items() if k not in ("stage", "elapsed_s")}
        options.report("solving", strategy=name, step=event.get("stage"), **fields)
        if first[0]:
            first[0] = False
            pause_point("solving")

    options.report("solving", strategy=name, step="start", pins=len(problem.pins))
    return solve(
        problem,
        time_limit=time_limit,
        seed=options.seed,
        progress=on_progress,
        settings=options.settings,
        deterministic=options.deterministic,
    )


def _run_info(
    started: datetime,
    as_of: date,
    fingerprint: str,
    clock: _Clock,
    night: NightProblem,
    plan: Plan,
    mode: str,
    seed: int,
) -> RunInfo:
    stats = plan.stats
    return RunInfo(
        started_at=started,
        as_of=as_of,
        fingerprint=fingerprint,
        kpis={
            "kind": "nightly",
            "mode": mode,
            "seed": seed,
            "planned": len(plan.appointments),
            "unplanned": len(plan.unplanned),
            "travel_min": plan.travel_min,
            "travel_km": round(plan.travel_m / 1000, 1),
            "objective": stats.objective,
            "gap": stats.gap,
            "solver_s": round(stats.runtime_s, 3),
            "timings": clock.total(),
        },
        duration_s=time.perf_counter() - clock.began,
        finished_at=datetime.now(AMSTERDAM),
    )


def _summary(
    night: NightProblem,
    plan: Plan,
    base: StoredPlan | None,
    latest: StoredPlan | None,
    upto: int,
    fingerprint: str,
    counts: Mapping[str, int],
) -> dict[str, Any]:
    return {
        "kind": "nightly",
        WATERMARK_KEY: upto,
        "base_version": base.version_id if base else None,
        "replaced_version": latest.version_id if latest else None,
        "replan_from": night.problem.replan_from,
        "fingerprint": fingerprint,
        "travel_min": plan.travel_min,
        "travel_km": round(plan.travel_m / 1000, 1),
        "unplanned": {u.visit_id: u.reason for u in plan.unplanned},
        "removed": list(night.removed),
        "refused_days": {k: v.isoformat() for k, v in night.refused_days.items()},
        "counts": dict(counts),
    }


__all__ = [
    "NightProblem",
    "NightlyResult",
    "effective_statuses",
    "find_base",
    "input_fingerprint",
    "movement",
    "night_problem",
    "run_nightly",
    "with_statuses",
]
