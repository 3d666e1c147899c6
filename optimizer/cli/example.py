"""``optimizer example``: write the seeded example scenario (scenario, calendars, requests)."""

from __future__ import annotations

from pathlib import Path

import typer

from optimizer.cli.app import app, console
from optimizer.errors import DataError


@app.command("example")
def example_command(
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write the scenario into."),
    seed: int = typer.Option(7, "--seed", min=0, help="Seed; the same seed gives the same files."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing scenario in --out."),
) -> None:
    """Write a complete, reproducible example scenario for 2022-07-01..2024-12-31."""
    from optimizer.data.example import generate_example, write_example
    from optimizer.data.organisations import load_organisations

    if (out / "scenario.toml").exists() and not force:
        raise DataError(f"{out / 'scenario.toml'} already exists; use --force to overwrite it")
    orgs = load_organisations()
    example = generate_example(orgs, seed=seed)
    written = write_example(example, out)
    sessions = sum(r.session for r in example.requests)
    trainings = sum(r.training for r in example.requests)
    n = len(example.requests)
    people = len(example.team) + len(example.trainers)
    console.print(f"wrote {len(written)} files to {out} (seed {seed}):", highlight=False)
    console.print(
        f"  scenario.toml: {example.start}..{example.end}, {len(example.team)} team members, "
        f"{len(example.trainers)} trainers",
        highlight=False,
    )
    console.print(f"  calendars/orgs: {len(example.org_events)} organisation calendars (ICS)")
    console.print(f"  calendars/people: {people} person calendars (ICS)")
    console.print(
        f"  requests.csv: session accepted by {sessions} of {n} ({sessions / n:.0%}), "
        f"training requested by {trainings} ({trainings / n:.0%})",
        highlight=False,
    )
    console.print(f"next: optimizer plan --scenario {out / 'scenario.toml'}", highlight=False)
