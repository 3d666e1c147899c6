"""``optimizer nightly``: re-plan after the as-of date and store a new plan version."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import typer

from optimizer.cli.app import app, console

_STEPS = {
    "drop": "reading the drop folder",
    "loading": "loading scenario, calendars and travel",
    "validating": "validating the new plan",
    "storing": "storing the new version",
}


class _ProgressLines:
    """One console line per step of the run and per solver stage (fit for cron logs)."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str, str]] = set()

    def __call__(self, event: dict) -> None:
        stage, step = str(event.get("stage")), str(event.get("step", ""))
        key = (stage, str(event.get("strategy", "")), step)
        if key in self.seen or stage == "done":
            return
        self.seen.add(key)
        text = _STEPS.get(stage, stage)
        if stage == "solving":
            text = f"solving ({event.get('strategy', 'full')}): {step}"
            if "routes" in event:
                text += f" ({event['routes']:,} day routes)"
            if "pins" in event:
                text += f" ({event['pins']} appointments pinned)"
        console.print(f"{event['elapsed_s']:7.1f} s  {text}", highlight=False)


def _parse_as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date YYYY-MM-DD", param_hint="--as-of"
        ) from None


@app.command("nightly")
def nightly_command(
    as_of: str = typer.Option(..., "--as-of", help="Last day of the past (YYYY-MM-DD)."),
    scenario: Path = typer.Option(Path("scenario.toml"), "--scenario", "-s", help="Scenario."),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds for the solver."),
    drop: Path = typer.Option(None, "--drop", help="Drop folder: replies and new calendars."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the MIP solver."),
    deterministic: bool = typer.Option(
        False, "--deterministic", help="Solve the MIPs to the end: same inputs, same plan."
    ),
    strategy: str = typer.Option(
        "best",
        "--strategy",
        help="best (default: repair, and full keeping the proposed ones), full (re-plan all) "
        "or repair (keep all).",
    ),
) -> None:
    """Re-plan everything after --as-of (confirmed and past appointments stay) and store it."""
    from optimizer.plan.nightly import STRATEGIES, run_nightly

    day = _parse_as_of(as_of)
    if strategy not in STRATEGIES:
        raise typer.BadParameter(f"one of {', '.join(STRATEGIES)}", param_hint="--strategy")
    console.print(f"nightly run as of {day} on {scenario}", highlight=False)
    result = run_nightly(
        scenario,
        as_of=day,
        time_limit=time_limit,
        seed=seed,
        drop_folder=drop,
        deterministic=deterministic,
        strategy=strategy,
        progress=_ProgressLines(),
    )
    if drop is not None:
        console.print(
            f"drop folder: {result.applied_updates} status change(s) applied, "
            f"{len(result.calendars_imported)} calendar(s) imported",
            highlight=False,
        )
    for line in result.problems:
        console.print(f"[yellow]skipped[/] {line}", highlight=False)
    for violation in result.tolerated:
        console.print(f"[yellow]pinned[/] {violation}", highlight=False)
    base = result.replaced_version
    console.print(
        f"\nWhat changed tonight (version {base if base is not None else '(none)'} -> "
        f"{result.version_id}):",
        highlight=False,
    )
    console.print(result.summary, markup=False, highlight=False, soft_wrap=True)
    tell = Counter(n.recipient for n in result.notices)
    if tell:
        console.print(
            "Who must be told: " + ", ".join(f"{who} ({n})" for who, n in sorted(tell.items())),
            highlight=False,
        )
    counts = result.counts
    since = result.base_version if result.base_version is not None else "(none)"
    console.print(
        f"since version {since}: moved {counts.get('moved_proposed', 0)} proposed, "
        f"{counts.get('moved_planned', 0)} "
        f"planned, {counts.get('moved_fixed', 0)} confirmed/done; "
        f"{counts.get('pinned', 0)} pinned; {counts.get('unplanned', 0)} unplanned",
        highlight=False,
    )
    scores = ", ".join(f"{k} {v:,.0f}" for k, v in result.scores.items())
    console.print(f"stored the {result.strategy} plan (scores: {scores})", highlight=False)
    for name, violations in result.rejected.items():
        console.print(f"[yellow]the {name} plan broke rules:[/]", highlight=False)
        for line in violations:
            console.print(f"  {line}", markup=False, highlight=False)
    for u in result.plan.unplanned:
        console.print(f"[yellow]unplanned[/] {u.visit_id}: {u.reason}", highlight=False)
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items() if k != "total")
    console.print(f"run time {result.timings['total']:.1f} s ({timings})", highlight=False)
    console.print(f"version {result.version_id} stored in {result.store_path}", highlight=False)
