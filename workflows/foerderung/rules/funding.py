"""Funding periods, the Bewilligungsbescheid comparison and the Verwendungsnachweis due date."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from workflows.foerderung.rules.dates import DateLike, add_months, is_month_end, iso, to_date
from workflows.foerderung.rules.money import cents, dec, euro
from workflows.formatting import Number, format_eur


def funding_end(start: DateLike, months: int = 24) -> str:
    """Last day of a funding period of `months` from the start of employment (domain.md §1.5).

    01.03.2018 + 24 months → 29.02.2020 (the day before the same date 24 months later).
    """
    return iso(add_months(to_date(start), int(months)) - timedelta(days=1))


def verwendungsnachweis_due(funding_ends: Iterable[DateLike], months_after: int = 3) -> str | None:
    """Sachbericht due date: three months after the end of the longest funding period (§1.9).

    A period ending on a month's last day gives the last day of the target month
    (29.02.2020 → 31.05.2020). None when nobody was funded.
    """
    ends = [to_date(e) for e in funding_ends if e]
    if not ends:
        return None
    last = max(ends)
    due = add_months(last, int(months_after))
    if is_month_end(last):
        due = add_months(due.replace(day=1), 1) - timedelta(days=1)
    return iso(due)


def foerdersumme(vza: Number, foerdersatz_jahr: Number, monate: int = 24) -> Decimal:
    """Funding for one person: VZÄ × Fördersatz per year × months / 12, exact to the cent."""
    return cents(dec(vza) * dec(foerdersatz_jahr) * Decimal(int(monate)) / Decimal(12))


def personalmeldung(besetzung: Mapping[str, Any], landkreis: str, foerdersatz_jahr: Number,
                    foerderdauer_monate: int) -> dict[str, Any]:
    """Payload of the message `personalmeldung` to the RP for one hired person."""
    return {"landkreis": landkreis, "stelle_nr": besetzung["stelle_nr"], "name": besetzung["name"],
            "qualifikation": besetzung["qualifikation"], "vza": besetzung["vza"],
            "beginn": besetzung["beginn"], "foerderende": besetzung["foerderende"],
            "beantragter_betrag": euro(foerdersumme(besetzung["vza"], foerdersatz_jahr, foerderdauer_monate))}


def bescheid_vergleich(bescheid: Mapping[str, Any], besetzungen: Iterable[Mapping[str, Any]],
                       foerdersatz_jahr: Number, foerderdauer_monate: int) -> dict[str, Any]:
    """Compare the Bewilligungsbescheid with what was applied for (the hired persons).

    `bescheid["personen"]` rows carry `name` and `betrag` (approved euros). Returns the sums,
    the difference, persons not approved or approved with less, and `gekuerzt`.
    """
    applied = {b["name"]: foerdersumme(b["vza"], foerdersatz_jahr, foerderdauer_monate)
               for b in besetzungen if b.get("status") == "besetzt"}
    approved = {p["name"]: cents(p.get("betrag") or 0) for p in bescheid.get("personen") or []}
    beantragt = sum(applied.values(), Decimal("0.00"))
    bewilligt = sum(approved.values(), Decimal("0.00"))
    abweichungen = [{"name": name, "beantragt": euro(amount), "bewilligt": euro(approved.get(name, 0))}
                    for name, amount in sorted(applied.items()) if approved.get(name, Decimal(0)) < amount]
    differenz = beantragt - bewilligt
    return {"beantragt_summe": euro(beantragt), "bewilligt_summe": euro(bewilligt),
            "differenz": euro(differenz), "gekuerzt": differenz > 0, "abweichungen": abweichungen,
            "text": (f"Beantragt {format_eur(beantragt)}, bewilligt {format_eur(bewilligt)}, "
                     f"Differenz {format_eur(differenz)}.")}


def kuerzung_schema(differenz: Number) -> dict[str, Any]:
    """Covering a cut with the Kreis's own funds: at most the difference (`formSchema`; the reason and
    an amount above 0 € are in the form itself)."""
    return {"properties": {"eigenmittel_betrag": {
        "maximum": euro(cents(differenz)),
        "x-message": f"Der Eigenanteil muss größer als 0 € und höchstens {format_eur(differenz)} sein."}}}


def runde_abschluss(besetzungen: Iterable[Mapping[str, Any]], months_after: int = 3) -> dict[str, Any]:
    """End of the longest funding period and the Verwendungsnachweis due date."""
    ends = [b["foerderende"] for b in besetzungen if b.get("status") == "besetzt"]
    return {"foerderende_spaetestens": max(ends) if ends else None,
            "verwendungsnachweis_faellig": verwendungsnachweis_due(ends, months_after)}
