"""The programme's roles: the lanes of its processes, the Schriftführung and the Administration.

`grantflow db upgrade` makes them (and `grantflow demo-data`), so that a Landratsamt's own database has
every role its users need before the first user is created.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from workflows.identity import users

ROLES: dict[str, str] = {
    "Sachbearbeitung": "Sachbearbeitung (Amt für Migration und Integration)",
    "Dezernatsleitung": "Dezernatsleitung",
    "Gemeinde": "Gemeinde",
    "Verwaltungsausschuss": "Mitglied des Verwaltungsausschusses",
    "Vorsitz": "Vorsitz des Verwaltungsausschusses",
    # keeps the minutes of the committee (no vote): sees the individual votes, as the Vorsitz (data_classes)
    "Schriftführung": "Schriftführung des Verwaltungsausschusses",
    "Personalamt": "Personalamt",
    "Personalrat": "Personalrat",
    "Administration": "Administration",
}


def ensure_roles(session: Session) -> int:
    """Create the roles that are missing (and give every one its label); returns how many there are."""
    for key, label in ROLES.items():
        users.ensure_role(session, key, label)
    session.flush()
    return len(ROLES)
