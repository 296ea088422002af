"""Date helpers shared by the rules: deadlines, funding periods, proof-of-use due dates.

Dates travel through task data as ISO strings (`"2018-03-01"`); timer expressions need a
full ISO datetime, which `frist_zeitpunkt` builds in German local time.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from workflows.formatting import TIMEZONE as BERLIN
from workflows.formatting import DateLike, add_months, parse_date

__all__ = ["DateLike", "add_months", "frist_zeitpunkt", "is_month_end", "iso", "to_date"]



def to_date(value: DateLike) -> date:
    """Accept an ISO date/datetime string or a date object."""
    return parse_date(value)


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
