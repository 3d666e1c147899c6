"""``optimizer status``, ``diff``, ``export ics`` and ``publish``: the plan store's commands.

The store is the scenario's ``data.store`` (default ``plans.sqlite`` beside the scenario);
without ``--scenario`` the built-in defaults apply (``./plans.sqlite``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import typer
from rich.table import Table

from optimizer.cli.app import app, command_group, console, err_console
from optimizer.domain import Organisation, Role, Stage, Status, Visit
from optimizer.errors import OptimizerError
from optimizer.export.ics import PersonName
from optimizer.plan.store import PlanStore, StoredPlan
from optimizer.scenario import Scenario, load_scenario
from optimizer.timeaxis import AMSTERDAM

CODE = re.compile(r"^(GM\d{4}|PV\d{2})$")

status_app = typer.Typer(
    help="Appointment statuses: record a reply, show the current ones.", no_args_is_help=True
)
app.add_typer(status_app, name="status")


export_app = command_group("export", "Write the plan in other formats.")

ScenarioOption = typer.Option(
    None, "--scenario", "-s", help="Scenario TOML file (its data.store is the plan store)."
)


# ---------------------------------------------------------------------------------------------
# Helpers


def _scenario(path: Path | None) -> Scenario:
    return load_scenario(path) if path else Scenario()


def store_path(scenario: Scenario) -> Path:
    """The plan store's path of a scenario."""
    return scenario.path(scenario.data.store) or scenario.folder / "plans.sqlite"


def _open(scenario: Scenario, *, create: bool = False) -> PlanStore:
    return PlanStore(store_path(scenario), create=create)


def _version(store: PlanStore, version: int | None) -> StoredPlan:
    chosen = version if version is not None else store.latest_version()
    if chosen is None:
        raise OptimizerError(f"{store.path}: no plan version saved yet")
    return store.load_version(chosen)


def people_of(scenario: Scenario) -> dict[str, PersonName]:
    """Team members and trainers of the scenario by id, with their names and roles."""
    people = {p.id: PersonName(p.name, Role.TEAM) for p in scenario.team}
    people.update({p.id: PersonName(p.name, Role.TRAINER) for p in scenario.trainers})
    return people


def organisations_of(scenario: Scenario) -> dict[str, Organisation]:
    """Every organisation of the scenario's boundaries (with town-hall overrides)."""
    from optimizer.data.organisations import load_organisations

    return load_organisations(scenario)


def _parse_date(text: str | None) -> date:
    if not text:
        return datetime.now(AMSTERDAM).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date YYYY-MM-DD", param_hint="--date"
        ) from None


# ---------------------------------------------------------------------------------------------
# status


@status_app.command("set")
def status_set(
    code: str = typer.Argument(..., help="Organisation code (GM#### or PV##)."),
    stage: Stage = typer.Argument(..., help="Stage of the visit."),
    status: Status = typer.Argument(..., help="New status."),
    when: str = typer.Option(None, "--date", help="When it took effect (default: today)."),
    note: str = typer.Option("", "--note", help="Internal note (kept in the history only)."),
    scenario: Path | None = ScenarioOption,
) -> None:
    """Record a status change of one visit (e.g. a town hall confirmed its session)."""
    code = code.upper()
    if not CODE.match(code):
        raise typer.BadParameter(f"{code!r} is not a GM#### or PV## code", param_hint="CODE")
    visit_id = Visit.make_id(code, stage)
    with _open(_scenario(scenario), create=True) as store:
        changed = store.set_status(visit_id, status, at=_parse_date(when), source="cli", note=note)
    console.print(f"{visit_id}: {status}" if changed else f"{visit_id} already {status}")


@status_app.command("show")
def status_show(
    code: str = typer.Argument(None, help="Show the full history of this organisation."),
    scenario: Path | None = ScenarioOption,
) -> None:
    """Show the current status of every visit with a history, or one organisation's history."""
    with _open(_scenario(scenario)) as store:
        if code:
            prefix = f"{code.upper()}:"
            table = Table("visit", "status", "at", "source", "note")
            for visit_id in sorted(v for v in store.current_statuses() if v.startswith(prefix)):
                for event in store.status_history(visit_id):
                    table.add_row(visit_id, event.status, event.at, event.source, event.note)
        else:
            table = Table("visit", "status", "since", "source")
            for visit_id, status in store.current_statuses().items():
                last = store.status_history(visit_id)[-1]
                table.add_row(visit_id, status, last.at, last.source)
    console.print(table)


# ---------------------------------------------------------------------------------------------
# diff, export, publish


@app.command("diff")
def diff(
    from_version: int = typer.Option(None, "--from", help="Older version (default: previous)."),
    to_version: int = typer.Option(None, "--to", help="Newer version (default: latest)."),
    scenario: Path | None = ScenarioOption,
) -> None:
    """Show what changed between two plan versions and who must be told."""
    from optimizer.plan.diff import diff_plans, format_diff

    loaded = _scenario(scenario)
    with _open(loaded) as store:
        new = _version(store, to_version)
        older = [v for v in store.versions() if v < new.version_id]
        old_id = from_version if from_version is not None else (older[-1] if older else None)
        old = store.load_version(old_id).on_axis(new.axis) if old_id is not None else None
    try:
        orgs = organisations_of(loaded)
    except OptimizerError as exc:
        err_console.print(f"warning: organisation names unavailable ({exc})", highlight=False)
        orgs = {}
    changes = diff_plans(old.appointments if old else (), new.appointments)
    title = f"Version {old.version_id if old else '(none)'} -> {new.version_id}"
    console.print(title, highlight=False)
    console.print(
        format_diff(changes, new.axis, orgs), markup=False, highlight=False, soft_wrap=True
    )


@export_app.command("ics")
def export_ics(
    out: Path = typer.Option(..., "--out", help="Folder for one <person id>.ics per person."),
    version: int = typer.Option(None, "--version", help="Plan version (default: latest)."),
    scenario: Path | None = ScenarioOption,
) -> None:
    """Write one iCalendar file per team member and trainer (Europe/Amsterdam times)."""
    from optimizer.export.ics import version_calendars, write_calendars

    loaded = _scenario(scenario)
    with _open(loaded) as store:
        plan = _version(store, version)
    calendars = version_calendars(
        plan, organisations=organisations_of(loaded), people=people_of(loaded)
    )
    paths = write_calendars(calendars, out)
    console.print(f"version {plan.version_id}: wrote {len(paths)} calendars to {out}")


@app.command("publish")
def publish(
    url: str = typer.Option(..., "--url", help="CalDAV server URL."),
    user: str = typer.Option(None, "--user", envvar="OPTIMIZER_CALDAV_USER", help="Account."),
    password: str = typer.Option(
        None, "--password", envvar="OPTIMIZER_CALDAV_PASSWORD", help="Password."
    ),
    version: int = typer.Option(None, "--version", help="Plan version (default: latest)."),
    scenario: Path | None = ScenarioOption,
) -> None:
    """Make each person's CalDAV calendar equal to the plan (create, update, delete)."""
    from optimizer.export.caldav import publish as publish_calendars
    from optimizer.export.ics import version_calendars

    loaded = _scenario(scenario)
    if not url.startswith(("http://", "https://")):
        raise typer.BadParameter(f"{url!r} is not an http(s):// URL", param_hint="--url")
    with _open(loaded) as store:
        plan = _version(store, version)
    calendars = version_calendars(
        plan, organisations=organisations_of(loaded), people=people_of(loaded)
    )
    summary = publish_calendars(url, username=user, password=password, calendars=calendars)
    console.print(f"version {plan.version_id} published to {url}", highlight=False)
    console.print(str(summary), highlight=False)
