"""Which organisations accepted a council session and which requested a training.

The requests file is a CSV (``,`` or ``;`` separated, UTF-8, a header line)::

    code,session,training,training_from,training_to,training_skill
    GM0014,yes,no,,,
    GM0034,yes,yes,2023-09-04,2023-10-27,group_training
    PV26,no,yes,2024-02-05,,individual_training

- ``session``/``training``: ``yes``/``no`` (also ``ja``/``nee``, ``true``/``false``, ``1``/``0``;
  an empty cell is ``no``);
- ``training_from``/``training_to``: the requested window, inclusive Europe/Amsterdam dates
  (``YYYY-MM-DD`` or ``DD-MM-YYYY``); either may be empty (open-ended);
- ``training_skill``: ``group_training`` (the default when empty) or ``individual_training``.

Only ``code`` and ``session`` are required columns. An organisation missing from the file has
neither accepted a session nor requested a training. When ``training`` is ``no`` the window and
skill are checked but not kept.
"""

from __future__ import annotations

import csv
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from optimizer.domain import Skill
from optimizer.errors import DataError

COLUMNS = ("code", "session", "training", "training_from", "training_to", "training_skill")
"""The columns of the requests CSV, in the order :func:`write_requests` writes them."""
REQUIRED_COLUMNS = ("code", "session")

_YES = frozenset({"yes", "y", "ja", "j", "true", "1"})
_NO = frozenset({"no", "n", "nee", "false", "0", ""})
_TRAINING_SKILLS = (Skill.GROUP_TRAINING, Skill.INDIVIDUAL_TRAINING)


@dataclass(frozen=True, slots=True)
class Request:
    """What one organisation asked for.

    ``training_from``/``training_to`` bound the training's date (inclusive, local dates; None
    is open-ended); they and ``training_skill`` are None when no training is requested.
    """

    code: str
    session: bool
    training: bool = False
    training_from: date | None = None
    training_to: date | None = None
    training_skill: Skill | None = None


def load_requests(path: Path, known_codes: Collection[str]) -> dict[str, Request]:
    """Read the requests CSV into ``{code: Request}``.

    Raises :class:`DataError` naming the file (and line) when the file is missing, a column is
    missing, or a row has an unknown or repeated code, a bad yes/no, a bad date, a window whose
    start is after its end, or an unknown training skill.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(
            f"{path}: requests file not found; expected a CSV with the columns "
            f"{','.join(COLUMNS)} (one row per organisation that accepted a session "
            "or requested a training)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the requests file: {exc}") from exc
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise DataError(f"{path}: empty file; expected a header line {','.join(COLUMNS)}")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.DictReader(lines, delimiter=delimiter)
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DataError(
            f"{path}: line 1: missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}"
        )
    known = set(known_codes)
    requests: dict[str, Request] = {}
    first_line: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        where = f"{path}: line {line}"
        request = _parse_row(row, where, known)
        if request.code in requests:
            raise DataError(
                f"{where}: organisation {request.code} already given on line "
                f"{first_line[request.code]}"
            )
        requests[request.code] = request
        first_line[request.code] = line
    return requests


def write_requests(requests: Collection[Request], path: Path) -> Path:
    """Write requests as a ``,``-separated CSV (sorted by code) that :func:`load_requests`
    reads back; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for r in sorted(requests, key=lambda r: r.code):
            writer.writerow(
                [
                    r.code,
                    _yes_no(r.session),
                    _yes_no(r.training),
                    r.training_from.isoformat() if r.training_from else "",
                    r.training_to.isoformat() if r.training_to else "",
                    r.training_skill.value if r.training_skill else "",
                ]
            )
    return path


def _parse_row(row: dict[str, str | None], where: str, known: set[str]) -> Request:
    code = _cell(row, "code").upper()
    if not code:
        raise DataError(f"{where}: empty code")
    if code not in known:
        raise DataError(f"{where}: unknown organisation code {code!r}")
    session = _parse_bool(_cell(row, "session"), "session", where)
    training = _parse_bool(_cell(row, "training"), "training", where)
    first = _parse_date(_cell(row, "training_from"), "training_from", where)
    last = _parse_date(_cell(row, "training_to"), "training_to", where)
    if first and last and first > last:
        raise DataError(f"{where}: training_from {first} is after training_to {last}")
    skill = _parse_skill(_cell(row, "training_skill"), where)
    if not training:
        return Request(code=code, session=session)
    return Request(
        code=code,
        session=session,
        training=True,
        training_from=first,
        training_to=last,
        training_skill=skill or Skill.GROUP_TRAINING,
    )


def _cell(row: dict[str, str | None], column: str) -> str:
    value = row.get(column)
    return value.strip() if isinstance(value, str) else ""


def _parse_bool(text: str, column: str, where: str) -> bool:
    value = text.lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise DataError(f"{where}: {column} must be yes or no, not {text!r}")


def _parse_date(text: str, column: str, where: str) -> date | None:
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise DataError(f"{where}: {column} {text!r} is not a date (YYYY-MM-DD or DD-MM-YYYY)")


def _parse_skill(text: str, where: str) -> Skill | None:
    if not text:
        return None
    for skill in _TRAINING_SKILLS:
        if text.lower() == skill.value:
            return skill
    allowed = " or ".join(s.value for s in _TRAINING_SKILLS)
    raise DataError(f"{where}: training_skill must be {allowed}, not {text!r}")


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"
