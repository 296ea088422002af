"""Demo data: the Ortenaukreis, its 51 Gemeinden and one user per role, all with password `demo`.

Idempotent: running it again updates the same rows. Population figures are only those the
CSV carries as verified; everything else about the Gemeinden comes from the process forms.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy.orm import Session

from workflows.foerderung import masterdata
from workflows.foerderung.roles import ensure_roles
from workflows.identity import users

STAFF = [
    ("sachbearbeitung", "Sabine Keller", ["Sachbearbeitung"]),
    ("dezernat", "Michael Brandt", ["Dezernatsleitung"]),
    ("personalamt", "Jana Vogt", ["Personalamt"]),
    ("personalrat", "Thomas Huber", ["Personalrat"]),
    ("ausschuss1", "Frank Weber", ["Verwaltungsausschuss", "Vorsitz"]),
    ("ausschuss2", "Maria Schneider", ["Verwaltungsausschuss"]),
    ("ausschuss3", "Klaus Fischer", ["Verwaltungsausschuss"]),
    ("ausschuss4", "Andrea Wagner", ["Verwaltungsausschuss"]),
    ("ausschuss5", "Stefan Becker", ["Verwaltungsausschuss"]),
    ("schriftfuehrung", "Petra Lorenz", ["Schriftführung"]),  # the Stammdaten's Schriftführung
    ("admin", "Administration", ["Administration"]),
]

DEMO_PASSWORD = "demo"


def username_for(gemeinde_name: str) -> str:
    """`Lahr/Schwarzwald` -> `lahr`, `Ottenhöfen im Schwarzwald` -> `ottenhoefen-im-schwarzwald`."""
    base = re.split(r"[/(]", gemeinde_name)[0].strip().lower()
    for umlaut, ascii_form in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        base = base.replace(umlaut, ascii_form)
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", base).strip("-")


def demo_email(username: str) -> str:
    """Example addresses (RFC 2606 `example.org`): `offenburg@example.org`."""
    return f"{username}@example.org"


def load(session: Session) -> dict[str, int]:
    records = masterdata.read_gemeinden_csv(masterdata.DATA_DIR / "ortenaukreis_gemeinden.csv")
    teams, zuordnung = masterdata.read_teams_json(masterdata.DATA_DIR / "teams_ortenaukreis.json")
    masterdata.import_landkreis(session, masterdata.LandkreisData(
        key="ortenaukreis", name="Ortenaukreis", gemeinden=records, teams=teams, zuordnung=zuordnung,
        letterhead={
            "behoerde": "Landratsamt Ortenaukreis", "amt": "Amt für Migration und Integration",
            "strasse": "Badstraße 20", "plz": "77652", "ort": "Offenburg", "telefon": "0781 805-0",
            "email": "integrationsmanagement@ortenaukreis.example", "internet": "www.ortenaukreis.de",
            "muster": True,  # refugee figures and names are demo values
            "stammdaten": masterdata.read_stammdaten_json(masterdata.DATA_DIR / "stammdaten_ortenaukreis.json"),
        }))
    ensure_roles(session)
    password_hash = users.hash_password(DEMO_PASSWORD)  # one salted hash shared by all demo accounts
    for username, name, roles in STAFF:
        users.upsert_user(session, username, name, roles, password_hash, email=demo_email(username))
    for rec in records:
        username = username_for(rec.name)
        users.upsert_user(session, username, f"{rec.name} (Gemeindeverwaltung)", ["Gemeinde"],
                          password_hash, gemeinde_ags=rec.ags, email=demo_email(username))
    return {"gemeinden": len(records), "users": len(STAFF) + len(records)}
