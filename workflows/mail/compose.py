"""German mail texts as a Landratsamt writes them: salutation, what is asked, a link, a footer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import formatting, settings
from workflows.storage.models import Landkreis, TaskRow


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


def _footer(session: Session) -> str:
    kreis = session.scalars(select(Landkreis).order_by(Landkreis.id)).first()
    lines = ["Mit freundlichen Grüßen", ""]
    if kreis is not None:
        lines += [kreis.behoerde or kreis.name, kreis.amt,
                  ", ".join(p for p in (kreis.strasse, f"{kreis.plz} {kreis.ort}".strip()) if p),
                  " · ".join(p for p in (f"Telefon {kreis.telefon}" if kreis.telefon else "", kreis.email) if p)]
    base = settings.get().base_url
    lines += ["", "--", "Diese Nachricht wurde automatisch versandt; bitte antworten Sie nicht auf diese E-Mail.",
              f"Benachrichtigungen (außer zu Fristen) können Sie unter {base}/konto/benachrichtigungen abbestellen."]
    return "\n".join(line for line in lines if line is not None)


def _due(row: TaskRow) -> str:
    if row.due_at is None:
        return ""
    return f"\nBitte erledigen Sie die Aufgabe bis zum {formatting.format_datetime(row.due_at)}.\n"


def _link(row: TaskRow) -> str:
    return f"{settings.get().base_url}/tasks/{row.id}"


def task_assigned(session: Session, row: TaskRow, business_key: str, to_sign: bool) -> Mail:
    what = "ein Dokument zur Zeichnung bzw. Freigabe" if to_sign else "eine neue Aufgabe"
    subject = f"{'Zur Zeichnung' if to_sign else 'Neue Aufgabe'}: {row.title} ({business_key})"
    body = (f"Sehr geehrte Damen und Herren,\n\nim Vorgang „{business_key}“ liegt für Sie {what} vor:\n\n"
            f"  {row.title}\n{_due(row)}\nZur Aufgabe: {_link(row)}\n\n{_footer(session)}\n")
    return Mail(subject, body)


def deadline_passed(session: Session, row: TaskRow, business_key: str, at: datetime | None) -> Mail:
    when = f" (Frist: {formatting.format_datetime(at)})" if at else ""
    subject = f"Frist abgelaufen: {row.title} ({business_key})"
    body = (f"Sehr geehrte Damen und Herren,\n\nim Vorgang „{business_key}“ ist die Frist für die Aufgabe\n\n"
            f"  {row.title}{when}\n\nabgelaufen. Die Aufgabe kann nicht mehr bearbeitet werden; der Vorgang "
            f"wird ohne Ihre Eingabe fortgesetzt.\n\n{_footer(session)}\n")
    return Mail(subject, body)


def process_message(session: Session, subject: str, text: str, business_key: str, instance_id: int) -> Mail:
    link = f"{settings.get().base_url}/instances/{instance_id}"
    body = (f"Sehr geehrte Damen und Herren,\n\n{text or subject}\n\nVorgang „{business_key}“: {link}\n\n"
            f"{_footer(session)}\n")
    return Mail(subject, body)
