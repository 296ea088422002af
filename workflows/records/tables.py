"""Tables of a round for export, and their files: CSV as German Excel reads it, XLSX with openpyxl.

A `Table` holds typed values (numbers as numbers, dates as dates); the kind of each column decides
how it is written: in CSV with a decimal comma and dates as `24.11.2026`, in XLSX as real numbers
and dates with German number formats, a bold frozen header row and fitting column widths.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from workflows.formatting import TIMEZONE, format_date, format_datetime

#: column kind -> (XLSX number format, decimals in CSV or None for no number)
KINDS: dict[str, tuple[str, int | None]] = {
    "text": ("@", None),
    "integer": ("0", 0),
    "number": ("#,##0.00", 2),
    "vza": ("0.00", 2),
    "money": ('#,##0.00 "€"', 2),
    "date": ("DD.MM.YYYY", None),
    "datetime": ("DD.MM.YYYY HH:MM", None),
}


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"
    width: int = 0  # 0: from the header and the values


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)

    def column(self, header: str) -> list[Any]:
        index = [c.header for c in self.columns].index(header)
        return [row[index] for row in self.rows]


def as_date(value: Any) -> dt.date | None:
    """An ISO date (or datetime) string or object as a date; anything else None."""
    if isinstance(value, dt.datetime):
        return value.astimezone(TIMEZONE).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _csv_value(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "date":
        day = as_date(value)
        return format_date(day) if day else str(value)
    if kind == "datetime" and isinstance(value, dt.datetime):
        return format_datetime(value)
    decimals = KINDS.get(kind, KINDS["text"])[1]
    number = _number(value) if decimals is not None else None
    if number is None:
        return "ja" if value is True else "nein" if value is False else str(value)
    return f"{number:.{decimals}f}".replace(".", ",")  # no thousands separator: Excel reads it as a number


def to_csv(table: Table) -> bytes:
    """UTF-8 with BOM, `;` between fields, decimal comma: what German Excel opens correctly by double-click."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.header for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(v, c.kind) for v, c in zip(row, table.columns, strict=True)])
    return out.getvalue().encode("utf-8-sig")


def _xlsx_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "date":
        return as_date(value) or str(value)
    if kind == "datetime" and isinstance(value, dt.datetime):
        return value.astimezone(TIMEZONE).replace(tzinfo=None)  # Excel has no time zones: local time
    if KINDS.get(kind, KINDS["text"])[1] is not None:
        number = _number(value)
        return number if number is not None else str(value)
    return "ja" if value is True else "nein" if value is False else str(value)


def _sheet_name(title: str, taken: set[str]) -> str:
    name = "".join(" " if c in "[]:*?/\\" else c for c in title)[:31].strip() or "Tabelle"
    base, n = name, 2
    while name in taken:
        name = f"{base[:28]} {n}"
        n += 1
    taken.add(name)
    return name


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """One sheet per table: bold header row, frozen, German number and date formats, column widths."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    taken: set[str] = set()
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title, taken))
        sheet.append([c.header for c in table.columns])
        for cell in sheet[1]:
            cell.font, cell.fill = header_font, header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.rows:
            sheet.append([_xlsx_value(v, c.kind) for v, c in zip(row, table.columns, strict=True)])
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            fmt = KINDS.get(column.kind, KINDS["text"])[0]
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if cell.value is not None and not isinstance(cell.value, str):
                    cell.number_format = fmt
            longest = max([len(column.header)] + [len(_csv_value(r[index - 1], column.kind)) for r in table.rows])
            sheet.column_dimensions[letter].width = column.width or min(60, max(10, longest + 2))
        sheet.freeze_panes = "A2"
        if table.rows:
            sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
