"""German mail texts as a Landratsamt writes them: salutation, what is asked, a link, a footer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import formatting, settings
from workflows.storage.models import Event, Gemeinde, Landkreis, ProcessInstance, TaskRow


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


def _kreis(session: Session, instance: ProcessInstance, gemeinde_ags: str | None = None) -> Landkreis | None:
    """The Landkreis a mail speaks for: the addressed Gemeinde's, else the round's own.

    A round names its Landkreis in its start data (`landkreis`, the key the start page and the API
    pass), which the audit log keeps with the round's `instance_started` event; only a round started
    without one signs with the first Landkreis.
    """
    if gemeinde_ags:
        kreis = session.scalars(select(Landkreis).join(Gemeinde).where(Gemeinde.ags == gemeinde_ags)).first()
        if kreis is not None:
            return kreis
    started = session.scalars(select(Event.payload).where(
        Event.instance_id == (instance.root_id or instance.id), Event.kind == "instance_started")).first()
    key = ((started or {}).get("data") or {}).get("landkreis")
    kreis = session.scalars(select(Landkreis).where(Landkreis.key == key)).first() if key else None
    return kreis or session.scalars(select(Landkreis).order_by(Landkreis.id)).first()


def _footer(session: Session, instance: ProcessInstance, gemeinde_ags: str | None = None) -> str:
    kreis = _kreis(session, instance, gemeinde_ags)
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


def task_assigned(session: Session, instance: ProcessInstance, row: TaskRow, to_sign: bool,
                  in_vertretung_fuer: list[str] | None = None) -> Mail:
    """The mail about a new task; to a deputy (`in_vertretung_fuer`: their principals' names) saying for whom."""
    business_key = instance.business_key
    what = "ein Dokument zur Zeichnung bzw. Freigabe" if to_sign else "eine neue Aufgabe"
    subject = f"{'Zur Zeichnung' if to_sign else 'Neue Aufgabe'}: {row.title} ({business_key})"
    deputy = ""
    if in_vertretung_fuer:
        names = ", ".join(in_vertretung_fuer)
        subject += f" – in Vertretung für {names}"
        deputy = f"Sie erhalten diese Nachricht in Vertretung für {names}.\n\n"
    body = (f"Sehr geehrte Damen und Herren,\n\n{deputy}im Vorgang „{business_key}“ liegt für Sie {what} vor:\n\n"
            f"  {row.title}\n{_due(row)}\nZur Aufgabe: {_link(row)}\n\n"
            f"{_footer(session, instance, row.assignee_gemeinde)}\n")
    return Mail(subject, body)


def deadline_passed(session: Session, instance: ProcessInstance, row: TaskRow, at: datetime | None) -> Mail:
    business_key = instance.business_key
    when = f" (Frist: {formatting.format_datetime(at)})" if at else ""
    subject = f"Frist abgelaufen: {row.title} ({business_key})"
    body = (f"Sehr geehrte Damen und Herren,\n\nim Vorgang „{business_key}“ ist die Frist für die Aufgabe\n\n"
            f"  {row.title}{when}\n\nabgelaufen. Die Aufgabe kann nicht mehr bearbeitet werden; der Vorgang "
            f"wird ohne Ihre Eingabe fortgesetzt.\n\n{_footer(session, instance, row.assignee_gemeinde)}\n")
    return Mail(subject, body)


def process_message(session: Session, instance: ProcessInstance, subject: str, text: str,
                    gemeinde_ags: str | None = None) -> Mail:
    link = f"{settings.get().base_url}/instances/{instance.id}"
    body = (f"Sehr geehrte Damen und Herren,\n\n{text or subject}\n\nVorgang „{instance.business_key}“: {link}\n\n"
            f"{_footer(session, instance, gemeinde_ags)}\n")
    return Mail(subject, body)
