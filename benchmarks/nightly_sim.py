"""Simulated nights on the national example: ``python -m benchmarks.nightly_sim``.

Protocol (all randomness from one seeded ``random.Random``):

1. The example scenario (``optimizer example``, seed 7: 354 organisations, 5 team members,
   8 trainers) is written into a work folder; night 0 is the first full plan, as of the day
   before the horizon (2022-06-30), with ``--first-time-limit``.
2. Each following night moves the as-of date on by ``--step-days`` (default 7: one week).
   A weekly step makes 30 nights span seven months (July 2022 - January 2023), so the whole
   life cycle of many appointments is exercised: sent four weeks ahead, confirmed after a
   week or more, carried out, and the summer recess and the autumn lie inside the run. With
   one working day per night, 30 nights would cover six weeks and the replies of the first
   nights would hardly have come back.
3. Before each night the "town halls reply" through the drop folder (a CSV with the as-of
   date, and sometimes a calendar), looking at the latest stored version:

   - every ``confirmed`` appointment on or before the as-of date becomes ``done``;
   - about ``CANCEL_SHARE`` (3 %) of the future ``proposed`` and ``confirmed`` appointments
     are ``cancelled`` (the date no longer suits; the visit needs a new one);
   - a random ``CONFIRM_SHARE`` (60 %) of the ``proposed`` appointments that were sent at
     least ``CONFIRM_AFTER_DAYS`` (7) days ago become ``confirmed``;
   - every ``planned`` appointment in the next ``PROPOSE_DAYS`` (28) days becomes
     ``proposed`` (sent out);
   - with probability ``NEW_CALENDAR_SHARE`` one organisation sends a new calendar with one
     more all-day busy day in the next eight weeks (not on a day it has confirmed).

4. ``optimizer.plan.nightly.run_nightly`` re-plans with ``--time-limit`` seconds for the
   solver and ``--strategy`` (default ``best``: full re-plan and repair, the better one is
   stored). Recorded per night: wall time of the whole run and of the solver, appointments
   moved by status (``proposed``: disruption; ``confirmed``/``done``: must be 0), added,
   cancelled, unplanned, travel. Independently of the run's own counts, every appointment
   the simulation saw confirmed is compared with the new version: it must be there at the
   same start, end and people (asserted at the end).

Writes ``benchmarks/results/nightly.json`` (after every night, so a partial run keeps its
nights) and ``docs/nightly.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OPTIMIZER_SHARED_DATA", REPO.parent / "shared" / "data"))
RESULTS = REPO / "benchmarks" / "results" / "nightly.json"
DOC = REPO / "docs" / "nightly.md"

PROPOSE_DAYS = 28
CONFIRM_AFTER_DAYS = 7
CONFIRM_SHARE = 0.60
CANCEL_SHARE = 0.03
NEW_CALENDAR_SHARE = 0.3
NEW_BUSY_WITHIN_DAYS = 56


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nights", type=int, default=30, help="nights after the first plan")
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver s per night")
    parser.add_argument(
        "--first-time-limit", type=float, default=None, help="solver s of night 0 (default 5x)"
    )
    parser.add_argument("--step-days", type=int, default=7, help="days between two nights")
    parser.add_argument("--strategy", default="best", help="best, full or repair")
    parser.add_argument("--seed", type=int, default=1, help="seed of the simulated replies")
    parser.add_argument("--example-seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the scenario here")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument(
        "--doc-only", action="store_true", help="only rewrite --doc from the --out JSON"
    )
    parser.add_argument(
        "--compare", type=Path, action="append", default=[], help="more results for --doc"
    )
    return parser.parse_args()


# ---------------------------------------------------------------------------------------------
# The replies of one night


def _busy_day_event(code: str, day: date) -> bytes:
    stamp, end = day.strftime("%Y%m%d"), (day + timedelta(days=1)).strftime("%Y%m%d")
    return (
        f"BEGIN:VEVENT\r\nUID:sim-{code}-{stamp}\r\nDTSTAMP:20220101T000000Z\r\n"
        f"DTSTART;VALUE=DATE:{stamp}\r\nDTEND;VALUE=DATE:{end}\r\nSUMMARY:Bezet\r\n"
        "END:VEVENT\r\n"
    ).encode()


class Town:
    """The simulated town halls: what was sent when, and what they confirmed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sent: dict[str, tuple[date, int]] = {}
        """visit -> (date it was proposed, start it was proposed at)."""
        self.confirmed: dict[str, tuple] = {}
        """visit -> (start, end, people) it was confirmed at."""

    def replies(self, plan, as_of: date) -> tuple[list[tuple[str, str, str]], Counter]:
        """(visit org, stage, status) rows for tonight and a tally by status."""
        axis = plan.axis
        rows: list[tuple[str, str, str]] = []
        tally: Counter = Counter()

        def reply(a, status: str) -> None:
            rows.append((a.org, a.stage.value, status))
            tally[status] += 1

        future = [a for a in plan.appointments if axis.date_of(a.start) > as_of]
        for a in plan.appointments:
            if a.status.value == "confirmed" and axis.date_of(a.start) <= as_of:
                reply(a, "done")
        cancelled = set()
        for a in future:
            if a.status.value in ("proposed", "confirmed") and self.rng.random() < CANCEL_SHARE:
                reply(a, "cancelled")
                cancelled.add(a.visit_id)
                self.confirmed.pop(a.visit_id, None)
                self.sent.pop(a.visit_id, None)
        for a in future:
            if a.visit_id in cancelled or a.status.value != "proposed":
                continue
            sent = self.sent.get(a.visit_id)
            if sent is None or sent[1] != a.start:  # proposed at another time: resent now
                self.sent[a.visit_id] = (as_of, a.start)
                continue
            if (as_of - sent[0]).days >= CONFIRM_AFTER_DAYS and self.rng.random() < CONFIRM_SHARE:
                reply(a, "confirmed")
                self.confirmed[a.visit_id] = (a.start, a.end, tuple(sorted(a.people)))
        horizon = as_of + timedelta(days=PROPOSE_DAYS)
        for a in future:
            if a.status.value == "planned" and axis.date_of(a.start) <= horizon:
                reply(a, "proposed")
                self.sent[a.visit_id] = (as_of, a.start)
        return rows, tally

    def new_calendar(self, plan, calendars: Path, as_of: date) -> tuple[str, bytes] | None:
        """Sometimes one organisation's calendar with one more busy day."""
        if self.rng.random() >= NEW_CALENDAR_SHARE:
            return None
        code = self.rng.choice(sorted(p.stem for p in (calendars / "orgs").glob("*.ics")))
        fixed = {
            plan.axis.date_of(a.start)
            for a in plan.appointments
            if a.org == code and a.status.value in ("confirmed", "done")
        }
        days = [
            as_of + timedelta(days=k)
            for k in range(1, NEW_BUSY_WITHIN_DAYS + 1)
            if (as_of + timedelta(days=k)).weekday() < 5 and as_of + timedelta(days=k) not in fixed
        ]
        day = self.rng.choice(days)
        text = (calendars / "orgs" / f"{code}.ics").read_bytes()
        return code, text.replace(b"END:VCALENDAR", _busy_day_event(code, day) + b"END:VCALENDAR")

    def broken_confirmations(self, plan) -> list[str]:
        """Visits confirmed by a town hall that are not at their confirmed time any more."""
        now = {a.visit_id: (a.start, a.end, tuple(sorted(a.people))) for a in plan.appointments}
        return sorted(v for v, key in self.confirmed.items() if now.get(v) != key)


# ---------------------------------------------------------------------------------------------
# Running


def _write_drop(drop: Path, rows, as_of: date, calendar: tuple[str, bytes] | None) -> None:
    drop.mkdir(parents=True, exist_ok=True)
    if rows:
        lines = ["code,stage,status,date"] + [f"{c},{s},{st},{as_of}" for c, s, st in rows]
        (drop / f"replies-{as_of}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if calendar is not None:
        (drop / "orgs").mkdir(exist_ok=True)
        (drop / "orgs" / f"{calendar[0]}.ics").write_bytes(calendar[1])


def _row(night: int, result, tally: Counter, new_calendar: str | None, broken: list[str]):
    counts = result.counts
    statuses = Counter(a.status.value for a in result.plan.appointments)
    return {
        "night": night,
        "as_of": result.as_of.isoformat(),
        "version": result.version_id,
        "run_s": round(result.timings["total"], 1),
        "solve_s": round(result.timings.get("solve", 0.0), 1),
        "load_s": round(result.timings.get("load", 0.0), 1),
        "replies": dict(tally),
        "new_calendar": new_calendar,
        "pinned": counts.get("pinned", 0),
        "moved_proposed": counts.get("moved_proposed", 0),
        "dropped_proposed": counts.get("dropped_proposed", 0),
        "moved_planned": counts.get("moved_planned", 0),
        "moved_confirmed": counts.get("moved_fixed", 0) + counts.get("dropped_fixed", 0),
        "confirmed_not_at_confirmed_time": broken,
        "added": counts.get("added", 0),
        "moved": counts.get("moved", 0),
        "cancelled": counts.get("cancelled", 0),
        "unplanned": counts.get("unplanned", 0),
        "planned": len(result.plan.appointments),
        "travel_min": result.plan.travel_min,
        "travel_km": round(result.plan.travel_m / 1000, 1),
        "statuses": dict(statuses),
        "gap": result.plan.stats.gap,
        "tolerated_violations": len(result.tolerated),
        "strategy": result.strategy,
        "scores": dict(result.scores),
        "rejected": dict(result.rejected),
    }


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _save(path: Path, meta: dict, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**meta, "nights": rows}, indent=2) + "\n", encoding="utf-8")


def main() -> int:
    args = _parse()
    if args.doc_only:
        write_doc(args.doc, [_load(p) for p in [args.out, *args.compare]])
        return 0
    os.environ.setdefault("OPTIMIZER_DATA_DIR", str(SHARED / "boundaries"))
    from optimizer.data.example import generate_example, write_example
    from optimizer.data.organisations import load_organisations
    from optimizer.plan.nightly import run_nightly
    from optimizer.plan.store import PlanStore

    first_limit = args.first_time_limit or 5 * args.time_limit
    work = args.workdir or Path(tempfile.mkdtemp(prefix="nightly-sim-"))
    if work.exists() and (work / "plans.sqlite").exists():
        shutil.rmtree(work)
    write_example(generate_example(load_organisations(), seed=args.example_seed), work)
    scenario, drop = work / "scenario.toml", work / "drop"
    rng = random.Random(args.seed)
    town = Town(rng)
    meta = {
        "command": "python -m benchmarks.nightly_sim " + " ".join(sys.argv[1:]),
        "example_seed": args.example_seed,
        "seed": args.seed,
        "time_limit_s": args.time_limit,
        "first_time_limit_s": first_limit,
        "step_days": args.step_days,
        "strategy": args.strategy,
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}",
        "load_at_start": os.getloadavg()[0],
    }
    rows: list[dict] = []
    as_of = date(2022, 6, 30)
    started = time.perf_counter()
    for night in range(args.nights + 1):
        tally: Counter = Counter()
        new_calendar = None
        if night > 0:
            as_of += timedelta(days=args.step_days)
            with PlanStore(work / "plans.sqlite", create=False) as store:
                latest = store.load_version(store.latest_version())
            rows_, tally = town.replies(latest, as_of)
            calendar = town.new_calendar(latest, work / "calendars", as_of)
            new_calendar = calendar[0] if calendar else None
            _write_drop(drop, rows_, as_of, calendar)
        result = run_nightly(
            scenario,
            as_of=as_of,
            time_limit=first_limit if night == 0 else args.time_limit,
            seed=0,
            drop_folder=drop if night > 0 else None,
            strategy=args.strategy,
        )
        broken = town.broken_confirmations(result.plan)
        rows.append(_row(night, result, tally, new_calendar, broken))
        r = rows[-1]
        print(
            f"night {night:2d} as of {as_of}: {r['run_s']:6.1f} s (solve {r['solve_s']:.1f}), "
            f"moved proposed {r['moved_proposed']}, dropped proposed {r['dropped_proposed']}, "
            f"moved confirmed {r['moved_confirmed']}, added {r['added']}, moved {r['moved']}, "
            f"cancelled {r['cancelled']}, unplanned {r['unplanned']}, travel {r['travel_min']} "
            f"min, stored {r['strategy']} {r['scores']}, replies {dict(tally)}",
            flush=True,
        )
        _save(args.out, {**meta, "elapsed_s": round(time.perf_counter() - started)}, rows)
    write_doc(args.doc, [_load(p) for p in [args.out, *args.compare]])
    bad = [r for r in rows if r["moved_confirmed"] or r["confirmed_not_at_confirmed_time"]]
    assert not bad, f"confirmed appointments moved on nights {[r['night'] for r in bad]}"
    return 0


# ---------------------------------------------------------------------------------------------
# The page


def _score(row: dict, name: str) -> str:
    value = row.get("scores", {}).get(name)
    return "-" if value is None else f"{value:,.0f}"


def write_doc(path: Path, runs: list[dict]) -> None:
    """docs/nightly.md: the protocol, then per simulation its command and one table row per
    night, then :data:`NOTES`."""
    lines = [
        "# Nightly re-planning: simulated nights on the national example",
        "",
        "Written by `benchmarks/nightly_sim.py` (its docstring has the protocol); the raw",
        "numbers are in `benchmarks/results/nightly*.json`. Regenerate this page from them with",
        "`python -m benchmarks.nightly_sim --doc-only [--compare FILE ...]`.",
        "",
        "Each night before the run, through the drop folder: confirmed appointments in the",
        "past become done; ~3 % of the future proposed/confirmed appointments are cancelled;",
        "60 % of the proposals sent at least a week ago are confirmed; every planned",
        "appointment in the next 4 weeks is proposed; with probability 0.3 an organisation",
        "sends a calendar with one more busy day in the next 8 weeks.",
        "",
        "Columns: *run* is the whole nightly run (drop folder, loading calendars and travel,",
        "solve, validate, store), *solve* the solver alone (every strategy), in seconds.",
        "*moved prop.* counts proposed appointments moved to another time (each costs",
        "disruption), *dropped prop.* proposed ones left unplanned, *moved conf.* confirmed or",
        "done appointments moved or dropped (must be 0; the simulation also checks every",
        "confirmation it made against the stored version). *added*, *moved*, *cancelled* are",
        "tonight's diff against the previous version (a cancelled visit that gets a new date",
        "counts as moved). *stored* is the strategy whose plan was stored; *score* is",
        "`plan_score` of each strategy's plan (travel minutes + 240 per moved proposed",
        "appointment + 1 per moved planned one + 100,000 per unplanned required visit).",
    ]
    for data in runs:
        lines += ["", *_section(data)]
    lines += ["", NOTES.strip()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _section(data: dict) -> list[str]:
    nights = data["nights"]
    later = [r for r in nights if r["night"] > 0]
    strategy = data.get("strategy", "best")
    lines = [
        f"## Strategy `{strategy}`, {data['time_limit_s']:g} s solver limit",
        "",
        f"    {data['command']}",
        "",
        f"Example seed {data['example_seed']} (354 organisations, 5 team members, 8 trainers);",
        f"night 0 is the first full plan ({data['first_time_limit_s']:g} s solver limit), then",
        f"one night every {data['step_days']} days; replies seeded with {data['seed']}.",
        f"Machine: {data['machine']}, shared with other jobs (load average",
        f"{data['load_at_start']:.1f} at the start); {data.get('elapsed_s', 0) / 60:.0f} min in",
        "all.",
        "",
        "| night | as of | run s | solve s | replies | pinned | moved prop. | dropped prop. "
        "| moved conf. | added | moved | cancelled | unplanned | travel min | stored "
        "| score full | score repair |",
        "| ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | --- | ---: | ---: |",
    ]
    for r in nights:
        replies = ", ".join(f"{k} {v}" for k, v in sorted(r["replies"].items())) or "-"
        if r.get("new_calendar"):
            replies += f"; calendar {r['new_calendar']}"
        lines.append(
            f"| {r['night']} | {r['as_of']} | {r['run_s']:.1f} | {r['solve_s']:.1f} | {replies} "
            f"| {r['pinned']} | {r['moved_proposed']} | {r['dropped_proposed']} "
            f"| {r['moved_confirmed']} | {r['added']} | {r['moved']} | {r['cancelled']} "
            f"| {r['unplanned']} | {r['travel_min']:,} | {r['strategy']} "
            f"| {_score(r, 'full')} | {_score(r, 'repair')} |"
        )
    if later:
        runs = sorted(r["run_s"] for r in later)
        under = sum(r["run_s"] < 60 for r in later)
        lines += [
            "",
            f"Nights 1-{later[-1]['night']}: run time median {runs[len(runs) // 2]:.1f} s, "
            f"max {runs[-1]:.1f} s, {under} of {len(later)} under a minute; moved proposed "
            f"appointments {sum(r['moved_proposed'] for r in later)} in total (max "
            f"{max(r['moved_proposed'] for r in later)} a night), dropped proposed "
            f"{sum(r['dropped_proposed'] for r in later)}; confirmed appointments moved: "
            f"{sum(r['moved_confirmed'] for r in later)}; plan stored from `full` on "
            f"{sum(r['strategy'] == 'full' for r in later)} nights, from `repair` on "
            f"{sum(r['strategy'] == 'repair' for r in later)}; travel "
            f"{nights[0]['travel_min']:,} on night 0, {later[-1]['travel_min']:,} on night "
            f"{later[-1]['night']} ({_drift(nights[0], later[-1])}).",
        ]
    return lines


def _drift(first: dict, last: dict) -> str:
    """The travel change from ``first`` to ``last`` night, as a signed percentage."""
    if not first["travel_min"]:
        return "-"
    return f"{(last['travel_min'] - first['travel_min']) / first['travel_min']:+.1%}"


NOTES = """
## Notes

**Strategies.** `optimizer nightly` (and `run_nightly`) can re-plan in two ways: `full` re-
plans every visit after the as-of date, warm-started from the previous version; `repair`
keeps every previous appointment that still breaks no rule and plans only the rest
(cancelled visits, visits a new calendar or a cancelled earlier stage invalidated). The
default `best` runs both (`repair` first, `full` with the rest of the time limit) and stores
the valid plan of least score. On this shared 2-core machine the `full` re-plan of the
national instance spends much of its 60 s enumerating the intake day routes, so its MIPs get
seconds. Under `best` the `full` solve keeps the proposed appointments that still break no
rule (`kept_proposed`, since d04a75f): in the run before that change (session 15, on
c221253; travel 48,367 on night 0, 52,266 on night 30, +8.1 %) the `full` score was 128 to
9,311 above the repaired plan's on 28 nights, much of it moved proposed appointments (240
each; on night 1, a re-run of the `full` solve with the last night's calendars travelled
49,391 minutes, 1,024 more than the repaired plan, against a score 9,311 higher in the run):
stage 2 places the sessions again from its own candidates, which need not hold their
previous day and start. In the run above (on d04a75f) the `full` score stayed less than 630
above the repaired plan's on every night, no proposed appointment moved, and `full` won on
nights 5, 23, 25 and 26 (moving 409, 183, 122 and 84 planned appointments); travel rose 4.8
% over the 30 nights. The replies follow the plan, so the two runs saw different nights; the
drift is a measure of this run, not a controlled comparison. Since dce6823 (session 14) the
re-planning round's warm start takes the stage plans' routes first and a round that leaves
out an intake stage 1 planned is dropped: before, on night 8 of the session-14 run, `full`
left 27 visits out (2,751,204) and broke a rule (sessions without their intake), so `best`
rejected it; no `full` plan has been rejected since. In an earlier run, with the solver as
it was a few commits before, `full` left 82 and 67 visits unplanned on nights 1 and 2;
`best` stored the repaired plan then too. The `repair` solve takes a second or less, so with
`best` the run time is the losing `full` solve plus about a second of loading (the parsed
calendars and the travel matrix come from their caches; the tables' *run s* less *solve s*).
With `--strategy repair` (second table) no proposed appointment moves unless a reply or a
calendar forces it. Travel drifts up over the nights (the line under each table), since
nothing that is kept is re-optimised and each cancelled or invalidated visit is fitted
around the rest. The 60 s `full` re-plan wins some of it back.

**Determinism** ("the same night twice gives the same plan"), measured on night 1 of the
national example (after a 150 s first plan; 106 proposals and 5 cancellations), two runs
from identical copies of the scenario folder and store:

| mode | run time (each) | same fingerprint | same plan |
| --- | ---: | :---: | :---: |
| `--deterministic --strategy repair` | 13.6 s, 10.5 s (solve 0.5 s) | yes | yes |
| `--strategy repair` (60 s limit) | 9.5 s, 9.7 s (solve 0.3-0.4 s) | yes | yes |
| `--deterministic --strategy full` | not finished in 20 min (stopped) | - | - |
| `--deterministic`, first full plan (night 0) | not finished in 13 min (stopped) | - | - |

`--deterministic` runs every MIP to its optimality tolerance (HiGHS single-threaded,
seeded, up to the solver's one-hour safety cap). The `repair` MIPs are tiny and finish far
inside any time limit, so `--strategy repair` is deterministic with or without the flag,
and that is the way to get reproducible national nights in under a minute. The national
`full` re-plan proven to optimality does not finish in reasonable time on this machine, so
`--deterministic` with `full` or `best` is only practical on smaller scenarios (the tests
check it on the province of Utrecht: identical plans from identical copies, and from the
same store run twice). Without `--deterministic`, `full` stops at its time limit and the
clock decides its plan; `best` is then reproducible exactly when `repair` wins, as it did
on every night but one above. Running the same night again in the same store re-plans from
the same base version (the newest one as of before that night), so with the same inputs it
stores the same plan again and tonight's diff is empty. The run's fingerprint (SHA-256 of
the scenario file, every calendar and data file, the base version, tonight's statuses, the
as-of date, the seed and the mode) is stored with every run.

**Crash safety** (`tests/test_nightly.py`): a run killed with SIGKILL while solving, and one
killed inside the write transaction of the new version (the test checks that it holds the
database's write lock at that moment), leave the store at the previous version: readable,
`PRAGMA integrity_check` ok, no trace of the killed run; the next run succeeds. A second run
while one holds the lock stops at once with "another nightly run (pid ..., started at ...)
holds the lock" and exit status 2.
"""


if __name__ == "__main__":
    sys.exit(main())
