"""Mails arrive at a real SMTP server (aiosmtpd on 127.0.0.1), once each, to the right people."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from email.message import EmailMessage as Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from tests.engine.helpers import START_DATA, gemeinde_user, ready_rows, start_mini
from tests.web import grant_round as gr
from workflows import engine, inbox, jobs, mail
from workflows.collab import deputies
from workflows.identity import authz, mailsettings, users
from workflows.mail import events
from workflows.storage.db import Database
from workflows.storage.models import Gemeinde, Job, Landkreis, OutboxMail, ProcessInstance

AFTER_DEADLINE = datetime.fromisoformat("2030-02-01T00:00:00+01:00")


class Inbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def take(self) -> list[tuple[str, Message]]:
        out = [(to[0], m) for to, m in self.messages]
        self.messages.clear()
        return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(configure) -> Iterator[Inbox]:  # type: ignore[no-untyped-def]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    configure(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="none",
              mail_sender="Landratsamt Ortenaukreis <integrationsmanagement@ortenaukreis.example>")
    events.SIGN_ELEMENTS.add("release")  # the mini process's release is a document to sign off
    try:
        yield handler
    finally:
        events.SIGN_ELEMENTS.discard("release")
        controller.stop()


def _ags(db: Database, name: str) -> str:
    with db.read() as session:
        return session.scalars(select(Gemeinde.ags).where(Gemeinde.name.like(f"{name}%"))).first() or ""


def _body(message: Message) -> str:
    return str(message.get_content()).replace("\r\n", "\n")


@pytest.mark.timeout(240)
def test_mails_for_each_event_arrive_once_to_the_right_people(mini_db: Database, smtp: Inbox) -> None:
    db = mini_db
    mailsettings.set_mails_enabled(db, "lahr", False)  # Lahr wants no mails (deadlines still come)

    # a task for every Gemeinde: one mail to each Gemeinde's own users
    iid = start_mini(db, "Fristrunde")
    jobs.run_worker(db, once=True)
    arrived = smtp.take()
    rows = ready_rows(db, iid, "answer")
    assert len(arrived) == len(rows) - 1  # all but Lahr
    recipients = sorted(to for to, _ in arrived)
    assert len(set(recipients)) == len(recipients)
    assert "lahr@example.org" not in recipients
    ((_, offenburg),) = [(t, m) for t, m in arrived if t == "offenburg@example.org"]
    (row,) = [r for r in rows if gemeinde_user(db, r.assignee_gemeinde or "") == "offenburg"]
    assert offenburg["To"] == "offenburg@example.org"
    assert offenburg["From"] == "Landratsamt Ortenaukreis <integrationsmanagement@ortenaukreis.example>"
    assert offenburg["Subject"] == "Neue Aufgabe: Rückmeldung Offenburg (Fristrunde)"
    text = _body(offenburg)
    assert text.startswith("Sehr geehrte Damen und Herren,")
    assert f"http://127.0.0.1:5000/tasks/{row.id}" in text
    assert "bis zum 31.01.2030" in text
    assert "Mit freundlichen Grüßen\n\nLandratsamt Ortenaukreis\nAmt für Migration und Integration" in text
    assert "Badstraße 20, 77652 Offenburg" in text

    # all answer but Lahr and Kehl; the deadline passes: each of the two gets one deadline mail
    late = {"lahr", "kehl"}
    for r in rows:
        user = gemeinde_user(db, r.assignee_gemeinde or "")
        if user not in late:
            engine.complete_task(db, r.id, {"entscheidung": "uebertragen", "anzahl": 3}, user)
    engine.fire_due_timers(db, now=AFTER_DEADLINE)
    jobs.run_worker(db, once=True)
    deadline = smtp.take()
    assert sorted(to for to, _ in deadline) == ["kehl@example.org", "lahr@example.org"]
    assert {m["Subject"].split(":")[0] for _, m in deadline} == {"Frist abgelaufen"}

    # a second round, answered in time: the draft, the release (to sign), the result
    iid2 = start_mini(db, "Zweite Runde")
    for r in ready_rows(db, iid2, "answer"):
        engine.complete_task(db, r.id, {"entscheidung": "uebertragen", "anzahl": 3},
                             gemeinde_user(db, r.assignee_gemeinde or ""))
    jobs.run_worker(db, once=True)
    smtp.take()
    (draft,) = ready_rows(db, iid2, "draft")
    engine.complete_task(db, draft.id, {"text": "Entwurf"}, "sachbearbeitung")
    (release,) = ready_rows(db, iid2, "release")
    engine.complete_task(db, release.id, {"freigabe": "ja"}, "dezernat")
    engine.deliver_message(db, iid2, "decision", {"aktenzeichen": "RPS-15.2-1", "betrag": 1000.0}, "sachbearbeitung")
    jobs.run_worker(db, once=True)
    arrived = smtp.take()
    assert [(to, m["Subject"]) for to, m in arrived] == [
        ("dezernat@example.org", "Zur Zeichnung: Freigeben (Zweite Runde)"),
        ("sachbearbeitung@example.org", "Bescheid RPS-15.2-1"),
    ]
    assert f"http://127.0.0.1:5000/instances/{iid2}" in _body(arrived[1][1])

    # the same events never mail twice
    assert jobs.run_worker(db, once=True) == 0
    with db.write() as session:
        again = mail.queue_mail(session, f"task:{release.id}", [], mail.compose.Mail("x", "y"), "aufgabe", iid2)
    assert again == 0
    with db.read() as session:
        sent = session.scalar(select(func.count()).select_from(OutboxMail).where(OutboxMail.status == "sent"))
        mail_jobs = session.scalar(select(func.count()).select_from(Job).where(Job.kind == "mail"))
    assert sent == mail_jobs


def test_a_rounds_mails_sign_with_its_own_landkreis_not_the_first(mini_db: Database) -> None:
    with mini_db.write() as session:  # a second Landkreis, after the Ortenaukreis (the first in the table)
        kreis = Landkreis(key="rastatt", name="Rastatt", behoerde="Landratsamt Rastatt",
                          amt="Amt für Migration", strasse="Am Schlossplatz 5", plz="76437", ort="Rastatt")
        session.add(Gemeinde(ags="08216043", name="Rastatt", typ="Große Kreisstadt", landkreis=kreis))
    rastatt = engine.start_instance(mini_db, "mini_round", "Rastatter Runde", "sachbearbeitung",
                                    dict(START_DATA, landkreis="rastatt")).instance_id
    ortenau = start_mini(mini_db, "Ortenauer Runde")
    row = ready_rows(mini_db, ortenau, "answer")[0]
    with mini_db.read() as session:
        texts = {key: mail.compose.process_message(session, session.get(ProcessInstance, iid), "Betreff", "Text").body
                 for key, iid in (("rastatt", rastatt), ("ortenau", ortenau))}
        to_gemeinde = mail.compose.task_assigned(session, session.get(ProcessInstance, ortenau), row, False).body
    assert "Landratsamt Rastatt\nAmt für Migration\nAm Schlossplatz 5, 76437 Rastatt" in texts["rastatt"]
    assert "Ortenaukreis" not in texts["rastatt"]
    assert "Landratsamt Ortenaukreis\nAmt für Migration und Integration" in texts["ortenau"]
    assert "Landratsamt Ortenaukreis" in to_gemeinde  # a Gemeinde's task: its own Landkreis


def test_smtp_off_keeps_mails_for_administration(mini_db: Database, configure) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import make_app

    app = make_app(mini_db)
    configure(smtp_host=None)
    start_mini(mini_db, "Ohne Mailserver")
    jobs.run_worker(mini_db, once=True)
    with mini_db.read() as session:
        statuses = set(session.scalars(select(OutboxMail.status)))
    assert statuses == {"kept"}
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = "admin"
    page = client.get("/admin/postausgang").get_data(as_text=True)
    assert "offenburg@example.org" in page and "nur gespeichert" in page
    with client.session_transaction() as session:
        session["user"] = "offenburg"
    assert client.get("/admin/postausgang").status_code == 403
    response = client.post("/konto/benachrichtigungen", data={}, follow_redirects=True)
    assert "Mails zu Fristen erhalten Sie weiterhin" in response.get_data(as_text=True)
    assert not mailsettings.mails_enabled(mini_db, "offenburg")


@pytest.mark.timeout(240)
def test_the_real_rounds_reminder_reaches_the_silent_gemeinden_even_with_mails_off(db: Database,
                                                                                   smtp: Inbox) -> None:
    gr.deploy(db)
    iid = gr.open_round(db)
    mailsettings.set_mails_enabled(db, "lahr", False)  # switched off: a reminder before a deadline still comes
    jobs.run_worker(db, once=True)
    smtp.take()  # the task mails of the opening
    for user in ("offenburg", "kehl"):
        (task,) = gr.ready(db, user, "rueckmeldung_abgeben")
        gr.complete(db, task.id, {"entscheidung": "uebertragung", "anzahl_gefluechtete": 100,
                                  "ansprechperson": "Bürgermeisteramt"}, user)
    jobs.run_worker(db, once=True)
    smtp.take()
    frist = date.fromisoformat(inbox.get_instance(db, iid, gr.SB).data["rueckmeldefrist"])
    gr.tick(db, now=gr._midnight(frist - timedelta(days=7)) + timedelta(hours=8))
    jobs.run_worker(db, once=True)
    reminders = smtp.take()
    recipients = sorted(to for to, _ in reminders)
    assert len(recipients) == len(set(recipients)) == 49  # 51 Gemeinden, two answered: once each
    assert "lahr@example.org" in recipients
    assert "offenburg@example.org" not in recipients and "kehl@example.org" not in recipients
    assert {m["Subject"] for _, m in reminders} == {"Erinnerung: Rückmeldung Integrationsmanagement"}
    body = _body(dict(reminders)["lahr@example.org"])
    assert f"bis zum {frist:%d.%m.%Y} ab." in body and frist.isoformat() not in body  # German date, no ISO
    assert jobs.run_worker(db, once=True) == 0
    gr.tick(db, now=gr._midnight(frist - timedelta(days=7)) + timedelta(hours=9))
    jobs.run_worker(db, once=True)
    assert smtp.take() == []  # the reminder fired once


def test_a_task_mail_reaches_the_deputy_of_the_day_too(mini_db: Database, smtp: Inbox) -> None:
    db = mini_db
    with db.write() as session:
        for username, name in (("hofmann", "Lukas Hofmann"), ("lang", "Petra Lang")):
            users.upsert_user(session, username, name, ["Sachbearbeitung"], "x", email=f"{username}@example.org")
    today = authz.today()
    deputies.name_deputy(db, "dezernat", "hofmann", today, today + timedelta(days=14), "Urlaub")
    deputies.name_deputy(db, "dezernat", "lang", today + timedelta(days=1), today + timedelta(days=3))  # not yet
    iid = start_mini(db, "Vertretungsrunde")
    for r in ready_rows(db, iid, "answer"):
        engine.complete_task(db, r.id, {"entscheidung": "uebertragen", "anzahl": 3},
                             gemeinde_user(db, r.assignee_gemeinde or ""))
    (draft,) = ready_rows(db, iid, "draft")
    jobs.run_worker(db, once=True)
    smtp.take()
    engine.complete_task(db, draft.id, {"text": "Entwurf"}, "sachbearbeitung")
    jobs.run_worker(db, once=True)
    arrived = {to: m for to, m in smtp.take()}
    assert sorted(arrived) == ["dezernat@example.org", "hofmann@example.org"]  # not Petra Lang: not yet
    assert arrived["hofmann@example.org"]["Subject"] == \
        "Zur Zeichnung: Freigeben (Vertretungsrunde) – in Vertretung für Michael Brandt"
    text = _body(arrived["hofmann@example.org"])
    assert "Sie erhalten diese Nachricht in Vertretung für Michael Brandt." in text
    (release,) = ready_rows(db, iid, "release")
    assert f"http://127.0.0.1:5000/tasks/{release.id}" in text
    assert "in Vertretung für" not in _body(arrived["dezernat@example.org"])
