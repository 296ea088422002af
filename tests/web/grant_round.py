"""Drive the real `grant_round` through the engine to a given step (fast test setup for web and browser tests).

Every step is done by the user of its lane, as in tests/process/test_grant_round_e2e.py. Each function
continues from where the previous one stopped; `drive(db, upto)` runs them in order. After every
step the jobs it queued (documents) are run, as the app's background worker would.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import deploy_dir
from workflows import clock, engine, inbox, jobs
from workflows.foerderung.demo import username_for
from workflows.foerderung.demo_answers import demo_rueckmeldungen
from workflows.storage.db import Database

ROOT = Path(__file__).resolve().parents[2]
DEMO = demo_rueckmeldungen("ortenaukreis")
SB, DZ, PA, PR, CHAIR = "sachbearbeitung", "dezernat", "personalamt", "personalrat", "ausschuss1"
BUSINESS_KEY = "Ortenaukreis 2017-2018"
#: the Gemeinde whose demo answer is first refused by the 51.000 € rule
SMALL_GEMEINDE = next(username_for(d["name"]) for d in DEMO.values() if d.get("erster_versuch"))
STEPS = ("abfrage", "bemessung", "vorlage", "freigabe", "abstimmung", "antrag", "ausschreibung",
         "bewerbungen", "auswahl", "personalrat", "bescheid")


def complete(db: Database, task_id: int, data: dict[str, Any], user: str) -> engine.StepResult:
    result = engine.complete_task(db, task_id, data, user)
    jobs.run_worker(db, once=True)
    return result


def tick(db: Database, now: datetime) -> int:
    fired = engine.fire_due_timers(db, now=now)
    jobs.run_worker(db, once=True)
    return fired


def deploy(db: Database) -> None:
    deploy_dir(db, ROOT)


def ready(db: Database, user: str, element: str) -> list[Any]:
    return inbox.list_tasks(db, user, element_id=element, per_page=200).items


def one(db: Database, user: str, element: str) -> Any:
    items = ready(db, user, element)
    assert len(items) == 1, (element, len(items))
    return items[0]


def prefill(db: Database, task_id: int, user: str) -> dict[str, Any]:
    return dict(inbox.get_task(db, task_id, user).initial)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def open_round(db: Database) -> int:
    """Start the round and open it with the defaults: 51 Gemeinden get their Rückmeldung task."""
    iid = engine.start_instance(db, "grant_round", BUSINESS_KEY, SB).instance_id
    task = one(db, SB, "runde_eroeffnen")
    complete(db, task.id, prefill(db, task.id, SB), SB)
    return iid


def answer(db: Database, *, skip: tuple[str, ...] = ()) -> None:
    """The Gemeinden answer as in the demo data (one stays silent), then the deadline passes."""
    for demo in DEMO.values():
        user = username_for(demo["name"])
        if user in skip or demo["entscheidung"] == "keine_rueckmeldung":
            continue
        (task,) = ready(db, user, "rueckmeldung_abgeben")
        form: dict[str, Any] = {"entscheidung": demo["entscheidung"], "ansprechperson": "Bürgermeisteramt"}
        if demo["entscheidung"] != "pruefung":
            form["anzahl_gefluechtete"] = demo["anzahl_gefluechtete"]
        for extra in ("traeger", "zusammenschluss_partner"):
            if extra in demo:
                form[extra] = demo[extra]
        complete(db, task.id, form, user)


def close_survey(db: Database, iid: int) -> None:
    """Reminder and deadline timers of the Abfrage fire."""
    frist = date.fromisoformat(inbox.get_instance(db, iid, SB).data["rueckmeldefrist"])
    tick(db, now=_midnight(frist - timedelta(days=7)) + timedelta(hours=8))
    tick(db, now=_midnight(frist + timedelta(days=1)))


def review(db: Database) -> None:
    """Stellenbemessung accepted as computed."""
    task = one(db, SB, "stellenbemessung_pruefen")
    complete(db, task.id, prefill(db, task.id, SB), SB)


def draft(db: Database) -> None:
    task = one(db, SB, "beschlussvorlage_entwerfen")
    complete(db, task.id, dict(prefill(db, task.id, SB), vorlagen_nr="VA/12/2017"), SB)


def release(db: Database) -> None:
    complete(db, one(db, DZ, "beschlussvorlage_freigeben").id, {"entscheidung": "freigeben"}, DZ)


def vote(db: Database, votes: dict[str, str] | None = None) -> None:
    """Votes as given (default: a majority for), then the session ends."""
    votes = votes if votes is not None else {"ausschuss1": "ja", "ausschuss2": "ja", "ausschuss3": "nein"}
    for user, stimme in votes.items():
        (task,) = ready(db, user, "stimme_abgeben")
        complete(db, task.id, {"stimme": stimme}, user)
    tick(db, now=_midnight(clock.today() + timedelta(days=400)))


def apply(db: Database) -> None:
    task = one(db, SB, "antrag_vervollstaendigen")
    complete(db, task.id, dict(prefill(db, task.id, SB), ansprechperson="N. Kaiser",
                                           iban="DE89 3704 0044 0532 0130 00"), SB)
    complete(db, one(db, DZ, "antrag_zeichnen").id, {"entscheidung": "freigeben"}, DZ)


def post(db: Database) -> None:
    """Every posting drafted and published; the application deadline passes."""
    for p in ready(db, PA, "ausschreibung_entwerfen"):
        complete(db, p.id, prefill(db, p.id, PA), PA)
    post_published(db)


def post_published(db: Database) -> None:
    """The drafted postings are published; the application deadline passes."""
    deadline = None
    for t in ready(db, PA, "ausschreibung_veroeffentlichen"):
        deadline = deadline or inbox.get_task(db, t.id, PA).context["ausschreibung"]["bewerbungsfrist"]
        complete(db, t.id, {"veroeffentlicht_am": "2018-01-02",
                                        "kanaele": ["internet", "agentur_fuer_arbeit"]}, PA)
    assert deadline is not None
    tick(db, now=_midnight(date.fromisoformat(deadline) + timedelta(days=1)))


def applications(db: Database) -> None:
    for t in ready(db, PA, "bewerbungen_erfassen"):
        nr = inbox.get_task(db, t.id, PA).context["stelle"]["stelle_nr"]
        rows = [{"name": f"A {nr}", "qualifikation": "a", "einladen": True},
                {"name": f"B {nr}", "qualifikation": "b", "einladen": True}]
        complete(db, t.id, {"bewerbungen": rows}, PA)
    for t in ready(db, PA, "vorstellungsgespraeche"):
        complete(db, t.id, prefill(db, t.id, PA), PA)


def choose_first(db: Database) -> None:
    """The first Stelle's choice goes to the Personalrat."""
    t = sorted(ready(db, PA, "auswahl_treffen"), key=lambda x: x.id)[0]
    stelle = inbox.get_task(db, t.id, PA).context["stelle"]
    complete(db, t.id, {"name": f"A {stelle['stelle_nr']}", "qualifikation": "a", "vza": stelle["vza"],
                                    "entgeltgruppe": "S 11b", "stufe": 2, "beginn_geplant": "2018-03-01",
                                    "auswahlvermerk": "Beste Eignung nach strukturiertem Interview"}, PA)


def hire(db: Database) -> None:
    """Every other Stelle chosen (the first candidate), the Personalrat agrees, everyone is hired."""
    for t in ready(db, PA, "auswahl_treffen"):
        stelle = inbox.get_task(db, t.id, PA).context["stelle"]
        engine.complete_task(db, t.id, {"name": f"A {stelle['stelle_nr']}", "qualifikation": "a",
                                        "vza": stelle["vza"], "entgeltgruppe": "S 11b", "stufe": 2,
                                        "beginn_geplant": "2018-03-01", "auswahlvermerk": "Beste Eignung"}, PA)
    for t in ready(db, PR, "personalrat_zustimmung"):
        engine.complete_task(db, t.id, {"entscheidung": "erteilt"}, PR)
    for t in ready(db, PA, "einstellung_vornehmen"):
        values = prefill(db, t.id, PA)
        engine.complete_task(db, t.id, {"name": values["name"], "arbeitsvertrag_am": "2018-02-01",
                                        "beginn": values["beginn"]}, PA)


def applicants(db: Database) -> list[str]:
    """Two applicants per posting, the second severely disabled (so invited), both interviewed; their names."""
    names = []
    for t in ready(db, PA, "bewerbungen_erfassen"):
        nr = inbox.get_task(db, t.id, PA).context["stelle"]["stelle_nr"]
        rows = [{"name": f"Ahrens {nr}", "qualifikation": "a", "einladen": True},
                {"name": f"Brandtner {nr}", "qualifikation": "b", "schwerbehindert": True, "einladen": True}]
        complete(db, t.id, {"bewerbungen": rows}, PA)
        names += [r["name"] for r in rows]
    for t in ready(db, PA, "vorstellungsgespraeche"):
        complete(db, t.id, prefill(db, t.id, PA), PA)
    return names


def choose(db: Database, *, only_first: bool = False) -> None:
    """The first applicant (`applicants`) of each posting (or of the first) is chosen; to the Personalrat."""
    tasks = sorted(ready(db, PA, "auswahl_treffen"), key=lambda x: x.id)
    for t in tasks[:1] if only_first else tasks:
        stelle = inbox.get_task(db, t.id, PA).context["stelle"]
        complete(db, t.id, {"name": f"Ahrens {stelle['stelle_nr']}", "qualifikation": "a", "vza": stelle["vza"],
                            "entgeltgruppe": "S 11b", "stufe": 2, "beginn_geplant": "2018-03-01",
                            "auswahlvermerk": "Beste Eignung"}, PA)


def drive(db: Database, upto: str) -> int:
    """Deploy, start and drive the round until the step `upto` (one of STEPS) is open; returns the instance id."""
    deploy(db)
    iid = open_round(db)
    plan = [("abfrage", lambda: None), ("bemessung", lambda: (answer(db), close_survey(db, iid))),
            ("vorlage", lambda: review(db)), ("freigabe", lambda: draft(db)), ("abstimmung", lambda: release(db)),
            ("antrag", lambda: vote(db)), ("ausschreibung", lambda: apply(db)), ("bewerbungen", lambda: post(db)),
            ("auswahl", lambda: applications(db)), ("personalrat", lambda: choose_first(db)),
            ("bescheid", lambda: hire(db))]
    for name, step in plan:
        step()
        if name == upto:
            return iid
    raise ValueError(upto)
