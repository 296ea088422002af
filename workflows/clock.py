"""The process clock: "now" and "today" of a round's steps, timers and documents.

The real clock, unless a demo sets the Demo-Uhr (`GRANTFLOW_DEMO_DATE=2017-09-18`, `make run`): then
the process's day is that date (the time of day runs on) until `grantflow tick --now 2017-10-28T00:10+02:00`
moves the Demo-Uhr on to that moment (kept in the instance folder, `demo-uhr.txt`, so that the server and
the command share it; it never goes back). A demo round of the 2017-2018 Förderzeitraum so gets the dates
of its own Stichtag (Rückmeldefrist 27.10.2017, the Sitzung after it, postings after the Sitzung, letters
dated 2017), and its timers fire when a tick says so. A step run at a given moment (`at`: a tick, tests)
sees that moment. Audit events, logins and Vertretungen keep the real clock: they record what people did.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from pathlib import Path

from workflows import settings
from workflows.formatting import TIMEZONE

_moment: ContextVar[datetime | None] = ContextVar("process_moment", default=None)


def _stored() -> Path:
    return settings.get().instance_dir / "demo-uhr.txt"


def demo_now() -> datetime | None:
    """The Demo-Uhr's moment (where the last tick left it, else its date at today's time of day), or None
    on the real clock."""
    day = settings.get().demo_date
    if day is None:
        return None
    start = datetime.combine(day, datetime.now(TIMEZONE).timetz())
    moved = _moved_to(_stored())
    return max(start, moved) if moved is not None and moved.tzinfo else start


_last_read: tuple[Path, int, datetime | None] | None = None  #: the file, its mtime, its moment


def _moved_to(path: Path) -> datetime | None:
    """Where the last tick moved the Demo-Uhr; read again only when the file changed (an inbox page asks
    once per row whether a task is overdue)."""
    global _last_read
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    if _last_read is None or _last_read[:2] != (path, mtime):
        try:
            moment: datetime | None = datetime.fromisoformat(path.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            moment = None
        _last_read = (path, mtime, moment)
    return _last_read[2]


def advance_demo(moment: datetime) -> datetime | None:
    """A tick at `moment` moves the Demo-Uhr on to it (never back); its moment now, None without one."""
    current = demo_now()
    if current is None or moment <= current:
        return current
    _stored().parent.mkdir(parents=True, exist_ok=True)
    _stored().write_text(moment.isoformat(), encoding="utf-8")
    return moment


def now() -> datetime:
    return _moment.get() or demo_now() or datetime.now(UTC)


def today() -> date:
    """The process's calendar day in the Landratsamt's time zone."""
    return now().astimezone(TIMEZONE).date()


@contextmanager
def at(moment: datetime | None) -> Iterator[None]:
    """Steps in this block run at `moment` (None: the clock as it is)."""
    token = _moment.set(moment) if moment is not None else None
    try:
        yield
    finally:
        if token is not None:
            _moment.reset(token)
