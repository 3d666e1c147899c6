"""What every benchmark result records about the run: machine, versions, load, seeds, command.

One place, so that every results file (``benchmarks/results/*.json``) carries the same
``run`` block::

    run = start_run("python -m benchmarks national", seeds={"solver": 0, "example": 7})
    ...                                   # the benchmark itself
    finish_run(run)                       # adds the load average at the end and the wall time

The load average matters: the benchmark machines are shared (2 cores), and a run next to other
work gets a fraction of a core. Times are wall-clock seconds; memory is the peak resident set
size (``ru_maxrss``) of the process that did the work, in MiB.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import shlex
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGES = ("optimizer", "ortools", "highspy", "pyvrp", "numpy", "scipy", "holidays")
"""Packages whose versions every result records (None when one is not installed)."""


def cpu_model() -> str:
    """The CPU model name from ``/proc/cpuinfo`` (the platform's processor string elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (None where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine() -> dict:
    """Cores (``nproc``: the CPUs this process may use), CPU model, memory, OS."""
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    try:
        mem_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        mem_gib = None
    return {
        "nproc": nproc,
        "cpu_model": cpu_model(),
        "memory_gib": mem_gib,
        "platform": platform.platform(),
    }


def versions() -> dict:
    """Python and the versions of :data:`PACKAGES`."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def git_commit(repo: Path | None = None) -> dict:
    """The source checkout's commit and whether it has uncommitted changes (None outside git).

    The benchmarks measure the code as it is in the working tree; ``dirty`` says whether that
    differs from the commit."""
    import subprocess

    repo = repo or Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True
        )
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "optimizer"],
            cwd=repo,
            capture_output=True,
            text=True,
        )
    except OSError:
        return {"commit": None, "dirty": None}
    if head.returncode != 0:
        return {"commit": None, "dirty": None}
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def command_line(module: str, argv: list[str] | None = None) -> str:
    """The shell command that reproduces this run: ``python -m <module> <args>``."""
    args = sys.argv[1:] if argv is None else argv
    return " ".join(["python", "-m", module, *map(shlex.quote, args)])


def start_run(command: str, *, seeds: dict) -> dict:
    """The ``run`` block at the start of a benchmark: command, seeds, machine, versions, load."""
    return {
        "command": command,
        "seeds": dict(seeds),
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
        "git": git_commit(),
        "load_average_start": load_average(),
        "_t0": time.perf_counter(),
    }


def finish_run(run: dict) -> dict:
    """Complete ``run`` (in place and returned): end time, wall seconds, load at the end."""
    t0 = run.pop("_t0", None)
    run["finished"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    run["load_average_end"] = load_average()
    if t0 is not None:
        run["wall_s"] = round(time.perf_counter() - t0, 1)
    return run


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (``ru_maxrss`` is KiB on Linux)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
