"""German (de_DE) formatting of amounts, numbers and dates, shared by documents and web app.

Everything goes through Babel so that separators and month names follow CLDR, with two
house rules on top:

* Rounding is commercial (``ROUND_HALF_UP``, "kaufmännisch"), not Babel's default banker's
  rounding: 0,125 € is printed as 0,13 €, as an administration's cash office would.
* The space between an amount and its unit (``64.000,00 €``, ``12,5 %``) is the
  **no-break space U+00A0** that CLDR prescribes. It keeps "€" from wrapping onto its own line
  in PDFs and HTML. Compare with :data:`NBSP` (or normalise it) in tests and plain-text output.

Dates are shown as ``24.11.2026`` (DIN 5008 numeric form); aware datetimes are converted to
Europe/Berlin before they are shown.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_format_date
from babel.numbers import NumberFormatError
from babel.numbers import format_decimal as _babel_format_decimal
from babel.numbers import parse_decimal as _babel_parse_decimal

LOCALE = "de_DE"
NBSP = "\u00a0"
TIMEZONE = ZoneInfo("Europe/Berlin")

Number = Decimal | int | float | str
DateLike = dt.date | str

_GERMAN_DATE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")


def to_decimal(value: Number) -> Decimal:
    """Convert to Decimal exactly; floats go through ``str`` so 0.1 stays 0.1."""
    if isinstance(value, bool):
        raise TypeError("Ein Wahrheitswert ist keine Zahl.")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | float):
        result = Decimal(str(value))
    elif isinstance(value, str):
        result = parse_decimal(value)
    else:
        raise TypeError(f"Keine Zahl: {value!r}")
    if not result.is_finite():
        raise ValueError(f"Keine endliche Zahl: {value!r}")
    return result


def round_half_up(value: Number, decimals: int = 2) -> Decimal:
    """Commercial rounding to ``decimals`` places (0,125 → 0,13)."""
    return to_decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def format_number(value: Number, decimals: int = 2) -> str:
    """``1234.5`` → ``"1.234,50"``; ``decimals=0`` gives ``"1.235"``."""
    if decimals < 0:
        raise ValueError("decimals must not be negative")
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return _babel_format_decimal(
        round_half_up(value, decimals), format=pattern, locale=LOCALE, decimal_quantization=True
    )


def format_eur(value: Number, decimals: int = 2) -> str:
    """``64000`` → ``"64.000,00 €"`` (U+00A0 before €); negatives as ``"-5,50 €"``."""
    return f"{format_number(value, decimals)}{NBSP}€"


def format_vza(value: Number) -> str:
    """Vollzeitäquivalente with two decimals: ``0.75`` → ``"0,75"``, ``1`` → ``"1,00"``."""
    return format_number(value, 2)


def format_percent(value: Number, decimals: int = 0) -> str:
    """A ratio as percent: ``0.125`` → ``"13 %"``, with ``decimals=1`` ``"12,5 %"``."""
    return f"{format_number(to_decimal(value) * 100, decimals)}{NBSP}%"


def parse_decimal(text: str) -> Decimal:
    """Parse German input such as ``"64.000,50"``, ``"64000,5"`` or ``"64.000,50 €"``.

    Plain ISO notation with a single dot and no comma (``"0.75"``, as JSON and HTML number
    inputs send it) is accepted too when it cannot be a German thousands group (which always has
    exactly three digits and never follows a bare 0).
    """
    cleaned = text.replace("€", "").replace(NBSP, " ").strip().replace(" ", "")
    if not cleaned:
        raise ValueError("Leere Eingabe ist keine Zahl.")
    if re.fullmatch(r"[+-]?(\d+\.(\d{1,2}|\d{4,})|0\.\d+)", cleaned):
        return Decimal(cleaned)
    try:
        return _babel_parse_decimal(cleaned, locale=LOCALE, strict=True)
    except (NumberFormatError, InvalidOperation) as exc:
        raise ValueError(f"Keine gültige Zahl: {text!r}") from exc


def parse_date(value: DateLike) -> dt.date:
    """Accept a date, a datetime (its date), ISO ``2026-11-24`` or German ``24.11.2026``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise TypeError(f"Kein Datum: {value!r}")
    match = _GERMAN_DATE.match(value)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise ValueError(f"Kein gültiges Datum: {value!r} (erwartet TT.MM.JJJJ)") from exc


def parse_datetime(value: dt.datetime | str) -> dt.datetime:
    """Accept a datetime or an ISO string; naive values are taken as Europe/Berlin time."""
    result = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return result if result.tzinfo else result.replace(tzinfo=TIMEZONE)


def format_date(value: DateLike, style: str = "short") -> str:
    """``"24.11.2026"`` (``style="short"``) or ``"24. November 2026"`` (``style="long"``)."""
    pattern = {"short": "dd.MM.yyyy", "long": "d. MMMM yyyy"}.get(style)
    if pattern is None:
        raise ValueError(f"unknown date style {style!r}")
    return _babel_format_date(parse_date(value), pattern, locale=LOCALE)


def format_day_of(value: DateLike) -> str:
    """The date of a moment as people here read it: a zoned datetime's Berlin date (a step done at
    23:30 UTC happened on the next day here), shown beside `format_datetime`'s Berlin time."""
    if isinstance(value, dt.datetime) and value.tzinfo:
        value = value.astimezone(TIMEZONE)
    return format_date(value)


def format_datetime(value: dt.datetime | str) -> str:
    """``"24.11.2026, 14:30 Uhr"`` in Europe/Berlin time."""
    local = parse_datetime(value).astimezone(TIMEZONE)
    return f"{format_date(local.date())}, {local:%H:%M} Uhr"


def add_months(start: DateLike, months: int) -> dt.date:
    """Same day ``months`` later, clamped to the month's end (31.01. + 1 → 28./29.02.)."""
    day = parse_date(start)
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.date(year, month, min(day.day, (next_month - dt.timedelta(days=1)).day))


def funding_end(start: DateLike, months: int = 24) -> dt.date:
    """Last funded day of a post starting on ``start`` (15.03.2018, 24 → 14.03.2020)."""
    return add_months(start, months) - dt.timedelta(days=1)


_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def compact_iban(text: str) -> str:
    """An IBAN as typed or printed (``"de89 3704 0044 0532 0130 00"``) → ``"DE89370400440532013000"``."""
    return re.sub(r"[\s\u00a0-]+", "", text).upper()


def iban_problem(text: str) -> str | None:
    """Why ``text`` is no IBAN (German), or None: shape and the ISO 13616 / ISO 7064 mod-97 check digits."""
    iban = compact_iban(text)
    if not _IBAN_SHAPE.match(iban):
        return ("Eine IBAN beginnt mit dem Ländercode und zwei Prüfziffern und hat 15 bis 34 Zeichen "
                "(in Deutschland 22, z. B. DE89 3704 0044 0532 0130 00).")
    if iban.startswith("DE") and len(iban) != 22:
        return f"Eine deutsche IBAN hat 22 Zeichen, diese hat {len(iban)}."
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        return "Die Prüfziffer der IBAN stimmt nicht: bitte auf Tippfehler prüfen."
    return None


def format_iban(value: str) -> str:
    """An IBAN in groups of four, as DIN 5008 prints it: ``"DE89 3704 0044 0532 0130 00"``."""
    iban = compact_iban(value)
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
