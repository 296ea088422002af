"""German formatting helpers (workflows.formatting)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from workflows.formatting import (
    NBSP,
    add_months,
    format_date,
    format_datetime,
    format_day_of,
    format_eur,
    format_number,
    format_percent,
    format_vza,
    funding_end,
    parse_date,
    parse_decimal,
    round_half_up,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (64000, "64.000,00 €"),
        (Decimal("2880000"), "2.880.000,00 €"),
        ("144095.91", "144.095,91 €"),
        (0.1 + 0.2, "0,30 €"),
        (Decimal("0.125"), "0,13 €"),  # commercial rounding, not banker's
        (-5.5, "-5,50 €"),
        (0, "0,00 €"),
    ],
)
def test_format_eur(value: object, expected: str) -> None:
    result = format_eur(value)  # type: ignore[arg-type]
    assert NBSP in result, "the space before € is U+00A0 on purpose"
    assert result.replace(NBSP, " ") == expected


def test_numbers_vza_percent() -> None:
    assert format_number(1234.5) == "1.234,50"
    assert format_number(3637, 0) == "3.637"
    assert format_number(Decimal("2.5"), 0) == "3"
    assert format_vza(0.75) == "0,75"
    assert format_vza(1) == "1,00"
    assert format_vza("22.5") == "22,50"
    assert format_percent(0.125, 1) == f"12,5{NBSP}%"
    assert round_half_up("0.005") == Decimal("0.01")
    with pytest.raises(TypeError):
        format_number(True)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [dt.date(2026, 11, 24), "2026-11-24", "24.11.2026", dt.datetime(2026, 11, 24, 9)])
def test_format_date_accepts_date_iso_and_german(value: object) -> None:
    assert format_date(value) == "24.11.2026"  # type: ignore[arg-type]


def test_format_date_long_and_datetime_in_berlin_time() -> None:
    assert format_date("2026-03-04", style="long") == "4. März 2026"
    assert format_datetime(dt.datetime(2026, 11, 24, 13, 30, tzinfo=dt.UTC)) == "24.11.2026, 14:30 Uhr"
    assert format_datetime("2026-07-01T12:00:00+00:00") == "01.07.2026, 14:00 Uhr"
    assert format_datetime("2026-07-01T12:00:00") == "01.07.2026, 12:00 Uhr"  # naive = Berlin
    # the pages' dates of moments are Berlin dates, as their times are: the round list showed
    # "Gestartet 01.12.2026" beside "Zuletzt geändert 02.12.2026, 00:02 Uhr" for a round started a minute before
    late = dt.datetime(2026, 12, 1, 23, 1, tzinfo=dt.UTC)
    assert format_day_of(late) == "02.12.2026" and format_datetime(late) == "02.12.2026, 00:01 Uhr"
    assert format_day_of(dt.datetime(2026, 7, 1, 21, 59, tzinfo=dt.UTC)) == "01.07.2026"  # 23:59 in summer
    assert format_day_of(dt.datetime(2026, 12, 1, 23, 1)) == format_day_of("2026-12-01") == "01.12.2026"


def test_parse_date_rejects_garbage() -> None:
    assert parse_date(" 1.2.2018 ") == dt.date(2018, 2, 1)
    for bad in ("31.02.2018", "morgen", ""):
        with pytest.raises(ValueError, match="Datum"):
            parse_date(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("64.000,50", "64000.50"),
        ("64000,5", "64000.5"),
        ("64.000,00 €", "64000.00"),
        ("0.75", "0.75"),
        ("64.000", "64000"),
    ],
)
def test_parse_decimal(text: str, expected: str) -> None:
    assert parse_decimal(text) == Decimal(expected)


def test_parse_decimal_rejects_garbage() -> None:
    for bad in ("", "zwölf", "1,2,3"):
        with pytest.raises(ValueError):
            parse_decimal(bad)


def test_funding_period_of_24_months() -> None:
    assert funding_end("2018-03-15") == dt.date(2020, 3, 14)
    assert funding_end("2018-01-01") == dt.date(2019, 12, 31)
    assert add_months("2018-01-31", 1) == dt.date(2018, 2, 28)
    assert add_months("2019-11-30", 3) == dt.date(2020, 2, 29)
