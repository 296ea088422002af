"""Demo data: the Ortenaukreis, its 51 Gemeinden and one user per role, all with password `demo`.

Idempotent: running it again updates the same rows. Population figures are only those the
CSV carries as verified; everything else about the Gemeinden comes from the process forms.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import users
from workflows.config import DATA_DIR
from workflows.models import Gemeinde, Landkreis

ROLES = {
    "Sachbearbeitung": "Sachbearbeitung (Amt für Migration und Integration)",
    "Dezernatsleitung": "Dezernatsleitung",
    "Gemeinde": "Gemeinde",
    "Verwaltungsausschuss": "Mitglied des Verwaltungsausschusses",
    "Vorsitz": "Vorsitz des Verwaltungsausschusses",
    "Personalamt": "Personalamt",
    "Personalrat": "Personalrat",
    "Administration": "Administration",
}

STAFF = [
    ("sachbearbeitung", "Sabine Keller", ["Sachbearbeitung"]),
    ("dezernat", "Michael Brandt", ["Dezernatsleitung"]),
    ("personalamt", "Jana Vogt", ["Personalamt"]),
    ("personalrat", "Thomas Huber", ["Personalrat"]),
    ("ausschuss1", "Frank Weber (Vorsitz)", ["Verwaltungsausschuss", "Vorsitz"]),
    ("ausschuss2", "Maria Schneider", ["Verwaltungsausschuss"]),
    ("ausschuss3", "Klaus Fischer", ["Verwaltungsausschuss"]),
    ("ausschuss4", "Andrea Wagner", ["Verwaltungsausschuss"]),
    ("ausschuss5", "Stefan Becker", ["Verwaltungsausschuss"]),
    ("admin", "Administration", ["Administration"]),
]

DEMO_PASSWORD = "demo"


@dataclass(frozen=True)
class GemeindeRecord:
    name: str
    ags: str
    typ: str
    einwohner: int | None
    einwohner_jahr: int | None


def read_gemeinden_csv(path: str | None = None) -> list[GemeindeRecord]:
    with open(path or DATA_DIR / "ortenaukreis_gemeinden.csv", encoding="utf-8") as handle:
        return [
            GemeindeRecord(row["name"], row["ags"], row["type"] or "Gemeinde",
                           int(row["population"]) if row["population"] else None,
                           int(row["population_year"]) if row["population_year"] else None)
            for row in csv.DictReader(handle)
        ]


def username_for(gemeinde_name: str) -> str:
    """`Lahr/Schwarzwald` -> `lahr`, `Ottenhöfen im Schwarzwald` -> `ottenhoefen-im-schwarzwald`."""
    base = re.split(r"[/(]", gemeinde_name)[0].strip().lower()
    for umlaut, ascii_form in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        base = base.replace(umlaut, ascii_form)
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", base).strip("-")


def load(session: Session) -> dict[str, int]:
    kreis = session.scalars(select(Landkreis).where(Landkreis.key == "ortenaukreis")).first()
    if kreis is None:
        kreis = Landkreis(key="ortenaukreis", name="Ortenaukreis")
        session.add(kreis)
    kreis.behoerde = "Landratsamt Ortenaukreis"
    kreis.amt = "Amt für Migration und Integration"
    kreis.strasse, kreis.plz, kreis.ort = "Badstraße 20", "77652", "Offenburg"
    kreis.telefon, kreis.email = "0781 805-0", "integrationsmanagement@ortenaukreis.example"
    kreis.internet = "www.ortenaukreis.de"
    kreis.muster = True  # refugee figures and names are demo values
    session.flush()
    records = read_gemeinden_csv()
    for rec in records:
        gemeinde = session.scalars(select(Gemeinde).where(Gemeinde.ags == rec.ags)).first()
        if gemeinde is None:
            gemeinde = Gemeinde(ags=rec.ags, landkreis=kreis)
            session.add(gemeinde)
        gemeinde.name, gemeinde.typ = rec.name, rec.typ
        gemeinde.einwohner, gemeinde.einwohner_jahr = rec.einwohner, rec.einwohner_jahr
    for key, label in ROLES.items():
        users.ensure_role(session, key, label)
    session.flush()
    password_hash = users.hash_password(DEMO_PASSWORD)  # one salted hash shared by all demo accounts
    for username, name, roles in STAFF:
        users.upsert_user(session, username, name, roles, password_hash)
    for rec in records:
        users.upsert_user(session, username_for(rec.name), f"{rec.name} (Gemeindeverwaltung)", ["Gemeinde"],
                          password_hash, gemeinde_ags=rec.ags)
    return {"gemeinden": len(records), "users": len(STAFF) + len(records)}
