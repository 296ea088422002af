"""A round for a second Landkreis: the Landkreis chosen at start prefills "Förderrunde eröffnen", and the
start data are checked against the start form (`forms/grant_round_start.schema.json`) before anything starts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.web.grant_round import SB, deploy, one, prefill
from workflows import engine, inbox
from workflows.errors import ValidationFailed
from workflows.foerderung import masterdata
from workflows.storage.db import Database
from workflows.storage.models import ProcessInstance

RASTATT = masterdata.LandkreisData(
    key="rastatt", name="Landkreis Rastatt",
    gemeinden=[masterdata.GemeindeRecord("Gaggenau", "08216015", "Große Kreisstadt", 29000, 2016),
               masterdata.GemeindeRecord("Rastatt", "08216043", "Große Kreisstadt", 47500, 2016)],
    letterhead={"behoerde": "Landratsamt Rastatt", "amt": "Amt für Migration", "ort": "Rastatt"})


def import_rastatt(db: Database) -> None:
    with db.write() as session:
        masterdata.import_landkreis(session, RASTATT)


def test_a_round_started_for_rastatt_is_prefilled_and_run_for_rastatt(db: Database) -> None:
    deploy(db)
    import_rastatt(db)
    iid = engine.start_instance(db, "grant_round", "Rastatt 2017-2018", SB, {"landkreis": "rastatt"}).instance_id
    task = one(db, SB, "runde_eroeffnen")
    values = prefill(db, task.id, SB)
    assert (values["landkreis"], values["landkreis_name"]) == ("rastatt", "Landkreis Rastatt")
    assert values["foerdersatz_vza_jahr"] == 64000  # the programme's figures stay the defaults
    engine.complete_task(db, task.id, values, SB)
    data = inbox.get_instance(db, iid, SB).data
    assert data["landkreis_name"] == "Landkreis Rastatt"
    assert sorted(g["name"] for g in data["gemeinden"]) == ["Gaggenau", "Rastatt"]  # Rastatt's Gemeinden are asked


def test_without_start_data_the_round_is_for_the_ortenaukreis(db: Database) -> None:
    deploy(db)
    import_rastatt(db)
    engine.start_instance(db, "grant_round", "Ortenau 2017-2018", SB)
    values = prefill(db, one(db, SB, "runde_eroeffnen").id, SB)
    assert (values["landkreis"], values["landkreis_name"]) == ("ortenaukreis", "Ortenaukreis")


@pytest.mark.parametrize(("data", "pointer", "message"), [
    ({"landkreis": "atlantis"}, "/landkreis", "Diesen Landkreis gibt es nicht. Bitte einen angelegten Landkreis "
                                              "wählen (grantflow landkreis import)."),
    ({"landkreis": "rastatt", "frist": "2030-01-31"}, "", "Unbekannte Felder: frist"),
])
def test_start_data_outside_the_start_form_start_nothing(db: Database, data: dict[str, str], pointer: str,
                                                         message: str) -> None:
    deploy(db)
    import_rastatt(db)
    with pytest.raises(ValidationFailed) as caught:
        engine.start_instance(db, "grant_round", "Runde", SB, data)
    assert [(e.pointer, e.message) for e in caught.value.errors] == [(pointer, message)]
    assert "nichts gestartet" in caught.value.message
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0
