"""Exact money arithmetic for the grant rules.

Amounts travel through task data as plain numbers in euros (JSON has no decimal type), but
every sum and product is computed with `Decimal` so that e.g. the Planungsrahmen of 41
Gemeinden adds up to the cent and equals the figure in the documents.
"""

from __future__ import annotations

from decimal import Decimal

from workflows.formatting import Number, round_half_up, to_decimal


def dec(value: Number | None) -> Decimal:
    """Task-data number as Decimal (None counts as 0); floats go through `str`, so 0.1 stays 0.1."""
    return Decimal(0) if value is None else to_decimal(value)


def cents(value: Number) -> Decimal:
    """Round to whole cents, commercially (half up), as German administrations do."""
    return round_half_up(value, 2)


def euro(value: Number) -> float:
    """Amount for task data: a float with at most two decimals (exact cents)."""
    return float(cents(value))
