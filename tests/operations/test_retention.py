"""The Löschkonzept on a finished demo round: applicants' names and disability flags are gone from every
table and column, documents that named them keep only their title and a note that their content was
erased, `grantflow audit verify` still passes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.documents._pdftext import pdf_text
from tests.operations.processes import cli, environment
from tests.web import grant_round as gr
from tests.web.conftest import make_app
from workflows import audit, engine, inbox, jobs, retention, settings
from workflows.audit import keys
from workflows.collab import comments
from workflows.documents.render import html_to_pdf
from workflows.errors import GrantflowError
from workflows.records import attachments
from workflows.storage.db import Database
from workflows.storage.models import Base, Document, Event, ProcessInstance, TaskRow

DISABILITY = re.compile(r'"schwerbehindert"\s*:\s*true')
#: health data in a comment's free text, which carries no name
HEALTH = "Nachweis der Schwerbehinderung (GdB 50) fehlt noch"


def finished_round(db: Database) -> tuple[int, list[str]]:
    iid = gr.drive(db, "bewerbungen")
    names = gr.applicants(db)
    gr.choose(db)
    gr.hire(db)
    besetzungen = inbox.get_instance(db, iid, gr.PA).data["besetzungen"]
    personen = [{"name": b["name"], "vza": b["vza"], "betrag": 64000.0 * b["vza"] * 2} for b in besetzungen]
    engine.deliver_message(db, iid, "bewilligungsbescheid",
                           {"aktenzeichen": "RPS15.2-1", "datum": "2018-05-15", "personen": personen}, gr.SB)
    jobs.run_worker(db, once=True)
    assert inbox.get_instance(db, iid, gr.SB).instance.status == "completed"
    # an application uploaded to the first posting: its title and its PDF name the applicant
    with db.read() as session:
        posting = session.scalars(select(ProcessInstance.id).where(ProcessInstance.root_id == iid,
                                                                   ProcessInstance.process_key == "stellenbesetzung")
                                  .order_by(ProcessInstance.id)).first()
    assert posting is not None
    attachments.add_attachment(db, posting, gr.PA, kind="bewerbung", filename="bewerbung.pdf",
                               title=f"Bewerbung {names[0]}",
                               content=html_to_pdf(f"<p>Bewerbung von {names[0]}, schwerbehindert: ja</p>"))
    return iid, names


def comment(db: Database, iid: int, names: list[str]) -> None:
    """Comments: on an application task (of its class; the Personalrat is mentioned, so notified with the text),
    and on the round, naming the hired person (free text that all staff read)."""
    with db.read() as session:
        task = session.scalars(select(TaskRow.id).join(ProcessInstance, ProcessInstance.id == TaskRow.instance_id)
                               .where(ProcessInstance.root_id == iid, TaskRow.element_id == "bewerbungen_erfassen")
                               .order_by(TaskRow.id).limit(1)).one()
    comments.add_comment(db, gr.PA, f"@personalrat {names[1]}: {HEALTH}", task_id=task)
    comments.add_comment(db, gr.SB, f"{names[0]} beginnt am 01.03.2018.", instance_id=iid)


def _text(value: Any) -> str:
    """A column's value as text: a stored file (a document's or an attachment's bytes) by its PDF text."""
    if isinstance(value, bytes):
        return pdf_text(value) if value.startswith(b"%PDF") else value.decode("utf-8", "ignore")
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def leftovers(db: Database, names: list[str]) -> list[str]:
    """Every table, every column (the files' bytes too: the PDFs' text): where a name or a disability flag still is."""
    found = []
    with db.read() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                for column, value in row.items():
                    text = _text(value)
                    hits = [n for n in [*names, HEALTH] if n in text]
                    if hits or DISABILITY.search(text):
                        found.append(f"{table.name}.{column}: {hits[:2] or 'schwerbehindert'}")
    return found


@pytest.mark.timeout(600)
def test_retention_erases_applicants_of_a_finished_round_and_the_audit_chain_still_holds(
        db: Database, tmp_path: Path) -> None:
    iid, names = finished_round(db)
    # before: who may not see applicants (or the hired persons' names) sees that each Stelle is filled, and from
    # when, on the round's page and in the API; the Sachbearbeitung sees the hired names (`beschaeftigte`)
    hired = names[0]  # "Ahrens <first posting>" was chosen and hired
    app = make_app(db)
    for user, sees_names in (("ausschuss2", False), ("schriftfuehrung", False), ("admin", False),
                             (gr.SB, True), (gr.PA, True)):
        client = app.test_client()
        with client.session_transaction() as session:
            session["user"] = user
        page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(f"/instances/{iid}").get_data(as_text=True)))
        assert re.search(r"Stelle 1 besetzt [^|]{0,60}?01\.03\.2018", page), user  # the Personalamt: + Qualifikation
        assert (hired in page) is sees_names, user
        assert not DISABILITY.search(json.dumps(inbox.get_instance(db, iid, user).data, ensure_ascii=False)), user
        assert ("Brandtner" in json.dumps(inbox.get_instance(db, iid, user).data, ensure_ascii=False)) is False, user
    comment(db, iid, names)
    before = leftovers(db, names)  # before: the names and flags are there (the check can fail), in files too
    assert {"document.content", "attachment.content", "attachment.title", "comment.text",
            "notification.text"} <= {f.split(":")[0] for f in before}
    with db.read() as session:
        letters = session.scalars(select(Document.id).where(Document.kind == "mitteilung_gemeinden")).all()
    assert letters
    env = environment(GRANTFLOW_AUDIT_KEY=keys.audit_key().decode(), DATABASE_URL=db.url,
                      GRANTFLOW_INSTANCE_DIR=str(tmp_path / "instance"), GRANTFLOW_AUDIT_ANCHOR=str(db.audit_anchor))

    too_early = cli(env, "retention", "apply").stdout  # 180 days have not passed
    assert "0 beendete Vorgänge" in too_early

    dry = cli(env, "retention", "apply", "--dry-run", "--days", "0").stdout
    assert "Würde löschen" in dry and "Probelauf" in dry
    assert leftovers(db, names)  # a dry run changes nothing

    done = cli(env, "retention", "apply", "--days", "0").stdout
    assert "Gelöscht: Vorgang" in done
    assert leftovers(db, names) == []
    with db.read() as session:
        kept = session.scalars(select(Document).where(Document.id.in_(letters))).all()
        assert len(kept) == len(letters)  # the documents list still says each letter was sent, and when
        assert all("nach dem Löschkonzept gelöscht" in pdf_text(d.content) for d in kept)
        assert all(i.erased_at is not None for i in session.scalars(select(ProcessInstance)))
        events = session.scalars(select(Event).where(Event.kind == audit.RETENTION_EVENT)).all()
        assert events and all(e.actor == "loeschkonzept" for e in events)
        count, problems = audit.verify(session)
    assert problems == [] and count > 0
    assert "Protokoll intakt" in cli(env, "audit", "verify").stdout

    # what others may see stays: the posting is filled, and by when
    data: dict[str, Any] = inbox.get_instance(db, iid, gr.SB).data
    assert {(b["status"], b["beginn"]) for b in data["besetzungen"]} == {("besetzt", "2018-03-01")}
    assert {b["name"] for b in data["besetzungen"]} == {retention.MARKER}
    assert all("name" not in b for b in inbox.get_instance(db, iid, "ausschuss2").data["besetzungen"])
    # a second run finds nothing left to do
    assert "0 beendete Vorgänge" in cli(env, "retention", "apply", "--days", "0").stdout


def test_a_redacted_payload_without_its_attestation_is_a_finding(sqlite_db: Database) -> None:
    db = sqlite_db
    gr.deploy(db)
    gr.open_round(db)
    with db.write() as session:
        row = session.scalars(select(Event).order_by(Event.id.desc()).limit(1)).one()
        audit.redact(row, {"geloescht": retention.MARKER})  # redacted, but no retention event attests it
    with db.read() as session:
        (problem,) = audit.verify(session)[1]
    assert problem.event_id == row.id and "verändert" in problem.message


def test_events_from_before_payload_hashes_still_verify(sqlite_db: Database) -> None:
    """Rows written before migration 0010 (no payload hash, the MAC over the payload) keep verifying."""
    db = sqlite_db
    gr.deploy(db)
    gr.open_round(db)
    with db.write() as session:
        head = audit.GENESIS
        for row in session.scalars(select(Event).order_by(Event.id)):
            row.payload_hash, row.prev_hash = None, head
            row.hash = audit.compute_hash(head, row.kind, row.actor, row.instance_id, row.task_id, row.created_at,
                                          row.payload)
            head = row.hash
    with db.read() as session:
        session.info["audit_anchor"] = None  # the anchor names the rows' new-style hashes
        assert audit.verify(session)[1] == []
    with db.write() as session:
        first = session.scalars(select(Event).order_by(Event.id).limit(1)).one()
        first.payload = {**first.payload, "verändert": True}
    with db.read() as session:
        session.info["audit_anchor"] = None
        assert [p.event_id for p in audit.verify(session)[1]] == [first.id]


def test_the_period_is_a_setting() -> None:
    assert settings.Settings.from_environment({}).retention_days == 180
    assert settings.Settings.from_environment({"GRANTFLOW_RETENTION_DAYS": "30"}).retention_days == 30
    with pytest.raises(GrantflowError, match="GRANTFLOW_RETENTION_DAYS"):
        settings.Settings.from_environment({"GRANTFLOW_RETENTION_DAYS": "-1"})
