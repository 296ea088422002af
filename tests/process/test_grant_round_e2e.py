"""A whole grant round through the engine (database, sandbox, services, documents, audit log).

Every step is done by the user of its lane, through `workflows.engine` and `workflows.inbox`
as the web app does. Timers are fired by `fire_due_timers(now=...)`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import deploy_dir
from workflows import engine, inbox
from workflows.db import Database
from workflows.demo import username_for
from workflows.errors import Forbidden, ValidationFailed
from workflows.models import Event, ProcessInstance
from workflows.rules.data import demo_rueckmeldungen
from workflows.rules.funding import foerdersumme

ROOT = Path(__file__).resolve().parents[2]
DEMO = demo_rueckmeldungen("ortenaukreis")
SB, DZ, PA, PR, CHAIR = "sachbearbeitung", "dezernat", "personalamt", "personalrat", "ausschuss1"


def ready(db: Database, user: str, element: str) -> list[Any]:
    return inbox.list_tasks(db, user, element_id=element, per_page=200).items


def one(db: Database, user: str, element: str) -> Any:
    items = ready(db, user, element)
    assert len(items) == 1, (element, len(items))
    return items[0]


def prefill(db: Database, task_id: int, user: str) -> dict[str, Any]:
    return dict(inbox.get_task(db, task_id, user).initial)


def context(db: Database, task_id: int, user: str) -> dict[str, Any]:
    return dict(inbox.get_task(db, task_id, user).context)


def refused(db: Database, task_id: int, data: dict[str, Any], user: str) -> str:
    """The refusal's messages (field: message lines) for a submission that must not go through."""
    with pytest.raises((ValidationFailed, Forbidden)) as exc:
        engine.complete_task(db, task_id, data, user)
    if isinstance(exc.value, ValidationFailed):
        return "\n".join(f"{e.field}: {e.message}" for e in exc.value.errors)
    return str(exc.value)


@pytest.mark.timeout(180)
def test_whole_round_through_the_engine(sqlite_db: Database) -> None:
    db = sqlite_db
    deploy_dir(db, ROOT)
    started = engine.start_instance(db, "grant_round", "Ortenaukreis 2017-2018", SB)
    iid = started.instance_id

    # 1. round opened by the Sachbearbeitung with the defaults
    task = one(db, SB, "runde_eroeffnen")
    start = prefill(db, task.id, SB)
    assert start["foerdersatz_vza_jahr"] == 64000 and start["rueckmeldefrist"] > date.today().isoformat()
    engine.complete_task(db, task.id, start, SB)
    deadline = date.fromisoformat(start["rueckmeldefrist"])

    # 2. the 51 Gemeinden answer; each sees only its own task
    silent = []
    tasks = ready(db, SB, "rueckmeldung_abgeben") or []
    assert tasks == []  # not the Sachbearbeitung's tasks
    for ags, demo in DEMO.items():
        user = username_for(demo["name"])
        (task,) = ready(db, user, "rueckmeldung_abgeben")
        assert task.assignee_gemeinde == ags
        if demo["entscheidung"] == "keine_rueckmeldung":
            silent.append(ags)
            continue
        form = {"entscheidung": demo["entscheidung"], "anzahl_gefluechtete": demo["anzahl_gefluechtete"],
                "ansprechperson": "Bürgermeisteramt"}
        if "traeger" in demo:
            form["traeger"] = demo["traeger"]
        if demo["entscheidung"] == "pruefung":
            del form["anzahl_gefluechtete"]
        if demo.get("erster_versuch"):
            message = refused(db, task.id, dict(form, entscheidung="eigene_durchfuehrung"), user)
            assert "51.000,00 €" in message and "15.922,20 €" in message
        engine.complete_task(db, task.id, form, user)
    assert len(silent) == 1
    reminder_at = datetime.combine(deadline - timedelta(days=7), datetime.min.time(), UTC) + timedelta(hours=8)
    assert engine.fire_due_timers(db, now=reminder_at) == 1
    assert engine.fire_due_timers(db, now=datetime.combine(deadline + timedelta(days=1),
                                                            datetime.min.time(), UTC)) == 1

    # 3. Stellenbemessung reviewed and adjusted with a reason
    task = one(db, SB, "stellenbemessung_pruefen")
    review = prefill(db, task.id, SB)
    assert review["planungsrahmen_kreis"] == 1159136.16 and review["vza_gesamt"] == 9.0
    rows = [dict(a) for a in review["anteile"]]
    assert sum(a["vza"] for a in rows) == 9.0
    rows[0]["vza"] += 0.25
    rows[1]["vza"] -= 0.25
    assert "aenderungsgrund" in refused(db, task.id, dict(review, anteile=rows), SB)
    engine.complete_task(db, task.id, dict(review, anteile=rows, aenderungsgrund="Fahrwege"), SB)

    # 4. Beschlussvorlage: sent back once, four eyes
    task = one(db, SB, "beschlussvorlage_entwerfen")
    engine.complete_task(db, task.id, prefill(db, task.id, SB), SB)
    task = one(db, DZ, "beschlussvorlage_freigeben")
    refused(db, task.id, {"entscheidung": "freigeben"}, SB)  # the drafter has no Dezernat role anyway
    engine.complete_task(db, task.id, {"entscheidung": "zurueck", "kommentar": "Vorlagen-Nr. fehlt"}, DZ)
    task = one(db, SB, "beschlussvorlage_entwerfen")
    draft = prefill(db, task.id, SB)
    assert draft["kommentar_dezernat"] == "Vorlagen-Nr. fehlt"
    draft.pop("kommentar_dezernat")
    engine.complete_task(db, task.id, dict(draft, vorlagen_nr="VA/12/2017"), SB)
    task = one(db, DZ, "beschlussvorlage_freigeben")
    engine.complete_task(db, task.id, {"entscheidung": "freigeben"}, DZ)

    # 5. the vote: 4 of 5 members take part, 2 yes, 1 no, 1 abstention → adopted
    votes = {"ausschuss1": "ja", "ausschuss2": "ja", "ausschuss3": "nein", "ausschuss4": "enthaltung"}
    for user, stimme in votes.items():
        (task,) = ready(db, user, "stimme_abgeben")
        engine.complete_task(db, task.id, {"stimme": stimme}, user)
    session_end = datetime.combine(date.fromisoformat(draft["sitzungsdatum"]) + timedelta(days=1),
                                   datetime.min.time(), UTC)
    assert engine.fire_due_timers(db, now=session_end) == 1

    # 6. Antrag, signed by the Dezernatsleitung, sent to the RP
    task = one(db, SB, "antrag_vervollstaendigen")
    antrag = prefill(db, task.id, SB)
    assert antrag["beantragte_vza"] == 9.0 and antrag["beantragte_summe"] == 1152000.0
    engine.complete_task(db, task.id, dict(antrag, ansprechperson="N. Kaiser", iban="DE12345678901234567890"), SB)
    engine.complete_task(db, one(db, DZ, "antrag_zeichnen").id, {"entscheidung": "freigeben"}, DZ)

    # 7. one posting per ≤ 1.0 VZÄ; the first one with a Personalrat refusal
    postings = ready(db, PA, "ausschreibung_entwerfen")
    stellen = {p.id: context(db, p.id, PA)["stelle"] for p in postings}
    assert sum(s["vza"] for s in stellen.values()) == 9.0
    deadline_posting = None
    for p in postings:
        posting = prefill(db, p.id, PA)
        deadline_posting = posting["bewerbungsfrist"]
        engine.complete_task(db, p.id, posting, PA)
    for t in ready(db, PA, "ausschreibung_veroeffentlichen"):
        engine.complete_task(db, t.id, {"veroeffentlicht_am": "2018-01-02",
                                        "kanaele": ["internet", "agentur_fuer_arbeit"]}, PA)
    assert deadline_posting is not None
    engine.fire_due_timers(db, now=datetime.combine(date.fromisoformat(deadline_posting) + timedelta(days=1),
                                                    datetime.min.time(), UTC))
    for t in ready(db, PA, "bewerbungen_erfassen"):
        nr = context(db, t.id, PA)["stelle"]["stelle_nr"]
        rows = [{"name": f"A {nr}", "qualifikation": "a", "einladen": True},
                {"name": f"B {nr}", "qualifikation": "b", "einladen": True},
                {"name": f"S {nr}", "qualifikation": "c", "schwerbehindert": True, "einladen": False}]
        assert "§ 165 SGB IX" in refused(db, t.id, {"bewerbungen": rows}, PA)
        rows[2]["einladen"] = True
        engine.complete_task(db, t.id, {"bewerbungen": rows}, PA)
    for t in ready(db, PA, "vorstellungsgespraeche"):
        engine.complete_task(db, t.id, prefill(db, t.id, PA), PA)
    first = True
    for i, t in enumerate(sorted(ready(db, PA, "auswahl_treffen"), key=lambda x: x.id)):
        stelle = context(db, t.id, PA)["stelle"]
        choice = {"name": f"A {stelle['stelle_nr']}", "qualifikation": "a", "vza": stelle["vza"],
                  "entgeltgruppe": "S 11b", "stufe": 1, "beginn_geplant": f"2018-03-{i + 1:02d}",
                  "auswahlvermerk": "Beste Eignung"}
        engine.complete_task(db, t.id, choice, PA)
        (pr,) = [x for x in ready(db, PR, "personalrat_zustimmung")
                 if context(db, x.id, PR)["stelle"]["stelle_nr"] == stelle["stelle_nr"]]
        if first:
            engine.complete_task(db, pr.id, {"entscheidung": "verweigert", "begruendung": "Stufe 1 zu niedrig"}, PR)
            (again,) = [x for x in ready(db, PA, "auswahl_treffen")
                        if context(db, x.id, PA)["stelle"]["stelle_nr"] == stelle["stelle_nr"]]
            assert prefill(db, again.id, PA)["einwand_personalrat"] == "Stufe 1 zu niedrig"
            engine.complete_task(db, again.id, dict(choice, name=f"B {stelle['stelle_nr']}", qualifikation="b",
                                                    stufe=2), PA)
            (pr,) = [x for x in ready(db, PR, "personalrat_zustimmung")
                     if context(db, x.id, PR)["stelle"]["stelle_nr"] == stelle["stelle_nr"]]
            first = False
        engine.complete_task(db, pr.id, {"entscheidung": "erteilt"}, PR)
    for t in ready(db, PA, "einstellung_vornehmen"):
        values = prefill(db, t.id, PA)
        engine.complete_task(db, t.id, {"name": values["name"], "arbeitsvertrag_am": "2018-02-01",
                                        "beginn": values["beginn"]}, PA)

    # 8. Bescheid with less than applied
    with db.read() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None
        waiting = [m["name"] for m in instance.waiting_messages]
    assert "bewilligungsbescheid" in waiting
    names_vza = []  # the persons as reported
    with db.read() as session:
        for ev in session.scalars(select(Event).where(Event.instance_id == iid)):
            if ev.kind == "message_sent" and ev.payload.get("message") == "personalmeldung":
                names_vza.append((ev.payload["payload"]["name"], ev.payload["payload"]["vza"]))
    assert len(names_vza) == len(postings)
    personen = [{"name": n, "vza": v, "betrag": float(foerdersumme(v, 64000))} for n, v in names_vza]
    personen[0]["betrag"] -= 10000
    engine.deliver_message(db, iid, "bewilligungsbescheid",
                           {"aktenzeichen": "RPS15.2-1", "datum": "2018-05-15", "personen": personen}, SB)
    task = one(db, SB, "kuerzung_entscheiden")
    assert prefill(db, task.id, SB)["differenz"] == 10000.0
    engine.complete_task(db, task.id, {"massnahme": "eigenmittel", "eigenmittel_betrag": 10000,
                                       "begruendung": "Kreistag"}, SB)

    # 9. done; the audit trail tells the story
    with db.read() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None and instance.status == "completed"
        kinds = [e.kind for e in session.scalars(select(Event).where(Event.instance_id == iid))]
    assert kinds[0] == "instance_started" and kinds.count("timer_fired") >= 3
    assert Decimal(str(sum(v for _, v in names_vza))) == Decimal("9.0")
