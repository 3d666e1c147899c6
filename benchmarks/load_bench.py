"""Scenario-loading benchmark: ``python -m benchmarks.load_bench`` from the repository root.

Times :func:`~optimizer.data.problem.build_problem` on the national example (seed 7: 354
organisation calendars and 13 people's, written to a temporary folder), wall-clock seconds:

- ``uncached``: with ``OPTIMIZER_NO_CACHE=1``, every calendar file parsed (the behaviour
  without the parsed-calendar cache);
- ``cold``: an empty cache: every file parsed and its entry written;
- ``warm``: the cache filled and no file changed (median and minimum of ``--runs`` runs), and
  the calendar loaders alone on the same cache;
- ``one_file_changed``: one organisation calendar rewritten (an event added), the others
  unchanged, as on a night with one new calendar.

Imports and the boundaries are warmed up first; the travel matrix comes from its own cache
after the first build. Writes ``benchmarks/results/load.json`` (with the machine, versions and
load average of :mod:`benchmarks.machine`) and prints the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.machine import command_line, finish_run, peak_rss_mib, start_run

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OPTIMIZER_SHARED_DATA", REPO.parent / "shared" / "data"))
RESULTS = REPO / "benchmarks" / "results" / "load.json"
EXAMPLE_SEED = 7
CHANGED_ORG = "GM0344"
EXTRA_EVENT = (
    "BEGIN:VEVENT\r\nUID:load-bench@example.optimizer\r\nDTSTAMP:20220701T000000Z\r\n"
    "DTSTART;TZID=Europe/Amsterdam:20230307T060000\r\n"
    "DTEND;TZID=Europe/Amsterdam:20230307T070000\r\nEND:VEVENT\r\n"
)


def _seconds(fn) -> float:
    started = time.perf_counter()
    fn()
    return round(time.perf_counter() - started, 3)


def _folder_mib(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def measure(folder: Path, runs: int) -> dict:
    """The timings of the module docstring on the example scenario in ``folder``."""
    from optimizer.data.calendars import NO_CACHE_ENV, load_org_calendars, load_person_calendars
    from optimizer.data.organisations import load_organisations
    from optimizer.data.problem import build_problem, calendar_cache_dir
    from optimizer.scenario import load_scenario
    from optimizer.timeaxis import TimeAxis

    scenario_path = folder / "scenario.toml"
    scenario = load_scenario(scenario_path)
    cache = calendar_cache_dir(scenario)
    load_organisations(scenario)  # warm-up: imports, boundaries

    def build() -> None:
        build_problem(scenario_path)

    os.environ[NO_CACHE_ENV] = "1"
    try:
        uncached = _seconds(build)
    finally:
        del os.environ[NO_CACHE_ENV]
    assert not cache.exists(), "OPTIMIZER_NO_CACHE=1 wrote a cache"
    cold = _seconds(build)
    warm = [_seconds(build) for _ in range(runs)]

    calendars_dir = scenario.path(scenario.data.calendars_dir)
    axis, until = TimeAxis(scenario.scenario.start), scenario.scenario.end

    def load_calendars() -> None:
        load_person_calendars(calendars_dir, axis, until=until, cache_dir=cache)
        load_org_calendars(calendars_dir, axis, until=until, cache_dir=cache)

    calendars_warm = [_seconds(load_calendars) for _ in range(runs)]
    changed = calendars_dir / "orgs" / f"{CHANGED_ORG}.ics"
    text = changed.read_bytes().decode("utf-8")
    changed.write_bytes(text.replace("END:VCALENDAR", EXTRA_EVENT + "END:VCALENDAR").encode())
    one_changed = _seconds(build)
    files = sorted(p for p in calendars_dir.rglob("*") if p.suffix in (".ics", ".csv"))
    return {
        "scenario": {
            "seed": EXAMPLE_SEED,
            "calendar_files": len(files),
            "calendar_mib": _folder_mib(calendars_dir),
        },
        "build_problem_s": {
            "uncached": uncached,
            "cold": cold,
            "warm_median": statistics.median(warm),
            "warm_min": min(warm),
            "warm_runs": warm,
            "one_file_changed": one_changed,
        },
        "calendars_only_warm_s": {
            "median": statistics.median(calendars_warm),
            "min": min(calendars_warm),
        },
        "cache": {"entries": len(list(cache.glob("*.pickle"))), "mib": _folder_mib(cache)},
        "peak_rss_mib": peak_rss_mib(),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load_bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="warm runs (median reported)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("OPTIMIZER_DATA_DIR", str(SHARED / "boundaries"))
    from benchmarks.national import write_example_scenario

    run = start_run(command_line("benchmarks.load_bench", argv), seeds={"example": EXAMPLE_SEED})
    with tempfile.TemporaryDirectory(prefix="load-bench-") as work:
        write_example_scenario(Path(work), seed=EXAMPLE_SEED)
        result = {"run": None, **measure(Path(work), args.runs)}
    result["run"] = finish_run(run)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    build = result["build_problem_s"]
    print(
        f"build_problem on the national example ({result['scenario']['calendar_files']} "
        f"calendar files, {result['scenario']['calendar_mib']} MiB): "
        f"uncached {build['uncached']} s, cold cache {build['cold']} s, "
        f"warm cache {build['warm_median']} s (median of {args.runs}; calendars alone "
        f"{result['calendars_only_warm_s']['median']} s), one file changed "
        f"{build['one_file_changed']} s; cache {result['cache']['entries']} entries, "
        f"{result['cache']['mib']} MiB; load {run['load_average_start']} -> "
        f"{run['load_average_end']}. Written to {args.out}"
    )
    return result


if __name__ == "__main__":
    main()
