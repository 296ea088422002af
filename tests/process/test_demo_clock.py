"""The Demo-Uhr (`GRANTFLOW_DEMO_DATE`): a 2017-2018 round opened in the demo lives on its own dates, and
`grantflow tick --now` fires what the README says and moves the Demo-Uhr on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from tests.documents._pdftext import pdf_text
from tests.web import grant_round as gr
from webapp.cli import main
from workflows import clock, inbox, settings
from workflows.storage.db import Database
from workflows.storage.models import Document, Event


@pytest.fixture
def demo_uhr(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment of `make run` (the command reads its settings from it), on the test database."""
    for name, value in (("GRANTFLOW_DEMO_DATE", "2017-09-18"), ("GRANTFLOW_INSTANCE_DIR", str(tmp_path)),
                        ("DATABASE_URL", db.url)):
        monkeypatch.setenv(name, value)
    settings.load()
    yield
    monkeypatch.undo()
    settings.load()


def _fired(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Event).where(Event.kind == "timer_fired")) or 0


def _tick(moment: str) -> str:
    """`grantflow tick --now`, then the jobs it queued, as the worker thread of `make run` does them."""
    result = CliRunner().invoke(main, ["tick", "--now", moment])
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(main, ["worker", "--once"]).exit_code == 0
    return result.output


@pytest.mark.timeout(300)
def test_a_demo_round_gets_its_own_2017_dates_and_the_readme_ticks_fire(db: Database, demo_uhr: None) -> None:
    gr.deploy(db)
    assert clock.today() == date(2017, 9, 18)
    iid = gr.open_round(db)
    data = inbox.get_instance(db, iid, gr.SB).data
    assert (data["stichtag"], data["rueckmeldefrist"]) == ("2017-09-15", "2017-10-27")  # six weeks after it
    gr.answer(db, skip=("lahr",))
    before = _fired(db)
    assert gr.tick(db, now=None) == 0 and _fired(db) == before  # the built-in ticker: not yet due on 18.09.2017
    out = _tick("2017-10-21T09:00:00+02:00")  # README: the reminder, 7 days before the Rückmeldefrist
    assert "Demo-Uhr: 21.10.2017, 09:00 Uhr." in out and _fired(db) > before
    assert gr.ready(db, "lahr", "rueckmeldung_abgeben")  # reminded, still open
    assert clock.today() == date(2017, 10, 21)
    _tick("2017-10-28T00:10:00+02:00")  # README: the day after the Rückmeldefrist
    assert not gr.ready(db, "lahr", "rueckmeldung_abgeben") and gr.ready(db, gr.SB, "stellenbemessung_pruefen")
    assert _tick("2017-10-01T00:00:00+02:00").endswith("Demo-Uhr: 28.10.2017, 00:10 Uhr.\n")  # never back
    gr.review(db)
    task = gr.one(db, gr.SB, "beschlussvorlage_entwerfen")
    sitzung = gr.prefill(db, task.id, gr.SB)["sitzungsdatum"]
    assert sitzung == "2017-11-11"  # two weeks after the later of the Rückmeldefrist and the Demo-Uhr (28.10.)
    gr.draft(db)
    with db.read() as session:
        pdfs = list(session.scalars(select(Document.content).where(Document.kind == "beschlussvorlage")))
    assert pdfs and all("Datum 28.10.2017" in pdf_text(bytes(pdf)) for pdf in pdfs)  # made on the Demo-Uhr's day


@pytest.mark.timeout(600)
def test_the_readme_ticks_of_the_sitzung_and_the_bewerbungsfrist(db: Database, demo_uhr: None) -> None:
    """README steps 6-8 on the Demo-Uhr: the Sitzung's tick dates the Antrag and the postings after the vote,
    a posting is published by its Bewerbungsfrist, and the tick after that deadline opens the applications."""
    gr.deploy(db)
    gr.open_round(db)
    gr.answer(db)
    _tick("2017-10-28T00:10:00+02:00")
    gr.review(db)
    gr.draft(db)
    gr.release(db)
    assert "Demo-Uhr: 11.11.2017, 09:00 Uhr." in _tick("2017-11-11T09:00:00+01:00")  # README step 6
    for user in ("ausschuss1", "ausschuss2", "ausschuss3", "ausschuss4", "ausschuss5"):
        (vote,) = gr.ready(db, user, "stimme_abgeben")
        gr.complete(db, vote.id, {"stimme": "ja"}, user)
    gr.apply(db)  # counted once all five voted, no tick needed
    with db.read() as session:
        (antrag,) = session.scalars(select(Document.content).where(Document.kind == "antrag"))
    assert "Datum 11.11.2017" in pdf_text(bytes(antrag))  # not before the Sitzung it follows
    drafts = gr.ready(db, gr.PA, "ausschreibung_entwerfen")
    assert len(drafts) == 34
    for t in drafts:
        values = gr.prefill(db, t.id, gr.PA)
        assert values["bewerbungsfrist"] == "2017-12-02"  # README step 8: three weeks after drafting
        gr.complete(db, t.id, values, gr.PA)
    for t in gr.ready(db, gr.PA, "ausschreibung_veroeffentlichen"):
        gr.complete(db, t.id, {"veroeffentlicht_am": "2017-11-11", "kanaele": ["internet", "agentur_fuer_arbeit"]},
                    gr.PA)
    assert gr.ready(db, gr.PA, "bewerbungen_erfassen") == []
    _tick("2017-12-03T00:10:00+01:00")  # README step 8: the day after the Bewerbungsfrist
    assert len(gr.ready(db, gr.PA, "bewerbungen_erfassen")) == 34
