"""The offline HTML report: self-contained (no URL at all), every unplanned reason, the map,
timeline and KPIs; and opened in headless Chromium with the network off: the script runs,
no console errors, a screenshot that is not blank."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from factories import plan_of, tiny_problem, valid_appointments
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.domain import Status, Unplanned
from optimizer.export.report import ReportOptions, report_html, write_report
from optimizer.plan.kpi import compute_kpis
from optimizer.plan.progress import (
    PROGRESS_COLOURS,
    STAGE_COLOURS,
    organisation_progress,
    progress_steps,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium is not installed (apt-get install chromium); required when CI is set",
)
REASONS = {
    "GM0014:intake": 'no team member can make any of Groningen\'s 12 free days <leave> & "sick"',
    "GM0307:training": "no trainer with the skill group_training is free in the window",
}


@pytest.fixture(scope="module")
def boundaries(shared_data: Path):
    from optimizer.data.organisations import load_boundary_frames

    municipalities, _ = load_boundary_frames()
    return municipalities


@pytest.fixture(scope="module")
def problem():
    return tiny_problem(trainings={"GM0344": (date(2023, 5, 1), date(2023, 6, 30)),
                                   "GM0307": (date(2023, 6, 1), date(2023, 7, 31))})  # fmt: skip


@pytest.fixture(scope="module")
def plan(problem):
    appointments = [
        replace(a, status=Status.DONE) if a.visit_id == "GM0310:intake" else a
        for a in valid_appointments(problem)
        if a.visit_id != "GM0014:intake"
    ]
    unplanned = [Unplanned(v, r) for v, r in REASONS.items()]
    return plan_of(problem, appointments, unplanned=unplanned)


@pytest.fixture(scope="module")
def page(problem, plan, boundaries) -> str:
    return report_html(problem, plan, boundaries=boundaries)


@pytest.fixture(scope="module")
def report_file(page, tmp_path_factory) -> Path:
    return write_report(page, tmp_path_factory.mktemp("report") / "report.html")


# --------------------------------------------------------------------------- content


def test_report_refers_to_nothing_outside_itself(page) -> None:
    assert "http://" not in page and "https://" not in page
    assert "//" not in re.sub(r"<script>.*?</script>", "", page, flags=re.S)
    for pattern in (r"<link\b", r"\bsrc\s*=", r"@import", r"url\(", r"<iframe", r"\bhref\s*="):
        assert not re.search(pattern, page, flags=re.I), pattern
    assert "CBS, Kadaster / PDOK" in page


def test_every_unplanned_visit_is_listed_with_its_reason(page, plan) -> None:
    section = page[page.index('id="unplanned-section"') :]
    assert f"Unplanned visits ({len(plan.unplanned)})" in section
    for u in plan.unplanned:
        assert html.escape(u.reason, quote=True) in section
        assert u.visit_id in section
    assert "<leave>" not in page  # escaped, not markup


def test_map_has_a_path_per_municipality_coloured_by_progress(page, problem) -> None:
    paths = dict(re.findall(r'<path d="[^"]+" data-code="(GM\d{4})" fill="(#[0-9a-f]{6})"', page))
    assert set(paths) == set(problem.organisations)
    assert paths["GM0014"] == PROGRESS_COLOURS["unplanned"]
    assert paths["GM0310"] == PROGRESS_COLOURS["complete"]  # intake done, nothing else
    assert paths["GM0344"] == PROGRESS_COLOURS["intake"]


def test_slider_data_are_the_progress_steps_of_every_organisation(page, problem, plan) -> None:
    raw = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    data = json.loads(raw.group(1))
    expected = {
        code: [[None if d is None else problem.axis.day_index(d), p] for d, p in steps]
        for code, steps in progress_steps(problem, plan).items()
    }
    assert data["steps"] == expected
    assert data["steps"]["GM0344"][-1] == [problem.axis.day_index(date(2023, 5, 24)), "complete"]


def test_as_of_date_colours_the_map_and_sets_the_slider(problem, plan, boundaries) -> None:
    page = report_html(
        problem, plan, boundaries=boundaries, options=ReportOptions(as_of=date(2023, 5, 4))
    )
    fill = dict(re.findall(r'data-code="(GM\d{4})" fill="(#[0-9a-f]{6})"', page))
    assert fill["GM0344"] == PROGRESS_COLOURS["training"]
    assert fill["GM0355"] == PROGRESS_COLOURS["session"]
    day = problem.axis.day_index(date(2023, 5, 4))
    assert re.search(rf'id="asof" min="\d+" max="\d+" value="{day}"', page)


def test_timeline_has_a_mark_per_appointment_and_person(page, plan) -> None:
    marks = re.findall(r'<rect class="appt st-(\w+)"[^>]*fill="(#[0-9a-f]{6})"', page)
    assert len(marks) == sum(len(a.people) for a in plan.appointments)
    assert all(STAGE_COLOURS[stage] == colour for stage, colour in marks)
    assert 'class="deadline"' in page


def test_kpi_tables_show_the_plans_measures(page, problem, plan) -> None:
    kpis = compute_kpis(problem, plan)
    section = page[page.index('id="kpis"') : page.index('id="unplanned-section"')]
    assert f"<td>{kpis.travel_min:,}</td>" in section
    for pid in problem.people:
        assert f"<th>{pid}</th>" in section
    assert section.count('<rect class="bar"') == len(kpis.travel_min_per_month)


@pytest.mark.slow
def test_report_command_writes_the_file_for_a_sample_plan(shared_data, tmp_path) -> None:
    from optimizer.plan.io import read_plan
    from optimizer.plan.sample import sample_plan

    sample = sample_plan(tmp_path / "sample", time_limit=5)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        app, ["report", str(sample.plan), "-o", str(out), "--as-of", "2022-09-01"]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    plan = read_plan(sample.plan)
    assert "https://" not in text and "http://" not in text
    assert text.count('data-code="GM') >= 20
    for u in plan.unplanned:
        assert html.escape(u.reason, quote=True) in text
    bad = CliRunner().invoke(app, ["report", str(sample.plan), "--as-of", "1 May"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


# --------------------------------------------------------------------------- headless browser


def _chromium(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run headless Chromium with the network off (a dead proxy for every host, loopback
    included; no background or component traffic); stderr carries the console messages."""
    if CHROMIUM is None:
        pytest.fail("CI is set but chromium is not installed (apt-get install chromium)")
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--user-data-dir={profile}",
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--enable-logging=stderr",
        "--v=0",
        "--hide-scrollbars",
        *extra,
        url,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def _errors_in_dom(dom: str) -> str:
    found = re.search(r'<pre id="js-errors"[^>]*>(.*?)</pre>', dom, re.S)
    assert found, "the error box is missing from the DOM"
    return html.unescape(found.group(1)).strip()


@needs_chromium
def test_report_runs_offline_in_headless_chromium_without_errors(report_file, tmp_path) -> None:
    dump = _chromium(report_file.as_uri(), tmp_path / "profile", "--dump-dom")
    assert dump.returncode == 0, dump.stderr[-2000:]
    assert '<body data-ready="yes">' in dump.stdout, "the report's script did not finish"
    assert _errors_in_dom(dump.stdout) == ""
    assert _console_lines(dump.stderr) == []

    png = tmp_path / "report.png"
    shot = _chromium(
        report_file.as_uri(),
        tmp_path / "profile",
        f"--screenshot={png}",
        "--window-size=1400,1000",
    )
    assert shot.returncode == 0 and png.is_file(), shot.stderr[-2000:]
    assert _console_lines(shot.stderr) == []
    import matplotlib.image as mpimg

    pixels = (mpimg.imread(png)[..., :3] * 255).round().astype(np.uint8)
    assert pixels.shape[:2] == (1000, 1400)
    colours = {tuple(c) for c in pixels.reshape(-1, 3)}
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    assert np.mean(np.all(pixels == 255, axis=-1)) < 0.97
    for category in ("unplanned", "complete", "intake"):  # the map's fills are painted
        rgb = tuple(int(PROGRESS_COLOURS[category][k : k + 2], 16) for k in (1, 3, 5))
        assert rgb in colours, category


@needs_chromium
def test_the_slider_recolours_the_map_as_the_python_rule_says(
    report_file, problem, plan, tmp_path
) -> None:
    day = date(2023, 5, 4)
    dump = _chromium(f"{report_file.as_uri()}#asof={day}", tmp_path / "profile", "--dump-dom")
    assert '<body data-ready="yes">' in dump.stdout and _errors_in_dom(dump.stdout) == ""
    fills = dict(re.findall(r'data-code="(GM\d{4})" fill="(#[0-9a-f]{6})"', dump.stdout))
    progress = organisation_progress(problem, plan, as_of=day).set_index("code")["progress"]
    assert fills == {c: PROGRESS_COLOURS[progress[c]] for c in fills}
    assert set(fills) == set(problem.organisations)
    assert f'<output id="asof-label">{day}</output>' in dump.stdout
    shown = dict(re.findall(r'data-count="(\w+)">(\d+)<', dump.stdout))
    assert {k: int(v) for k, v in shown.items() if int(v)} == progress.value_counts().to_dict()


@needs_chromium
def test_the_browser_check_catches_a_script_error(page, tmp_path) -> None:
    broken = page.replace(
        "document.body.setAttribute('data-ready', 'yes');",
        "console.error('broken on purpose'); notDefinedAnywhere();",
    )
    assert broken != page
    path = write_report(broken, tmp_path / "broken.html")
    dump = _chromium(path.as_uri(), tmp_path / "profile", "--dump-dom")
    errors = _errors_in_dom(dump.stdout)
    assert "broken on purpose" in errors and "notDefinedAnywhere" in errors
    assert 'data-ready="yes"' not in dump.stdout
    assert any("notDefinedAnywhere" in line for line in _console_lines(dump.stderr))
