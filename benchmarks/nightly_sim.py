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
   solver. Recorded per night: wall time of the whole run and of the solver, appointments
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
    parser.add_argument("--seed", type=int, default=1, help="seed of the simulated replies")
    parser.add_argument("--example-seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the scenario here")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--doc", type=Path, default=DOC)
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
    }


def _save(path: Path, meta: dict, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**meta, "nights": rows}, indent=2) + "\n", encoding="utf-8")


def main() -> int:
    args = _parse()
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
        )
        broken = town.broken_confirmations(result.plan)
        rows.append(_row(night, result, tally, new_calendar, broken))
        r = rows[-1]
        print(
            f"night {night:2d} as of {as_of}: {r['run_s']:6.1f} s (solve {r['solve_s']:.1f}), "
            f"moved proposed {r['moved_proposed']}, dropped proposed {r['dropped_proposed']}, "
            f"moved confirmed {r['moved_confirmed']}, added {r['added']}, moved {r['moved']}, "
            f"cancelled {r['cancelled']}, unplanned {r['unplanned']}, travel {r['travel_min']} "
            f"min, replies {dict(tally)}",
            flush=True,
        )
        _save(args.out, {**meta, "elapsed_s": round(time.perf_counter() - started)}, rows)
    write_doc(args.doc, json.loads(args.out.read_text(encoding="utf-8")))
    bad = [r for r in rows if r["moved_confirmed"] or r["confirmed_not_at_confirmed_time"]]
    assert not bad, f"confirmed appointments moved on nights {[r['night'] for r in bad]}"
    return 0


# ---------------------------------------------------------------------------------------------
# The page


def write_doc(path: Path, data: dict) -> None:
    """docs/nightly.md: the protocol, the command and one table row per night."""
    nights = data["nights"]
    later = [r for r in nights if r["night"] > 0]
    lines = [
        "# Nightly re-planning: 30 simulated nights",
        "",
        "Written by `benchmarks/nightly_sim.py` (see its docstring for the protocol); the raw",
        "numbers are in `benchmarks/results/nightly.json`. Command:",
        "",
        f"    {data['command']}",
        "",
        f"National example (seed {data['example_seed']}: 354 organisations, 5 team members,",
        f"8 trainers); night 0 is the first full plan ({data['first_time_limit_s']:g} s solver",
        f"limit), then one night every {data['step_days']} days with a "
        f"{data['time_limit_s']:g} s solver limit;",
        f"simulated replies seeded with {data['seed']}. Machine: {data['machine']}, shared with",
        f"other jobs (load average {data['load_at_start']:.1f} at the start).",
        "",
        "Each night before the run: confirmed appointments in the past become done; ~3 % of",
        "the future proposed/confirmed appointments are cancelled; 60 % of the proposals sent",
        "at least a week ago are confirmed; every planned appointment in the next 4 weeks is",
        "proposed; sometimes an organisation sends a calendar with one more busy day.",
        "",
        "Columns: *run* is the whole nightly run (drop folder, loading calendars and travel,",
        "solve, validate, store), *solve* the solver alone, in seconds. *moved prop.* counts",
        "proposed appointments moved to another time (each costs disruption), *dropped prop.*",
        "proposed ones left unplanned, *moved conf.* confirmed or done appointments moved or",
        "dropped (must be 0, and the simulation checks it independently too). *added*,",
        "*moved*, *cancelled* are tonight's diff against the previous version (a cancelled",
        "visit that gets a new date counts as moved).",
        "",
        "| night | as of | run s | solve s | replies | pinned | moved prop. | dropped prop. "
        "| moved conf. | added | moved | cancelled | unplanned | travel min |",
        "| ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: |",
    ]
    for r in nights:
        replies = ", ".join(f"{k} {v}" for k, v in sorted(r["replies"].items())) or "-"
        if r.get("new_calendar"):
            replies += f"; calendar {r['new_calendar']}"
        lines.append(
            f"| {r['night']} | {r['as_of']} | {r['run_s']:.1f} | {r['solve_s']:.1f} | {replies} "
            f"| {r['pinned']} | {r['moved_proposed']} | {r['dropped_proposed']} "
            f"| {r['moved_confirmed']} | {r['added']} | {r['moved']} | {r['cancelled']} "
            f"| {r['unplanned']} | {r['travel_min']:,} |"
        )
    if later:
        runs = sorted(r["run_s"] for r in later)
        lines += [
            "",
            f"Over nights 1-{later[-1]['night']}: run time median {runs[len(runs) // 2]:.1f} s, "
            f"max {runs[-1]:.1f} s; moved proposed appointments "
            f"{sum(r['moved_proposed'] for r in later)} in total "
            f"(max {max(r['moved_proposed'] for r in later)} a night); confirmed appointments "
            f"moved: {sum(r['moved_confirmed'] for r in later)}.",
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
