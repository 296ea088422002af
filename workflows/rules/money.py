"""Exact money arithmetic for the grant rules.

Amounts travel through task data as plain numbers in euros (JSON has no decimal type), but
every sum and product is computed with `Decimal` so that e.g. the Planungsrahmen of 41
Gemeinden adds up to the cent and equals the figure in the documents.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

Number = int | float | str | Decimal

CENT = Decimal("0.01")


def dec(value: Number | None) -> Decimal:
    """Convert a task-data number to Decimal via `str`, so 0.1 stays 0.1 (not its binary value)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    return Decimal(str(value))


def cents(value: Number) -> Decimal:
    """Round to whole cents, commercially (half up), as German administrations do."""
    return dec(value).quantize(CENT, rounding=ROUND_HALF_UP)


def euro(value: Number) -> float:
    """Amount for task data: a float with at most two decimals (exact cents)."""
    return float(cents(value))


def format_euro(value: Number) -> str:
    """German display form, e.g. `51.000,00 €` (used in validation messages and drafts)."""
    amount = cents(value)
    sign = "-" if amount < 0 else ""
    whole, frac = f"{abs(amount):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{'.'.join(groups)},{frac} €"


def format_vza(value: Number) -> str:
    """German display form of a VZÄ figure, e.g. `12,25`."""
    return f"{dec(value):.2f}".replace(".", ",")
