"""Stellenbemessung: from refugee counts to a Planungsrahmen, VZÄ and shares per team.

The money follows the refugees in Anschlussunterbringung at the Stichtag (domain.md §1.4):
Planungsrahmen = persons × rate per person. The positions a budget funds are
Planungsrahmen / (Fördersatz per VZÄ and year × years), rounded to steps of 0.25 VZÄ (the
smallest fundable share, §1.5). The rate, Fördersatz, step and rounding mode are data of the
round (form inputs), never constants here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from workflows.foerderung.rules.money import cents, dec, euro
from workflows.formatting import Number, format_vza

#: decisions a Gemeinde can give in the survey (keys of the form's enum)
ENTSCHEIDUNGEN = (
    "uebertragung",  # transfer the task to the Landkreis
    "eigene_durchfuehrung",  # run it with own staff (needs the minimum Planungsrahmen)
    "freier_traeger",  # commission a freier Träger (e.g. Caritas)
    "zusammenschluss",  # join an interkommunaler Zusammenschluss
    "pruefung",  # still checking
    "keine_rueckmeldung",  # set by the process when the deadline passed without an answer
)

ROUNDING_MODES = {"abrunden": ROUND_DOWN, "kaufmaennisch": ROUND_HALF_UP}


def planungsrahmen(anzahl: int | None, satz_pro_person: Number) -> Decimal:
    """Planungsrahmen of one Gemeinde in euros (exact to the cent): persons × rate per person."""
    if anzahl is None or int(anzahl) <= 0:
        return Decimal("0.00")
    return cents(int(anzahl) * dec(satz_pro_person))


def positions_from_budget(budget: Number, foerdersatz_jahr: Number, monate: int = 24,
                          step: Number = "0.25", rundung: str = "abrunden") -> Decimal:
    """VZÄ a budget funds: budget / (Fördersatz per year × months/12), rounded to `step`.

    `rundung` is "abrunden" (default: never promise more than the money covers) or
    "kaufmaennisch". Returns 0 for an empty budget.
    """
    satz = dec(foerdersatz_jahr) * Decimal(int(monate)) / Decimal(12)
    if satz <= 0:
        raise ValueError("Fördersatz und Förderdauer müssen größer als 0 sein")
    step_d = dec(step)
    exact = dec(budget) / satz
    units = (exact / step_d).quantize(Decimal(1), rounding=ROUNDING_MODES[rundung])
    return max(units, Decimal(0)) * step_d


def allocate_shares(weights: Mapping[str, Number], total_vza: Number, step: Number = 0.25,
                    minimum: Number = 0.25) -> dict[str, float]:
    """Distribute `total_vza` over recipients in proportion to `weights` (largest-remainder method).

    Works in whole units of `step`, so the shares always add up exactly to the total
    (a total that is not a multiple of `step` is first rounded down to one).

    Minimum rule: a recipient whose proportional quota is below `minimum` gets nothing and is
    left out; its weight is spread over the others by recomputing the quotas without it,
    repeated until every remaining quota reaches the minimum (the smallest recipient goes
    first; among equal weights the last key in sort order). Callers that must keep small
    Gemeinden served group them first (e.g. into regional teams). Ties in the remainders go
    to the larger weight, then to the key in sort order, so the result is deterministic.
    Recipients left out are absent from the result.
    """
    step_d, minimum_d = dec(step), dec(minimum)
    if step_d <= 0 or minimum_d < 0:
        raise ValueError("step must be > 0 and minimum >= 0")
    if not _is_step_multiple(minimum_d, step_d):
        raise ValueError("minimum must be a multiple of step (else a floored share could fall below it)")
    units_total = int(dec(total_vza) / step_d)  # whole units, rounded down
    active = {k: dec(w) for k, w in weights.items() if dec(w) > 0}
    if units_total <= 0 or not active:
        return {}
    while True:
        weight_sum = sum(active.values())
        quotas = {k: w * units_total / weight_sum for k, w in active.items()}  # in units
        too_small = [k for k, q in quotas.items() if q * step_d < minimum_d]
        if not too_small:
            break
        smallest = min(sorted(too_small, reverse=True), key=lambda k: active[k])
        del active[smallest]
        if not active:
            return {}
    units = {k: int(q) for k, q in quotas.items()}  # floor
    rest = units_total - sum(units.values())
    order = sorted(active, key=lambda k: (-(quotas[k] - units[k]), -active[k], k))
    for key in order[:rest]:
        units[key] += 1
    return {k: float(units[k] * step_d) for k in sorted(units)}


def stellenbemessung_berechnen(rueckmeldungen: Iterable[Mapping[str, Any]], satz_pro_person: Number,
                               foerdersatz_jahr: Number, foerderdauer_monate: int,
                               vza_schritt: Number, vza_mindestanteil: Number, vza_rundung: str,
                               team_zuordnung: Mapping[str, str],
                               team_namen: Mapping[str, str]) -> dict[str, Any]:
    """The Kreis's proposal from the survey answers (script task `stellenbemessung_berechnen`).

    Only Gemeinden that transferred the task count. Each is grouped into its regional team
    (`team_zuordnung`: AGS → team key); a Gemeinde without a team is its own recipient.
    Returns plain JSON data: the transferring Gemeinden, the Kreis Planungsrahmen, the exact
    and rounded VZÄ, the shares (rows `empfaenger`, `bezeichnung`, `gemeinden`,
    `planungsrahmen`, `vza`), recipients left out by the minimum rule, and counts per decision.
    """
    answers = list(rueckmeldungen)
    zaehlung = {key: 0 for key in ENTSCHEIDUNGEN}
    for answer in answers:
        zaehlung[answer.get("entscheidung") or "keine_rueckmeldung"] += 1
    uebertragende = []
    groups: dict[str, dict[str, Any]] = {}
    for answer in sorted((a for a in answers if a.get("entscheidung") == "uebertragung"),
                         key=lambda a: a["ags"]):
        pr = planungsrahmen(answer.get("anzahl_gefluechtete"), satz_pro_person)
        team = team_zuordnung.get(answer["ags"])
        key = team or answer["ags"]
        uebertragende.append({"ags": answer["ags"], "name": answer["name"],
                              "anzahl_gefluechtete": int(answer.get("anzahl_gefluechtete") or 0),
                              "planungsrahmen": float(pr), "empfaenger": key})
        group = groups.setdefault(key, {"empfaenger": key,
                                        "bezeichnung": team_namen.get(team, answer["name"]) if team
                                        else answer["name"],
                                        "gemeinden": [], "planungsrahmen": Decimal(0)})
        group["gemeinden"].append(answer["ags"])
        group["planungsrahmen"] += pr
    total = sum((g["planungsrahmen"] for g in groups.values()), Decimal("0.00"))
    satz = dec(foerdersatz_jahr) * Decimal(int(foerderdauer_monate)) / Decimal(12)
    vza_exakt = (total / satz) if satz > 0 else Decimal(0)
    vza = positions_from_budget(total, foerdersatz_jahr, foerderdauer_monate, vza_schritt, vza_rundung)
    shares = allocate_shares({k: g["planungsrahmen"] for k, g in groups.items()}, vza,
                             vza_schritt, vza_mindestanteil)
    anteile = [{"empfaenger": k, "bezeichnung": g["bezeichnung"], "gemeinden": g["gemeinden"],
                "planungsrahmen": float(g["planungsrahmen"]), "vza": shares[k]}
               for k, g in sorted(groups.items()) if k in shares]
    nicht_zugeteilt = [{"empfaenger": k, "bezeichnung": g["bezeichnung"], "gemeinden": g["gemeinden"],
                        "planungsrahmen": float(g["planungsrahmen"])}
                       for k, g in sorted(groups.items()) if k not in shares]
    return {
        "uebertragende": uebertragende,
        "planungsrahmen_kreis": euro(total),
        "vza_exakt": float(vza_exakt.quantize(Decimal("0.0001"), rounding=ROUND_DOWN)),
        "vza_gesamt": float(vza),
        "foerdersumme": euro(vza * satz),
        "anteile": anteile,
        "nicht_zugeteilt": nicht_zugeteilt,
        "zaehlung": zaehlung,
    }


def _is_step_multiple(value: Decimal, step: Decimal) -> bool:
    return (value / step) == (value / step).to_integral_value()


RECIPIENTS_FIXED = "Die Empfänger der Anteile (Teams bzw. Gemeinden) können nicht geändert werden, nur die Anteile."
REASON_REQUIRED = "Bitte begründen Sie die Abweichung vom berechneten Vorschlag."
NOT_BLANK = "[^\\s\\u001c-\\u001f\\u0085\\ufeff]"  # as the forms say "not only blanks"


def anteile_schema(vza_schritt: Number = 0.25, vza_mindestanteil: Number = 0.25,
                   vorschlag: Iterable[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """What the task's schema says from the round's data (`formSchema`): every share is at least the minimum and
    a multiple of the step; given the computed proposal, its recipients are the rows' recipients, each exactly
    once (as many rows as recipients, each recipient `contains`), and a reason is required unless every share
    is the proposal's (`if` every recipient has its proposed VZÄ, `else` `aenderungsgrund` is required)."""
    message = (f"Jeder Anteil muss mindestens {format_vza(vza_mindestanteil)} VZÄ betragen und in Schritten von "
               f"{format_vza(vza_schritt)} VZÄ angegeben werden.")
    vza: dict[str, Any] = {"minimum": float(dec(vza_mindestanteil)), "multipleOf": float(dec(vza_schritt)),
                           "x-message": message}
    if vorschlag is None:
        return {"properties": {"anteile": {"items": {"properties": {"vza": vza}}}}}
    proposal = [(str(row["empfaenger"]), float(dec(row["vza"]))) for row in vorschlag]
    keys = [key for key, _ in proposal]
    anteile = {"minItems": len(keys), "maxItems": len(keys), "x-message": RECIPIENTS_FIXED,
               "items": {"properties": {"vza": vza, "empfaenger": {"enum": keys, "x-message": RECIPIENTS_FIXED}}},
               "allOf": [{"contains": {"properties": {"empfaenger": {"const": key}}, "required": ["empfaenger"]},
                          "x-message": RECIPIENTS_FIXED} for key in keys]}
    unchanged = {"properties": {"anteile": {"allOf": [
        {"contains": {"properties": {"empfaenger": {"const": key}, "vza": {"const": share}},
                      "required": ["empfaenger", "vza"]}} for key, share in proposal]}}}
    reason = {"required": ["aenderungsgrund"], "x-message": REASON_REQUIRED,
              "properties": {"aenderungsgrund": {"pattern": NOT_BLANK, "x-message": REASON_REQUIRED}}}
    return {"properties": {"anteile": anteile}, "allOf": [{"if": unchanged, "else": reason}]}


def anteile_errors(form: Mapping[str, Any], vorschlag: Iterable[Mapping[str, Any]], vza_gesamt: Number,
                   vza_schritt: Number = 0.25, vza_mindestanteil: Number = 0.25) -> dict[str, str]:
    """What the schema cannot say of the reviewed shares (`validation` of `stellenbemessung_pruefen`):
    the recipients are the proposal's, the shares add up exactly to the funded VZÄ, and a reason is
    required as soon as anything differs from the computed proposal (`anteile_schema` says the rest)."""
    errors: dict[str, str] = {}
    total = dec(vza_gesamt)
    rows = list(form.get("anteile") or [])
    keys = [row.get("empfaenger") for row in rows]
    proposal = {row["empfaenger"]: dec(row["vza"]) for row in vorschlag}
    if (len(set(keys)) != len(keys) or set(keys) != set(proposal)):
        errors["anteile"] = RECIPIENTS_FIXED
    summe = sum((dec(row.get("vza")) for row in rows), Decimal(0))
    if "anteile" not in errors and summe != total:
        errors["anteile"] = (f"Die Anteile ergeben {format_vza(summe)} VZÄ, gefördert werden "
                             f"{format_vza(total)} VZÄ. Die Summe muss genau übereinstimmen.")
    changed = {k: dec(row.get("vza")) for row, k in zip(rows, keys, strict=True)} != proposal
    if changed and not str(form.get("aenderungsgrund") or "").strip():
        errors["aenderungsgrund"] = REASON_REQUIRED
    return errors


def stellen_aus_anteilen(anteile: Iterable[Mapping[str, Any]], max_vza_je_stelle: Number = 1.0,
                         vza_mindestanteil: Number = 0.25) -> list[dict[str, Any]]:
    """Split each share into postings of at most `max_vza_je_stelle` (one person per posting).

    3.5 VZÄ with a maximum of 1.0 gives 1.0 + 1.0 + 1.0 + 0.5. The last posting keeps the
    rest; a rest below the minimum cannot occur because shares are multiples of the step and
    the step equals the minimum in the programme (checked anyway).
    """
    maximum, minimum = dec(max_vza_je_stelle), dec(vza_mindestanteil)
    stellen: list[dict[str, Any]] = []
    for anteil in anteile:
        rest = dec(anteil["vza"])
        nr = 0
        while rest > 0:
            nr += 1
            vza = min(rest, maximum)
            if vza < minimum:
                raise ValueError(f"Reststelle unter {minimum} VZÄ für {anteil['empfaenger']}")
            stellen.append({"stelle_nr": f"{anteil['empfaenger']}-{nr:02d}",
                            "titel": f"{anteil['bezeichnung']}, Stelle {nr}",
                            "empfaenger": anteil["empfaenger"], "bezeichnung": anteil["bezeichnung"],
                            "gemeinden": list(anteil.get("gemeinden") or []), "vza": float(vza)})
            rest -= vza
    return stellen


def anteile_uebernehmen(vorschlag: Iterable[Mapping[str, Any]],
                        geprueft: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The reviewed shares: the proposal's rows (with their Gemeinden) carrying the reviewed VZÄ."""
    vza = {row["empfaenger"]: float(dec(row["vza"])) for row in geprueft}
    return [dict(row, vza=vza[row["empfaenger"]]) for row in vorschlag if row["empfaenger"] in vza]
