"""The one time axis of the optimizer.

Every instant in the domain is an integer number of **minutes on the local wall clock of
Europe/Amsterdam**, counted from 00:00 on the horizon's first day (the *origin*). Every
calendar day spans exactly 1440 minutes of that axis, whatever daylight-saving time does:
19:30 local time is minute ``day * 1440 + 1170`` on every day of the year, so office hours,
evenings and council meetings never shift at the DST switch. Converting to an aware
``datetime`` (for ICS export) attaches the Europe/Amsterdam zone to the wall-clock time.

On the one night a year when 02:00-03:00 does not exist (spring) a wall-clock time in that
gap is kept as written; in the autumn hour that happens twice, the first occurrence is
meant. No appointment is ever planned at night, so neither matters in practice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MINUTES_PER_DAY = 1440


def hhmm(text: str) -> int:
    """Minutes after midnight of a ``"HH:MM"`` string (``"19:30"`` -> 1170)."""
    hours, _, minutes = text.partition(":")
    value = int(hours) * 60 + int(minutes or 0)
    if not 0 <= value <= MINUTES_PER_DAY:
        raise ValueError(f"not a time of day: {text!r}")
    return value


def fmt_hhmm(minute_of_day: int) -> str:
    """``"HH:MM"`` of a number of minutes after midnight (1170 -> ``"19:30"``)."""
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


@dataclass(frozen=True, slots=True)
class TimeAxis:
    """Conversion between dates/datetimes and minutes since ``origin`` 00:00 local time."""

    origin: date

    def day_index(self, day: date) -> int:
        """Days from the origin to ``day`` (0 on the origin)."""
        return (day - self.origin).days

    def date_of_day(self, index: int) -> date:
        return self.origin + timedelta(days=index)

    def minute(self, moment: datetime | date) -> int:
        """Axis minute of an aware or naive datetime, or of a date's midnight.

        Aware datetimes are first converted to Europe/Amsterdam; naive ones are read as
        Amsterdam wall-clock time.
        """
        if not isinstance(moment, datetime):
            return self.day_index(moment) * MINUTES_PER_DAY
        if moment.tzinfo is not None:
            moment = moment.astimezone(AMSTERDAM)
        day = self.day_index(moment.date())
        return day * MINUTES_PER_DAY + moment.hour * 60 + moment.minute

    def at(self, day: date, minute_of_day: int) -> int:
        """Axis minute of ``minute_of_day`` minutes after midnight on ``day``."""
        return self.day_index(day) * MINUTES_PER_DAY + minute_of_day

    def date_of(self, minute: int) -> date:
        return self.origin + timedelta(days=minute // MINUTES_PER_DAY)

    def datetime_of(self, minute: int) -> datetime:
        """Aware Europe/Amsterdam datetime of an axis minute."""
        day = self.date_of(minute)
        of_day = minute % MINUTES_PER_DAY
        return datetime.combine(day, time(of_day // 60, of_day % 60), tzinfo=AMSTERDAM)


def minute_of_day(minute: int) -> int:
    """Minutes after local midnight of an axis minute."""
    return minute % MINUTES_PER_DAY


def day_of(minute: int) -> int:
    """Day index of an axis minute."""
    return minute // MINUTES_PER_DAY
