"""One self-contained HTML report of a plan (``optimizer report``): works offline, in any
browser, without a server, map tiles or a CDN.

Sections:

1. **Progress map**: a choropleth of the municipalities (inline SVG, the CBS polygons in
   EPSG:28992, simplified as a coverage so that neighbours keep their shared borders) and a
   chip per province, coloured by progress (:mod:`optimizer.plan.progress`) as of a date;
   a slider moves that date (the progress steps of every organisation are embedded, so the
   page recolours itself without recomputing any rule); ``#asof=YYYY-MM-DD`` at the end of
   the page's address opens it on that date;
2. **Timeline**: one row per team member and trainer, a mark per appointment coloured by
   stage, the deadline as a line; check boxes hide stages;
3. **KPIs** (:mod:`optimizer.plan.kpi`): the totals, the stages, the people, travel per
   month;
4. **Unplanned visits** with the solver's reason for each, filterable by text.

Everything is in the one file: the styles, the SVG, the data (JSON) and a little vanilla
JavaScript. The page contains no ``http://`` or ``https://`` reference at all. Script errors
are recorded into the hidden element ``#js-errors`` (a ``window.onerror`` handler and a
wrapper of ``console.error``), and ``<body data-ready="yes">`` is set once the script has run:
a headless browser's DOM dump shows both.
"""

from __future__ import annotations

import html
import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from optimizer.data.boundaries import ATTRIBUTION
from optimizer.domain import Plan, Problem, Role, Stage
from optimizer.plan.kpi import Kpis, compute_kpis
from optimizer.plan.progress import (
    PROGRESS,
    PROGRESS_COLOURS,
    PROGRESS_LABELS,
    STAGE_COLOURS,
    organisation_progress,
    progress_steps,
)
from optimizer.timeaxis import AMSTERDAM, fmt_hhmm, minute_of_day

RD_NEW = "EPSG:28992"
SIMPLIFY_M = 120.0
"""Coverage simplification of the polygons for the map (metres, EPSG:28992)."""
MAP_WIDTH = 640
"""Width of the map's SVG coordinate system (pixels); the height follows the country."""
TIMELINE_WIDTH = 1200
ROW_HEIGHT = 22


@dataclass(frozen=True)
class ReportOptions:
    """``as_of``: the date the map shows progress on (None: only ``done`` counts as held);
    ``title``: the page title (default: the problem's name); ``simplify_m``: see
    :data:`SIMPLIFY_M`."""

    as_of: date | None = None
    title: str | None = None
    simplify_m: float = SIMPLIFY_M


def report_html(
    problem: Problem,
    plan: Plan,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    options: ReportOptions = ReportOptions(),
) -> str:
    """The report as one HTML document (see the module docstring).

    ``boundaries``: polygons with ``statcode`` (municipalities ``GM…``; provinces are shown
    as chips), any CRS; without them the map section says so.
    """
    kpis = compute_kpis(problem, plan)
    progress = organisation_progress(problem, plan, as_of=options.as_of)
    title = options.title or f"Plan report: {problem.name}"
    body = "\n".join(
        [
            _header(problem, plan, kpis, title),
            _map_section(problem, plan, progress, boundaries, options),
            _timeline_section(problem, plan),
            _kpi_section(problem, kpis),
            _unplanned_section(problem, plan),
            _footer(),
        ]
    )
    data = _script_data(problem, plan, options)
    return _PAGE.format(
        title=_e(title),
        style=_STYLE,
        guard=_GUARD_JS,
        body=body,
        data=data,
        script=_MAIN_JS,
    )


def write_report(text: str, path: Path) -> Path:
    """Write the report to ``path`` atomically (a temporary file beside it, then renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


# ---------------------------------------------------------------------------------------------
# Sections


def _header(problem: Problem, plan: Plan, kpis: Kpis, title: str) -> str:
    stats = plan.stats
    gap = stats.gap
    gap_text = f"{gap:.1%}" if gap is not None and np.isfinite(gap) else "unknown"
    required_open = sum(s.required_unplanned for s in kpis.stages.values())
    facts = [
        ("organisations", f"{len(problem.organisations)}"),
        ("visits", f"{len(problem.visits)}"),
        ("appointments", f"{len(plan.appointments)}"),
        ("unplanned", f"{len(plan.unplanned)} ({required_open} required)"),
        ("travel", f"{kpis.travel_min:,} min, {kpis.travel_km:,.0f} km"),
        ("deadline", kpis.deadline.isoformat()),
        ("horizon", f"{problem.horizon_start} .. {problem.horizon_end}"),
        ("solver", f"{stats.solver}, {stats.runtime_s:.0f} s, gap {gap_text}"),
    ]
    items = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in facts)
    made = datetime.now(AMSTERDAM).strftime("%Y-%m-%d %H:%M")
    return (
        f'<header><h1>{_e(title)}</h1><p class="muted">Made {made} (Europe/Amsterdam). '
        f'Times are local wall-clock times.</p><dl class="facts">{items}</dl></header>'
    )


def _map_section(
    problem: Problem,
    plan: Plan,
    progress,
    boundaries: gpd.GeoDataFrame | None,
    options: ReportOptions,
) -> str:
    rows = {r["code"]: r for r in progress.to_dict("records")}
    municipalities = [c for c, r in rows.items() if r["kind"] == "gemeente"]
    shapes = _svg_shapes(boundaries, municipalities, options.simplify_m)
    paths = []
    for code in municipalities:
        d = shapes.paths.get(code)
        if d is None:
            continue
        r = rows[code]
        paths.append(
            f'<path d="{d}" data-code="{code}" fill="{PROGRESS_COLOURS[r["progress"]]}">'
            f"<title>{_e(_org_tooltip(r))}</title></path>"
        )
    if paths:
        svg = (
            f'<svg class="map" viewBox="0 0 {shapes.width:.0f} {shapes.height:.0f}" '
            f'role="img" aria-label="progress per municipality">{"".join(paths)}</svg>'
        )
    else:
        svg = '<p class="muted">No boundary polygons available for the map.</p>'
    provinces = [r for r in rows.values() if r["kind"] == "provincie"]
    chips = "".join(
        f'<span class="chip" data-code="{r["code"]}" '
        f'style="background:{PROGRESS_COLOURS[r["progress"]]}" title="{_e(_org_tooltip(r))}">'
        f"{_e(r['name'])}</span>"
        for r in provinces
    )
    counts = {p: 0 for p in PROGRESS}
    for r in rows.values():
        counts[r["progress"]] += 1
    legend = "".join(
        f'<li><span class="swatch" style="background:{PROGRESS_COLOURS[p]}"></span>'
        f'{_e(PROGRESS_LABELS[p])}: <b data-count="{p}">{counts[p]}</b></li>'
        for p in PROGRESS
    )
    first, last = _day_range(problem, plan)
    initial = first if options.as_of is None else problem.axis.day_index(options.as_of)
    initial = min(max(initial, first), last)
    shown = options.as_of.isoformat() if options.as_of else "only visits marked done count"
    slider = (
        f'<label class="asof">Progress as of <input type="range" id="asof" min="{first}" '
        f'max="{last}" value="{initial}" step="1"> <output id="asof-label">{_e(shown)}'
        "</output></label>"
    )
    return (
        '<section id="progress"><h2>Progress per organisation</h2>'
        '<p class="muted">A visit counts as held once its date has passed (or it is marked '
        "done); the colour is the first stage still to come, or red when a visit has no date."
        f"</p>{slider}<div class='mapwrap'>{svg}<div><ul class='legend'>{legend}</ul>"
        f"<h3>Provinces</h3><div class='chips'>{chips}</div></div></div></section>"
    )


def _org_tooltip(row: Mapping) -> str:
    lines = [f"{row['name']} ({row['code']})"]
    for stage in Stage:
        status = row[f"{stage.value}_status"]
        if status == "-":
            continue
        day = row[f"{stage.value}_date"]
        when = day.isoformat() if isinstance(day, date) else "no date"
        people = row[f"{stage.value}_people"]
        lines.append(f"{stage.value}: {when} {people} ({status})".replace("  ", " "))
    if row["unplanned_reason"]:
        lines.append(f"unplanned: {row['unplanned_reason']}")
    return "\n".join(lines)


def _timeline_section(problem: Problem, plan: Plan) -> str:
    axis = problem.axis
    first_day = min([problem.horizon_start] + [axis.date_of(a.start) for a in plan.appointments])
    last_day = max(
        [problem.rules.deadline, problem.horizon_end]
        + [axis.date_of(a.start) for a in plan.appointments]
    ) + timedelta(days=1)
    label_w, top = 170, 24
    span = (last_day - first_day).days or 1
    plot_w = TIMELINE_WIDTH - label_w - 10
    people = sorted(problem.people.values(), key=lambda p: (p.role is not Role.TEAM, p.id))
    row_of = {p.id: k for k, p in enumerate(people)}
    height = top + ROW_HEIGHT * len(people) + 6

    def x(day: date) -> float:
        return label_w + plot_w * (day - first_day).days / span

    parts = []
    month = date(first_day.year, first_day.month, 1)
    while month <= last_day:
        if month >= first_day:
            cls = "grid year" if month.month == 1 else "grid"
            parts.append(
                f'<line class="{cls}" x1="{x(month):.1f}" x2="{x(month):.1f}" y1="{top - 4}" '
                f'y2="{height}"/>'
            )
            if month.month in (1, 7) and x(month) < TIMELINE_WIDTH - 70:
                parts.append(
                    f'<text class="tick" x="{x(month) + 2:.1f}" y="{top - 8}">{month:%b %Y}</text>'
                )
        month = (month + timedelta(days=32)).replace(day=1)
    for p in people:
        y = top + ROW_HEIGHT * row_of[p.id]
        parts.append(
            f'<text class="who" x="4" y="{y + ROW_HEIGHT * 0.7:.1f}">{_e(p.id)} '
            f"{_e(p.name)}</text>"
            f'<line class="row" x1="{label_w}" x2="{TIMELINE_WIDTH - 10}" '
            f'y1="{y + ROW_HEIGHT:.1f}" y2="{y + ROW_HEIGHT:.1f}"/>'
        )
    day_w = max(plot_w / span, 1.5)
    for a in sorted(plan.appointments, key=lambda a: a.start):
        day = axis.date_of(a.start)
        org = problem.organisations.get(a.org)
        tip = (
            f"{org.name if org else a.org} ({a.org}) {a.stage.value}\n{day.isoformat()} "
            f"{fmt_hhmm(minute_of_day(a.start))}-{fmt_hhmm(minute_of_day(a.end))} "
            f"{', '.join(a.people)} ({a.status.value})"
        )
        for person in a.people:
            if person not in row_of:
                continue
            y = top + ROW_HEIGHT * row_of[person] + 3
            parts.append(
                f'<rect class="appt st-{a.stage.value}" x="{x(day):.1f}" y="{y}" '
                f'width="{day_w:.1f}" height="{ROW_HEIGHT - 6}" '
                f'fill="{STAGE_COLOURS[a.stage.value]}"><title>{_e(tip)}</title></rect>'
            )
    deadline = problem.rules.deadline + timedelta(days=1)
    parts.append(
        f'<line class="deadline" x1="{x(deadline):.1f}" x2="{x(deadline):.1f}" y1="{top - 4}" '
        f'y2="{height}"><title>deadline {problem.rules.deadline}</title></line>'
    )
    boxes = "".join(
        f'<label><input type="checkbox" data-stage="{s.value}" checked> '
        f'<span class="swatch" style="background:{STAGE_COLOURS[s.value]}"></span>'
        f"{s.value}</label>"
        for s in Stage
    )
    return (
        '<section id="timeline-section"><h2>Timeline per person</h2>'
        f'<div class="filters">Show: {boxes} <span class="muted">(the red line is the '
        f"deadline, {problem.rules.deadline})</span></div>"
        f'<svg id="timeline" class="timeline" viewBox="0 0 {TIMELINE_WIDTH} {height}" '
        f'role="img" aria-label="appointments per person">{"".join(parts)}</svg></section>'
    )


def _kpi_section(problem: Problem, kpis: Kpis) -> str:
    totals = [
        ("travel minutes", f"{kpis.travel_min:,}"),
        ("travel km", f"{kpis.travel_km:,.1f}"),
        ("deadline", kpis.deadline.isoformat()),
        ("team working minutes, max", f"{kpis.team_working_min_max:,}"),
        ("team working minutes, min", f"{kpis.team_working_min_min:,}"),
        ("team working minutes, coefficient of variation", f"{kpis.team_working_min_cv:.3f}"),
    ]
    total_rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in totals)
    stage_rows = "".join(
        f"<tr><th>{_e(stage)}</th><td>{s.planned}</td><td>{s.required}</td>"
        f"<td>{s.unplanned}</td><td>{s.required_unplanned}</td>"
        f"<td>{s.last_date.isoformat() if s.last_date else '-'}</td>"
        f"<td>{s.margin_days if s.margin_days is not None else '-'}</td></tr>"
        for stage, s in kpis.stages.items()
    )
    person_rows = "".join(
        f"<tr><th>{_e(pid)}</th><td class='l'>{_e(p.name)}</td><td class='l'>{p.role.value}"
        f"</td><td>{kpis.visits_per_person.get(pid, 0)}</td>"
        f"<td>{kpis.working_days_per_person.get(pid, 0)}</td>"
        f"<td>{kpis.working_min_per_person.get(pid, 0):,}</td>"
        f"<td>{kpis.evenings_per_person.get(pid, 0)}</td>"
        f"<td>{kpis.travel_min_per_person.get(pid, 0):,}</td>"
        f"<td>{kpis.travel_km_per_person.get(pid, 0):,.1f}</td></tr>"
        for pid, p in problem.people.items()
    )
    return (
        '<section id="kpis"><h2>KPIs</h2><div class="kpis">'
        f"<table class='kpi'><caption>Totals</caption>{total_rows}</table>"
        "<table class='kpi'><caption>Stages</caption><tr><th></th><th>planned</th>"
        "<th>required</th><th>unplanned</th><th>required unplanned</th><th>last date</th>"
        f"<th>days of margin</th></tr>{stage_rows}</table></div>"
        "<table class='kpi'><caption>People (working time from leaving home to coming back, "
        "travel included)</caption><tr><th>id</th><th>name</th><th>role</th><th>visits</th>"
        "<th>working days</th><th>working min</th><th>evenings</th><th>travel min</th>"
        f"<th>travel km</th></tr>{person_rows}</table>"
        f"{_month_bars(kpis)}</section>"
    )


def _month_bars(kpis: Kpis) -> str:
    months = kpis.travel_min_per_month
    if not months:
        return ""
    width, height, bottom = TIMELINE_WIDTH, 180, 24
    top = max(months.values()) or 1
    bar = (width - 60) / len(months)
    parts = []
    for k, (month, minutes) in enumerate(months.items()):
        h = (height - bottom - 10) * minutes / top
        x = 50 + k * bar
        km = kpis.travel_km_per_month.get(month, 0.0)
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{height - bottom - h:.1f}" '
            f'width="{max(bar - 2, 1):.1f}" height="{h:.1f}"><title>{month}: {minutes:,} min, '
            f"{km:,.0f} km</title></rect>"
        )
        if month.endswith(("-01", "-07")) or len(months) <= 12:
            parts.append(f'<text class="tick" x="{x + 1:.1f}" y="{height - 8}">{month}</text>')
    parts.append(f'<text class="tick" x="2" y="14">{top:,} min</text>')
    return (
        "<h3>Travel per month (minutes)</h3>"
        f'<svg class="bars" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="travel minutes per month">{"".join(parts)}</svg>'
    )


def _unplanned_section(problem: Problem, plan: Plan) -> str:
    rows = []
    for u in sorted(plan.unplanned, key=lambda u: u.visit_id):
        visit = problem.visits.get(u.visit_id)
        org_code, _, stage = u.visit_id.partition(":")
        org = problem.organisations.get(visit.org if visit else org_code)
        rows.append(
            f"<tr><td>{_e(u.visit_id)}</td><td>{_e(org.name if org else org_code)}</td>"
            f"<td>{_e(visit.stage.value if visit else stage)}</td>"
            f"<td>{'yes' if visit is None or visit.required else 'no'}</td>"
            f"<td class='reason'>{_e(u.reason)}</td></tr>"
        )
    if not rows:
        table = "<p>Every visit has a date.</p>"
    else:
        table = (
            '<input type="search" id="unplanned-filter" placeholder="filter (name, code, '
            'stage, reason)"> <span id="unplanned-shown" class="muted"></span>'
            '<table id="unplanned" class="list"><tr><th>visit</th><th>organisation</th>'
            "<th>stage</th><th>required</th><th>reason</th></tr>"
            f"{''.join(rows)}</table>"
        )
    return (
        f'<section id="unplanned-section"><h2>Unplanned visits ({len(rows)})</h2>{table}</section>'
    )


def _footer() -> str:
    return (
        f'<footer class="muted">Boundaries: {_e(ATTRIBUTION)}. Made by optimizer; this page '
        "needs no network.</footer>"
    )


# ---------------------------------------------------------------------------------------------
# Map geometry


@dataclass(frozen=True)
class _Shapes:
    paths: dict[str, str]
    width: float
    height: float


def _svg_shapes(
    boundaries: gpd.GeoDataFrame | None, codes: list[str], simplify_m: float
) -> _Shapes:
    """SVG path data per code: polygons in EPSG:28992, coverage-simplified, scaled to
    :data:`MAP_WIDTH` with north up."""
    if boundaries is None or boundaries.empty:
        return _Shapes({}, MAP_WIDTH, MAP_WIDTH)
    frame = boundaries[boundaries["statcode"].isin(codes)].to_crs(RD_NEW)
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if frame.empty:
        return _Shapes({}, MAP_WIDTH, MAP_WIDTH)
    geometry = shapely.make_valid(frame.geometry.to_numpy())
    try:
        geometry = shapely.coverage_simplify(geometry, simplify_m, simplify_boundary=True)
    except shapely.errors.GEOSException:
        geometry = shapely.simplify(geometry, simplify_m, preserve_topology=True)
    minx, miny, maxx, maxy = shapely.total_bounds(geometry)
    scale = MAP_WIDTH / (maxx - minx)
    height = (maxy - miny) * scale
    paths = {}
    for code, shape in zip(frame["statcode"], geometry, strict=True):
        rings = []
        for polygon in _polygons(shape):
            for ring in (polygon.exterior, *polygon.interiors):
                xy = np.asarray(ring.coords)
                if len(xy) < 4:
                    continue
                px = (xy[:, 0] - minx) * scale
                py = (maxy - xy[:, 1]) * scale
                points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
                rings.append(f"M{points}Z")
        if rings:
            paths[code] = "".join(rings)
    return _Shapes(paths, MAP_WIDTH, height)


def _polygons(shape) -> list:
    if shape is None or shape.is_empty:
        return []
    if shape.geom_type == "Polygon":
        return [shape]
    return [p for g in getattr(shape, "geoms", []) for p in _polygons(g)]


# ---------------------------------------------------------------------------------------------
# Data for the script


def _day_range(problem: Problem, plan: Plan) -> tuple[int, int]:
    """Axis day indices of the first appointment and the day after the last one."""
    days = [a.start // 1440 for a in plan.appointments]
    if not days:
        return 0, 0
    return min(days), max(days) + 1


def _script_data(problem: Problem, plan: Plan, options: ReportOptions) -> str:
    axis = problem.axis
    steps = {
        code: [[None if day is None else axis.day_index(day), progress] for day, progress in s]
        for code, s in progress_steps(problem, plan).items()
    }
    data = {
        "origin": axis.origin.isoformat(),
        "colours": PROGRESS_COLOURS,
        "categories": list(PROGRESS),
        "steps": steps,
    }
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True)
    return text.replace("</", "<\\/")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# ---------------------------------------------------------------------------------------------
# Page template

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<script>{guard}</script>
<style>{style}</style>
</head>
<body>
<pre id="js-errors" hidden></pre>
{body}
<script type="application/json" id="report-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""

_STYLE = """
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto;
  max-width: 1280px; padding: 12px 20px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 4px 0; } h2 { font-size: 18px; margin: 22px 0 6px;
  border-bottom: 1px solid #ddd; } h3 { font-size: 14px; margin: 12px 0 4px; }
.muted { color: #666; font-size: 12px; }
dl.facts { display: flex; flex-wrap: wrap; gap: 6px 22px; margin: 6px 0; }
dl.facts div { display: flex; gap: 6px; } dt { color: #666; } dd { margin: 0; font-weight: 600; }
.mapwrap { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
svg.map { width: 560px; max-width: 100%; height: auto; background: #f4f8fb; }
svg.map path { stroke: #fff; stroke-width: 0.5; stroke-linejoin: round; fill-rule: evenodd; }
svg.map path:hover { stroke: #000; stroke-width: 1.5; }
ul.legend { list-style: none; padding: 0; margin: 0; } ul.legend li { margin: 3px 0; }
.swatch { display: inline-block; width: 14px; height: 14px; margin-right: 6px;
  vertical-align: -2px; border: 1px solid #999; }
.chips { display: flex; flex-wrap: wrap; gap: 4px; max-width: 420px; }
.chip { padding: 2px 6px; border: 1px solid #999; border-radius: 3px; font-size: 12px; }
label.asof { display: block; margin: 6px 0; } #asof { width: 320px; vertical-align: middle; }
svg.timeline, svg.bars { width: 100%; height: auto; }
svg .who, svg .tick { font-size: 11px; fill: #333; }
svg .grid { stroke: #eee; } svg .grid.year { stroke: #bbb; } svg .row { stroke: #f2f2f2; }
svg .deadline { stroke: #d7301f; stroke-width: 2; }
svg rect.bar { fill: #6baed6; } svg rect.appt:hover, svg rect.bar:hover { opacity: 0.6; }
.hide-intake .st-intake, .hide-session .st-session, .hide-training .st-training
  { display: none; }
.filters label { margin-right: 12px; }
table { border-collapse: collapse; margin: 8px 16px 8px 0; font-size: 13px; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 3px 8px; text-align: right; }
th { text-align: left; font-weight: 600; } td.l, td.reason, table.list td { text-align: left; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
.kpis { display: flex; flex-wrap: wrap; align-items: flex-start; }
#unplanned-filter { width: 360px; padding: 3px; margin: 4px 0; }
footer { margin: 24px 0 8px; }
"""

_GUARD_JS = """
window.__reportErrors = [];
function __reportError(message) {
  window.__reportErrors.push(String(message));
  var box = document.getElementById('js-errors');
  if (box) { box.textContent = window.__reportErrors.join('\\n'); }
}
window.addEventListener('error', function (event) {
  __reportError('error: ' + event.message + ' at ' + event.filename + ':' + event.lineno);
});
window.addEventListener('unhandledrejection', function (event) {
  __reportError('unhandled rejection: ' + event.reason);
});
(function () {
  var original = console.error;
  console.error = function () {
    __reportError('console.error: ' + Array.prototype.join.call(arguments, ' '));
    return original.apply(console, arguments);
  };
})();
document.addEventListener('DOMContentLoaded', function () {
  var box = document.getElementById('js-errors');
  if (box && window.__reportErrors.length) { box.textContent = window.__reportErrors.join('\\n'); }
});
"""

_MAIN_JS = r"""
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var origin = data.origin.split('-').map(Number);
  var originMs = Date.UTC(origin[0], origin[1] - 1, origin[2]);

  function isoDay(index) {
    return new Date(originMs + index * 86400000).toISOString().slice(0, 10);
  }
  function progressOn(steps, day) {
    var current = steps[0][1];
    for (var k = 1; k < steps.length; k++) {
      if (steps[k][0] <= day) { current = steps[k][1]; }
    }
    return current;
  }
  function recolour(day) {
    var counts = {};
    data.categories.forEach(function (c) { counts[c] = 0; });
    document.querySelectorAll('[data-code]').forEach(function (el) {
      var steps = data.steps[el.getAttribute('data-code')];
      if (!steps) { return; }
      var progress = progressOn(steps, day);
      var colour = data.colours[progress];
      if (el.tagName.toLowerCase() === 'path') { el.setAttribute('fill', colour); }
      else { el.style.background = colour; }
      counts[progress] += 1;
    });
    document.querySelectorAll('[data-count]').forEach(function (el) {
      el.textContent = counts[el.getAttribute('data-count')];
    });
    document.getElementById('asof-label').textContent = isoDay(day);
  }
  var slider = document.getElementById('asof');
  if (slider) {
    slider.addEventListener('input', function () { recolour(Number(slider.value)); });
    var linked = /asof=(\d{4}-\d{2}-\d{2})/.exec(window.location.hash);
    if (linked) {
      var day = Math.round((Date.parse(linked[1]) - originMs) / 86400000);
      slider.value = String(day);
      recolour(day);
    }
  }

  var timeline = document.getElementById('timeline');
  document.querySelectorAll('input[data-stage]').forEach(function (box) {
    box.addEventListener('change', function () {
      timeline.classList.toggle('hide-' + box.getAttribute('data-stage'), !box.checked);
    });
  });

  var filter = document.getElementById('unplanned-filter');
  if (filter) {
    var rows = Array.prototype.slice.call(document.querySelectorAll('#unplanned tr')).slice(1);
    var shown = document.getElementById('unplanned-shown');
    var update = function () {
      var query = filter.value.trim().toLowerCase();
      var count = 0;
      rows.forEach(function (row) {
        var match = !query || row.textContent.toLowerCase().indexOf(query) >= 0;
        row.hidden = !match;
        if (match) { count += 1; }
      });
      shown.textContent = count + ' of ' + rows.length + ' shown';
    };
    filter.addEventListener('input', update);
    update();
  }
  document.body.setAttribute('data-ready', 'yes');
})();
"""
