"""What changed between two plans ("what changed tonight"), and who must be told.

Pure functions, no I/O. Appointments are matched by visit id; both plans must use the same
time axis (re-express a stored plan with :meth:`StoredPlan.on_axis` first). Appointments
with status cancelled or declined (tombstones) count as absent.

Kinds of change:

- ``added``: the visit has an appointment now and had none (or a cancelled one) before;
- ``moved``: start or end changed (the people may have changed too);
- ``cancelled``: the visit had an appointment and has none now (or a cancelled one);
- ``people``: same time, other people.

Who is told (:meth:`PlanDiff.who_to_tell`): every person whose calendar changes (people of
the old and of the new appointment); the organisation when a date it had been sent
(status proposed, confirmed or done) moves or disappears. A newly added appointment is not
"told" to the organisation: it is proposed to it in the normal course.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from optimizer.domain import Kind, Organisation, Stage, Status
from optimizer.timeaxis import TimeAxis, fmt_hhmm, minute_of_day

ChangeKind = Literal["added", "moved", "cancelled", "people"]
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_INACTIVE = (Status.CANCELLED, Status.DECLINED)
_SENT = (Status.PROPOSED, Status.CONFIRMED, Status.DONE)


class AppointmentLike(Protocol):
    """What the diff reads of an appointment (domain or stored)."""

    @property
    def visit_id(self) -> str: ...
    @property
    def org(self) -> str: ...
    @property
    def stage(self) -> Stage: ...
    @property
    def people(self) -> tuple[str, ...]: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def status(self) -> Status: ...


@dataclass(frozen=True)
class Change:
    """One visit's change; ``old`` is None for added, ``new`` is None for cancelled."""

    kind: ChangeKind
    old: AppointmentLike | None
    new: AppointmentLike | None

    @property
    def current(self) -> AppointmentLike:
        """The new appointment if any, else the old one."""
        return self.new if self.new is not None else self.old  # type: ignore[return-value]

    @property
    def visit_id(self) -> str:
        return self.current.visit_id

    @property
    def people(self) -> tuple[str, ...]:
        """Everyone whose calendar this change touches, old and new, in order."""
        seen: dict[str, None] = {}
        for a in (self.old, self.new):
            if a is not None:
                seen.update(dict.fromkeys(a.people))
        return tuple(seen)

    @property
    def organisation_told(self) -> bool:
        """Whether the organisation had been sent the old date and must hear of the change."""
        return (
            self.kind in ("moved", "cancelled")
            and self.old is not None
            and Status(self.old.status) in _SENT
        )


@dataclass(frozen=True, slots=True)
class Notice:
    """Someone to tell: a person id or an organisation code, and why (short words)."""

    recipient: str
    organisation: bool
    reason: str
    change: Change


@dataclass(frozen=True)
class PlanDiff:
    """All changes between two plans, ordered by (new, else old) start time and visit id."""

    changes: tuple[Change, ...]

    def _of(self, kind: ChangeKind) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.kind == kind)

    @property
    def added(self) -> tuple[Change, ...]:
        return self._of("added")

    @property
    def moved(self) -> tuple[Change, ...]:
        return self._of("moved")

    @property
    def cancelled(self) -> tuple[Change, ...]:
        return self._of("cancelled")

    @property
    def people_changed(self) -> tuple[Change, ...]:
        return self._of("people")

    def __bool__(self) -> bool:
        return bool(self.changes)

    def per_person(self) -> dict[str, tuple[Change, ...]]:
        """The changes touching each person (in the old or new appointment), by person id."""
        result: dict[str, list[Change]] = {}
        for change in self.changes:
            for person in change.people:
                result.setdefault(person, []).append(change)
        return {person: tuple(result[person]) for person in sorted(result)}

    def who_to_tell(self) -> tuple[Notice, ...]:
        """Every person and organisation to inform, one notice per (recipient, change)."""
        notices: list[Notice] = []
        for change in self.changes:
            for person in change.people:
                notices.append(Notice(person, False, _person_reason(change, person), change))
            if change.organisation_told:
                stage = change.current.stage
                notices.append(Notice(change.current.org, True, f"{stage} {change.kind}", change))
        return tuple(notices)


def _person_reason(change: Change, person: str) -> str:
    stage = change.current.stage
    was = change.old is not None and person in change.old.people
    goes = change.new is not None and person in change.new.people
    if change.kind == "added":
        return f"new {stage}"
    if change.kind == "cancelled":
        return f"{stage} cancelled"
    if was and not goes:
        return f"no longer going to the {stage}"
    if goes and not was:
        return f"now going to the {stage}"
    return f"{stage} moved" if change.kind == "moved" else f"other people at the {stage}"


def _active(appointments: Sequence[AppointmentLike]) -> dict[str, AppointmentLike]:
    return {a.visit_id: a for a in appointments if Status(a.status) not in _INACTIVE}


def diff_plans(old: Sequence[AppointmentLike], new: Sequence[AppointmentLike]) -> PlanDiff:
    """The changes from plan ``old`` to plan ``new`` (same time axis)."""
    before, after = _active(old), _active(new)
    changes: list[Change] = []
    for visit_id in before.keys() | after.keys():
        a, b = before.get(visit_id), after.get(visit_id)
        if a is None:
            changes.append(Change("added", None, b))
        elif b is None:
            changes.append(Change("cancelled", a, None))
        elif (a.start, a.end) != (b.start, b.end):
            changes.append(Change("moved", a, b))
        elif set(a.people) != set(b.people):
            changes.append(Change("people", a, b))
    changes.sort(key=lambda c: (c.current.start, c.visit_id))
    return PlanDiff(tuple(changes))


# ---------------------------------------------------------------------------------------------
# Words


def format_when(axis: TimeAxis, minute: int) -> str:
    """``"Tue 2024-03-12 19:00"``: local weekday, date and wall-clock time of an axis minute."""
    day = axis.date_of(minute)
    return f"{_WEEKDAYS[day.weekday()]} {day.isoformat()} {fmt_hhmm(minute_of_day(minute))}"


def _what(a: AppointmentLike, orgs: Mapping[str, Organisation]) -> str:
    org = orgs.get(a.org)
    return f"{a.org} {org.name} {a.stage}" if org else f"{a.org} {a.stage}"


def _organisation_word(code: str, orgs: Mapping[str, Organisation]) -> str:
    org = orgs.get(code)
    if org is not None:
        return "the province" if org.kind is Kind.PROVINCIE else "the municipality"
    return "the province" if code.startswith("PV") else "the municipality"


def describe_change(change: Change, axis: TimeAxis, orgs: Mapping[str, Organisation]) -> str:
    """One change in plain words, without the "tell:" part."""
    old, new = change.old, change.new
    if change.kind == "added":
        assert new is not None
        return (
            f"{_what(new, orgs)} added on {format_when(axis, new.start)} ({', '.join(new.people)})"
        )
    if change.kind == "cancelled":
        assert old is not None
        return f"{_what(old, orgs)} on {format_when(axis, old.start)} cancelled"
    assert old is not None and new is not None
    if change.kind == "moved":
        text = (
            f"{_what(new, orgs)} moved from {format_when(axis, old.start)} "
            f"to {format_when(axis, new.start)}"
        )
        if set(old.people) != set(new.people):
            text += f", now with {', '.join(new.people)} instead of {', '.join(old.people)}"
        return text
    return (
        f"{_what(new, orgs)} on {format_when(axis, new.start)} now with "
        f"{', '.join(new.people)} instead of {', '.join(old.people)}"
    )


def _tell(change: Change, orgs: Mapping[str, Organisation]) -> str:
    names = list(change.people)
    if change.organisation_told:
        names.append(_organisation_word(change.current.org, orgs))
    return ", ".join(names)


def format_diff(diff: PlanDiff, axis: TimeAxis, orgs: Mapping[str, Organisation]) -> str:
    """The diff in plain words: a count line, one line per change with who to tell, and the
    changes per person. Dates and times are local (Europe/Amsterdam) wall-clock."""
    if not diff:
        return "No changes."
    lines = [
        f"{len(diff.added)} added, {len(diff.moved)} moved, {len(diff.cancelled)} cancelled, "
        f"{len(diff.people_changed)} with other people."
    ]
    for change in diff.changes:
        lines.append(f"- {describe_change(change, axis, orgs)}; tell: {_tell(change, orgs)}")
    lines.append("Per person:")
    for person, changes in diff.per_person().items():
        items = "; ".join(
            f"{_what(c.current, orgs)} ({_person_reason(c, person)})" for c in changes
        )
        lines.append(f"  {person}: {items}")
    return "\n".join(lines)
