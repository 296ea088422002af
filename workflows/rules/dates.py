"""Date helpers shared by the rules: deadlines, funding periods, proof-of-use due dates.

Dates travel through task data as ISO strings (`"2018-03-01"`); timer expressions need a
full ISO datetime, which `frist_zeitpunkt` builds in German local time.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")

DateLike = str | date


def to_date(value: DateLike) -> date:
    """Accept an ISO date/datetime string or a date object."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date() if "T" in str(value) else date.fromisoformat(str(value))


def add_months(start: date, months: int) -> date:
    """Calendar month arithmetic; the day is clamped to the target month's length (31.01. + 1 → 28./29.02.)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def frist_zeitpunkt(datum: DateLike, tage_vorher: int = 0, uhrzeit: str = "23:59:59") -> str:
    """ISO datetime (Europe/Berlin) for a timer: the end of a deadline day, optionally some days earlier.

    A deadline "bis 15.10." means the whole day counts, so the timer fires at 23:59:59 local time.
    """
    day = to_date(datum) - timedelta(days=int(tage_vorher))
    moment = datetime.combine(day, time.fromisoformat(uhrzeit), tzinfo=BERLIN)
    return moment.isoformat()


def iso(day: date) -> str:
    return day.isoformat()
