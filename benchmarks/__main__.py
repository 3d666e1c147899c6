"""One runner for every benchmark: ``python -m benchmarks <name> [options]``.

=============  ==============================================================================
national       the national example and its tight variant: planner vs greedy vs bounds, and the
               intake stage vs PyVRP (:mod:`benchmarks.national`)
intake         the intake stage of one instance file (``intake_k8.json`` format): planner,
               greedy and PyVRP at the same time limits
vrptw          Solomon VRPTW instances: our routing engine and PyVRP (:mod:`benchmarks.vrptw`)
travel         travel-matrix build times and memory (:mod:`benchmarks.travel_bench`)
nightly        simulated nights of re-planning (:mod:`benchmarks.nightly_sim`)
bound          the full-problem lower bound by column generation (:mod:`benchmarks.bound`)
load           reading the national scenario cold and warm (:mod:`benchmarks.load_bench`)
decomposition  what the stage order and the coupled session pairs cost
               (:mod:`benchmarks.decomposition`)
render         re-render ``docs/benchmarks.md`` from ``benchmarks/results/*.json`` (runs nothing)
=============  ==============================================================================

Every results file carries a ``run`` block (:mod:`benchmarks.machine`): the command, seeds,
cores and CPU model, load average at start and end, and the versions of Python, OR-Tools,
HiGHS, PyVRP and numpy. ``national``, ``intake`` and ``vrptw`` re-render the page when they
finish.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.machine import command_line, finish_run, start_run

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
NAMES = (
    "national",
    "intake",
    "vrptw",
    "travel",
    "nightly",
    "bound",
    "load",
    "decomposition",
    "render",
)


def intake_main(argv: list[str]) -> dict:
    """``python -m benchmarks intake FILE``: greedy, planner and PyVRP on one instance file,
    each in its own subprocess; writes ``benchmarks/results/intake.json``."""
    from benchmarks import national

    parser = argparse.ArgumentParser(prog="python -m benchmarks intake")
    parser.add_argument("file", type=Path, help="intake instance (intake_k8.json format)")
    parser.add_argument("--time-limits", type=float, nargs="+", default=[60.0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "intake.json")
    args = parser.parse_args(argv)
    command = command_line("benchmarks intake", argv)
    run = start_run(command, seeds={"solver": args.seed})
    result = {"run": run, "intake": []}
    files = {args.file.name: args.file}
    peer = national.pyvrp_installed()
    for task in national.intake_tasks(files, args.time_limits, args.seed, peer=peer):
        row = national._in_subprocess(task)
        row["command"] = command
        result["intake"].append(row)
        print(national._intake_line(row))
    finish_run(run)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    return result


def vrptw_main(argv: list[str]) -> dict:
    """``python -m benchmarks vrptw FOLDER``: the engine (and PyVRP with ``--peer pyvrp``) on
    every instance; writes ``benchmarks/results/vrptw.json`` (the format of
    ``optimizer bench vrptw`` plus the ``run`` block)."""
    from benchmarks import vrptw

    parser = argparse.ArgumentParser(prog="python -m benchmarks vrptw")
    parser.add_argument("folder", type=Path, help="folder of VRPLIB .vrp files (.sol beside)")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--peer", choices=["pyvrp"], action="append", default=[])
    parser.add_argument("--out", type=Path, default=RESULTS / "vrptw.json")
    args = parser.parse_args(argv)
    run = start_run(command_line("benchmarks vrptw", argv), seeds={"solver": args.seed})
    rows = vrptw.run_vrptw(args.folder, args.time_limit, args.seed)
    if "pyvrp" in args.peer:
        rows += vrptw.run_pyvrp(args.folder, args.time_limit, args.seed)
    rows.sort(key=lambda r: (r["instance"], r["solver"]))
    report = {
        "run": finish_run(run),
        "time_limit_s": args.time_limit,
        "seed": args.seed,
        "machine": {"cpus": run["machine"]["nproc"], "python": run["versions"]["python"]},
        "mean_gap_pct": vrptw.summary(rows),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    for r in rows:
        print(f"{r['instance']:8} {r['solver']:6} {r['cost']:>7} gap {r['gap_pct']}")
    return report


def main(argv: list[str] | None = None) -> None:
    """Dispatch ``argv[0]`` to the benchmark of that name with the remaining arguments."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in NAMES:
        print(__doc__)
        raise SystemExit(2 if argv else 0)
    name, rest = argv[0], argv[1:]
    if name == "national":
        from benchmarks.national import main as national_main

        national_main(rest)
        return
    if name == "bound":
        from benchmarks.bound import main as bound_main

        bound_main(rest)
        return
    if name == "load":
        from benchmarks.load_bench import main as load_main

        load_main(rest)
        return
    if name == "decomposition":
        from benchmarks.decomposition import main as decomposition_main

        decomposition_main(rest)
        return
    if name == "intake":
        intake_main(rest)
    elif name == "vrptw":
        vrptw_main(rest)
    elif name == "travel":
        from benchmarks.travel_bench import main as travel_main

        travel_main(rest)
    elif name == "nightly":
        from benchmarks import nightly_sim

        sys.argv = ["python -m benchmarks nightly", *rest]
        nightly_sim.main()
    from benchmarks.render import render_page

    print(f"written {render_page()}")


if __name__ == "__main__":
    main()
