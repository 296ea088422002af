"""Attachments, exports and the overview as read models, on SQLite and PostgreSQL (the mini round)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from tests.records.files import image_bytes, pdf_bytes
from tests.web.conftest import START_DATA, answer_all
from workflows import engine, inbox
from workflows.errors import Forbidden, NotFound, ValidationFailed
from workflows.records import attachments, exports, overview, tables
from workflows.storage.db import Database
from workflows.storage.models import Attachment, Event, TaskRow, utcnow

SB, OFFENBURG, KEHL, PA = "sachbearbeitung", "offenburg", "kehl", "personalamt"


@pytest.fixture
def round_id(mini_db: Database) -> int:
    return engine.start_instance(mini_db, "mini_round", "Testrunde", SB, START_DATA).instance_id


def _count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Attachment)) or 0


def test_an_attachment_is_stored_with_the_round_audited_and_seen_by_staff_only(mini_db: Database,
                                                                                round_id: int) -> None:
    info = attachments.add_attachment(mini_db, round_id, SB, kind="bescheid", content=pdf_bytes(),
                                      filename="Bescheid.pdf", title="Bewilligungsbescheid vom 01.03.2018")
    assert (info.media_type, info.filename, info.instance_id) == ("application/pdf", "Bescheid.pdf", round_id)
    assert [a.id for a in attachments.list_attachments(mini_db, round_id, "dezernat")] == [info.id]
    assert attachments.get_attachment(mini_db, info.id, "dezernat").content == pdf_bytes()
    assert attachments.list_attachments(mini_db, round_id, OFFENBURG) == []
    with pytest.raises(NotFound):
        attachments.get_attachment(mini_db, info.id, OFFENBURG)
    with mini_db.read() as session:
        event = session.scalars(select(Event).where(Event.kind == "attachment_added")).one()
    assert (event.instance_id, event.actor, event.payload["attachment_id"]) == (round_id, SB, info.id)
    assert event.payload["title"] == "Bewilligungsbescheid vom 01.03.2018"


def test_a_refused_file_stores_nothing_and_says_why_in_german(mini_db: Database, round_id: int) -> None:
    with pytest.raises(ValidationFailed) as caught:
        attachments.add_attachment(mini_db, round_id, SB, kind="bescheid", content=b"<html>",
                                   filename="bescheid.pdf")
    assert caught.value.errors[0].field == "datei" and "nicht erlaubt" in caught.value.errors[0].message
    with pytest.raises(ValidationFailed, match="Art"):
        attachments.add_attachment(mini_db, round_id, SB, kind="", content=pdf_bytes(), filename="a.pdf")
    with pytest.raises(Forbidden, match="Personalamt oder Personalrat"):  # an application: bewerberdaten
        attachments.add_attachment(mini_db, round_id, SB, kind="bewerbung", content=pdf_bytes(), filename="b.pdf")
    with pytest.raises(Forbidden):  # a Gemeinde uploads to its own task, not to the round
        attachments.add_attachment(mini_db, round_id, OFFENBURG, kind="sonstiges", content=pdf_bytes(),
                                   filename="c.pdf")
    assert _count(mini_db) == 0
    with mini_db.read() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "attachment_added")) == 0


def test_an_application_is_seen_by_personalamt_and_personalrat_only(mini_db: Database, round_id: int) -> None:
    info = attachments.add_attachment(mini_db, round_id, PA, kind="bewerbung", content=image_bytes("JPEG"),
                                      filename="Bewerbung Erika Muster.jpg")
    assert info.data_class == "bewerberdaten"
    assert [a.id for a in attachments.list_attachments(mini_db, round_id, "personalrat")] == [info.id]
    for other in (SB, "dezernat", "admin", OFFENBURG):
        assert attachments.list_attachments(mini_db, round_id, other) == []
        with pytest.raises(NotFound):
            attachments.get_attachment(mini_db, info.id, other)
    with mini_db.read() as session:  # the audit event names no applicant
        payload = session.scalars(select(Event.payload).where(Event.kind == "attachment_added")).one()
    assert "Muster" not in str(payload)


def test_a_gemeinde_attaches_to_its_own_task_and_sees_only_its_own(mini_db: Database, round_id: int) -> None:
    own = inbox.list_tasks(mini_db, OFFENBURG).items[0]
    info = attachments.add_attachment(mini_db, own.instance_id, OFFENBURG, kind="antrag_unterschrieben",
                                      content=image_bytes("PNG"), filename="scan.png", task_id=own.id)
    assert [a.id for a in attachments.list_attachments(mini_db, round_id, OFFENBURG)] == [info.id]
    assert attachments.list_attachments(mini_db, round_id, KEHL) == []
    assert [a.id for a in attachments.list_attachments(mini_db, round_id, SB)] == [info.id]
    with pytest.raises(NotFound):  # another Gemeinde's task
        kehl_task = inbox.list_tasks(mini_db, KEHL).items[0]
        attachments.add_attachment(mini_db, round_id, OFFENBURG, kind="sonstiges", content=pdf_bytes(),
                                   filename="x.pdf", task_id=kehl_task.id)


def test_exports_give_staff_every_answer_and_a_gemeinde_its_own(mini_db: Database, round_id: int) -> None:
    answer_all(mini_db, anzahl=7)
    (answers,) = [t for t in exports.round_tables(mini_db, round_id, SB) if t.key == "rueckmeldungen"]
    assert len(answers.rows) == 51
    assert answers.column("Entscheidung")[0] == "uebertragen" and set(answers.column("Anzahl Personen")) == {7}
    own = exports.round_table(mini_db, round_id, OFFENBURG, "rueckmeldungen")
    assert own.column("Gemeinde") == ["Offenburg"]
    assert {t.key for t in exports.round_tables(mini_db, round_id, OFFENBURG)} == {"rueckmeldungen", "aufgaben"}
    with pytest.raises(NotFound):
        exports.round_table(mini_db, round_id, OFFENBURG, "abstimmung")


def test_csv_and_xlsx_read_back_as_german_excel_expects(mini_db: Database, round_id: int) -> None:
    answer_all(mini_db, anzahl=12)
    table = exports.round_table(mini_db, round_id, SB, "rueckmeldungen")
    raw = tables.to_csv(table)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Gemeinde", "AGS", "Status", "Beantwortet am", "durch"]
    assert len(rows) == 52 and rows[1][2] == "beantwortet" and rows[1][6] == "12"
    book = load_workbook(io.BytesIO(tables.to_xlsx([table])))
    sheet = book.active
    assert sheet is not None and sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:3] == ["Gemeinde", "AGS", "Status"]
    assert sheet.cell(2, 7).value == 12 and sheet.cell(2, 7).number_format == "0"
    assert sheet.cell(2, 4).is_date and sheet.cell(2, 4).number_format == "DD.MM.YYYY HH:MM"
    assert sheet.column_dimensions["A"].width >= 20


def test_money_and_dates_are_numbers_and_dates_in_xlsx() -> None:
    table = tables.Table("t", "Zuteilung", [tables.Column("Team"), tables.Column("Betrag", "money"),
                                            tables.Column("Beginn", "date"), tables.Column("VZÄ", "vza")],
                         [["Kinzigtal", 1234.5, "2018-03-01", 3.25]])
    sheet = load_workbook(io.BytesIO(tables.to_xlsx([table]))).active
    assert sheet is not None
    assert sheet["B2"].value == 1234.5 and sheet["B2"].number_format == '#,##0.00 "€"'
    assert sheet["C2"].is_date and sheet["C2"].value.date().isoformat() == "2018-03-01"
    assert sheet["D2"].number_format == "0.00"
    assert tables.to_csv(table).decode("utf-8-sig").splitlines()[1] == "Kinzigtal;1234,50;01.03.2018;3,25"


def test_overview_counts_answers_and_overdue_tasks_per_role(mini_db: Database, round_id: int) -> None:
    answer_all(mini_db)
    found = overview.round_overview(mini_db, round_id, SB)
    answers = next(c for c in found.charts if isinstance(c, overview.TimeChart))
    assert answers.total == 51 and answers.points[-1][1] == 51 and answers.deadline is not None
    roles = next(c for c in found.charts if c.key == "aufgaben_je_rolle")
    assert isinstance(roles, overview.BarChart) and roles.groups == [("Sachbearbeitung", [1.0, 0.0])]
    with pytest.raises(Forbidden):
        overview.round_overview(mini_db, round_id, OFFENBURG)


def test_overdue_tasks_for_staff_and_for_a_gemeinde(mini_db: Database, round_id: int) -> None:
    assert overview.overdue_tasks(mini_db, SB) == ([], 0)
    with mini_db.write() as session:  # the Rückmeldefrist has passed
        session.execute(update(TaskRow).where(TaskRow.status == "ready")
                        .values(due_at=utcnow() - timedelta(days=3)))
    items, total = overview.overdue_tasks(mini_db, SB)
    assert total == 51 and items[0].days_overdue == 3 and items[0].round_id == round_id
    assert not items[0].may_open  # staff see it; only the Gemeinde opens it
    own, own_total = overview.overdue_tasks(mini_db, OFFENBURG)
    assert own_total == 1 and own[0].may_open and own[0].task.assignee_gemeinde == "08317096"
