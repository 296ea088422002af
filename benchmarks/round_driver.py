"""Plays one real grant round (bpmn/, forms/, a Landkreis) through the engine, step by step.

Every user step goes through a `Complete` callable, so the caller decides how a step is done
and measured (engine, HTTP, paired with the bare floor). Timers and the Bewilligungsbescheid go
straight to the engine; an `Events` listener (the whole-round shadow) hears of them and of the
start. `on_phase` is called at the points where a round waits for people, so the inbox generator
can copy real states of every phase.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select

from workflows import engine, inbox, jobs
from workflows.engine import children
from workflows.foerderung.demo_answers import demo_rueckmeldungen
from workflows.foerderung.rules.funding import foerdersumme
from workflows.storage.db import Database
from workflows.storage.models import Event, Gemeinde, TaskRow, User

SB, DZ, PA, PR = "sachbearbeitung", "dezernat", "personalamt", "personalrat"
ANSWER = "rueckmeldung_abgeben"
DEFAULT_ANSWER: dict[str, Any] = {"entscheidung": "uebertragung", "anzahl_gefluechtete": 80,
                                  "ansprechperson": "Bürgermeisteramt"}

Complete = Callable[[int, dict[str, Any], str], None]  # task id, form data, username
OnPhase = Callable[[str, int], None]  # phase name, instance id


class Events(Protocol):
    """What happened to the round besides user steps, after it happened (and the worker ran)."""

    def start(self, data: dict[str, Any]) -> None: ...
    def timers(self, now: datetime | None) -> None: ...
    def message(self, name: str, payload: dict[str, Any]) -> None: ...


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def gemeinde_answer(ags: str) -> dict[str, Any] | None:
    """The demo answer of a Gemeinde of the Ortenaukreis (None: it stays silent), else a transfer."""
    demo = demo_rueckmeldungen("ortenaukreis").get(ags)
    if demo is None:
        return dict(DEFAULT_ANSWER)
    if demo["entscheidung"] == "keine_rueckmeldung":
        return None
    form = {"entscheidung": demo["entscheidung"], "ansprechperson": "Bürgermeisteramt"}
    if demo["entscheidung"] != "pruefung":
        form["anzahl_gefluechtete"] = demo["anzahl_gefluechtete"]
    for extra in ("traeger", "zusammenschluss_partner"):
        if extra in demo:
            form[extra] = demo[extra]
    return form


class RoundDriver:
    """One round of `landkreis`, played by the demo users of each lane."""

    def __init__(self, db: Database, complete: Complete, business_key: str, landkreis: str = "ortenaukreis",
                 on_phase: OnPhase | None = None, events: Events | None = None) -> None:
        self.db, self.landkreis = db, landkreis
        self._complete = complete
        self.worker_seconds, self.worker_jobs = 0.0, 0
        self.on_phase = on_phase or (lambda _phase, _iid: None)
        self.events = events
        start_data = {"landkreis": "ortenaukreis"}
        self.iid = engine.start_instance(db, "grant_round", business_key, SB, start_data).instance_id
        self.settle()
        if events is not None:
            events.start(start_data)
        self.deadline = date.today()

    def complete(self, task_id: int, data: dict[str, Any], user: str) -> None:
        """One user step, then what the worker does after it (documents, mails), timed apart."""
        self._complete(task_id, data, user)
        self.settle()

    def settle(self) -> None:
        """Run the jobs the last step queued, as the app's worker would, and count their time."""
        t0 = time.perf_counter()
        self.worker_jobs += jobs.run_worker(self.db, once=True)
        self.worker_seconds += time.perf_counter() - t0

    def fire_timers(self, now: datetime) -> None:
        engine.fire_due_timers(self.db, now=now)
        self.settle()
        if self.events is not None:
            self.events.timers(now)

    # ------------------------------------------------------------------ reading
    def ready(self, user: str, element: str) -> list[inbox.TaskSummary]:
        return inbox.list_tasks(self.db, user, instance_id=self.iid, element_id=element, per_page=200).items

    def prefill(self, task_id: int, user: str) -> dict[str, Any]:
        return dict(inbox.get_task(self.db, task_id, user).initial)

    def context(self, task_id: int, user: str) -> dict[str, Any]:
        return dict(inbox.get_task(self.db, task_id, user).context)

    def gemeinde_tasks(self) -> list[tuple[int, str, str]]:
        """(task id, AGS, username) of the open Gemeinde answers, by task id."""
        with self.db.read() as session:
            return [(tid, ags, user) for tid, ags, user in session.execute(
                select(TaskRow.id, TaskRow.assignee_gemeinde, User.username)
                .join(Gemeinde, Gemeinde.ags == TaskRow.assignee_gemeinde).join(User, User.gemeinde_id == Gemeinde.id)
                .where(TaskRow.instance_id.in_(children.family_ids(self.iid)), TaskRow.element_id == ANSWER,
                       TaskRow.status == "ready")
                .order_by(TaskRow.id)).all()]

    def _do(self, user: str, element: str, data: Callable[[int], dict[str, Any]] | None = None) -> None:
        for task in self.ready(user, element):
            self.complete(task.id, data(task.id) if data else self.prefill(task.id, user), user)

    # ------------------------------------------------------------------ the phases
    def open_round(self) -> None:
        self.on_phase("eroeffnung", self.iid)
        (task,) = self.ready(SB, "runde_eroeffnen")
        form = self.prefill(task.id, SB)
        if self.landkreis != "ortenaukreis":
            form.update(landkreis=self.landkreis, landkreis_name=f"Landkreis {self.landkreis}")
        self.deadline = date.fromisoformat(form["rueckmeldefrist"])
        self.complete(task.id, form, SB)
        self.on_phase("abfrage", self.iid)

    def answer(self, limit: int | None = None) -> None:
        """The Gemeinden answer (the silent demo Gemeinde does not); at most `limit` of them."""
        tasks = self.gemeinde_tasks()
        for n, (task_id, ags, user) in enumerate(tasks[:limit]):
            form = gemeinde_answer(ags)
            if form is not None:
                self.complete(task_id, form, user)
            if n == len(tasks) // 2:
                self.on_phase("abfrage_halb", self.iid)

    def finish(self) -> None:
        """Everything after the Abfrage, up to the letters to the Gemeinden."""
        self.fire_timers(_midnight(self.deadline - timedelta(days=7)) + timedelta(hours=8))
        self.fire_timers(_midnight(self.deadline + timedelta(days=1)))
        self.on_phase("stellenbemessung", self.iid)
        self._do(SB, "stellenbemessung_pruefen")
        self._do(SB, "beschlussvorlage_entwerfen", lambda task_id: dict(self.prefill(task_id, SB),
                                                                        vorlagen_nr="VA/11/2017"))
        self.on_phase("freigabe", self.iid)
        self._do(DZ, "beschlussvorlage_freigeben", lambda _: {"entscheidung": "zurueck", "kommentar": "Nr. fehlt"})

        def second_draft(task_id: int) -> dict[str, Any]:
            draft = self.prefill(task_id, SB)
            draft.pop("kommentar_dezernat", None)
            return dict(draft, vorlagen_nr="VA/12/2017")

        self._do(SB, "beschlussvorlage_entwerfen", second_draft)
        self._do(DZ, "beschlussvorlage_freigeben", lambda _: {"entscheidung": "freigeben"})
        self.on_phase("abstimmung", self.iid)
        sitzung = None
        for user, stimme in {"ausschuss1": "ja", "ausschuss2": "ja", "ausschuss3": "nein",
                             "ausschuss4": "enthaltung"}.items():
            (task,) = self.ready(user, "stimme_abgeben")
            sitzung = task.due_at
            self.complete(task.id, {"stimme": stimme}, user)
        assert sitzung is not None
        self.fire_timers(_midnight(sitzung.date() + timedelta(days=2)))
        self.on_phase("antrag", self.iid)
        self._do(SB, "antrag_vervollstaendigen", lambda t: dict(self.prefill(t, SB), ansprechperson="N. Kaiser",
                                                                 iban="DE89 3704 0044 0532 0130 00"))
        self._do(DZ, "antrag_zeichnen", lambda _: {"entscheidung": "freigeben"})
        self.on_phase("stellenbesetzung", self.iid)
        self.hire()
        self.on_phase("bescheid", self.iid)
        self.bescheid()
        self.on_phase("abgeschlossen", self.iid)

    def hire(self) -> None:
        frist = None
        for task in self.ready(PA, "ausschreibung_entwerfen"):
            posting = self.prefill(task.id, PA)
            frist = posting["bewerbungsfrist"]
            self.complete(task.id, posting, PA)
        self._do(PA, "ausschreibung_veroeffentlichen",
                 lambda _: {"veroeffentlicht_am": "2018-01-02", "kanaele": ["internet", "agentur_fuer_arbeit"]})
        assert frist is not None
        self.fire_timers(_midnight(date.fromisoformat(frist) + timedelta(days=1)))

        def applications(task_id: int) -> dict[str, Any]:
            nr = self.context(task_id, PA)["stelle"]["stelle_nr"]
            return {"bewerbungen": [{"name": f"A {nr}", "qualifikation": "a", "einladen": True},
                                    {"name": f"B {nr}", "qualifikation": "b", "einladen": True}]}

        self._do(PA, "bewerbungen_erfassen", applications)
        self._do(PA, "vorstellungsgespraeche")
        refused_once = False
        for i, task in enumerate(self.ready(PA, "auswahl_treffen")):
            stelle = self.context(task.id, PA)["stelle"]
            start_on = (date(2018, 3, 1) + timedelta(days=i)).isoformat()
            choice = {"name": f"A {stelle['stelle_nr']}", "qualifikation": "a", "vza": stelle["vza"],
                      "entgeltgruppe": "S 11b", "stufe": 2, "beginn_geplant": start_on,
                      "auswahlvermerk": "Beste Eignung"}
            self.complete(task.id, choice, PA)
            if not refused_once:  # the Personalrat refuses the first selection once
                refused_once = True
                (pr,) = self._personalrat(stelle["stelle_nr"])
                self.complete(pr, {"entscheidung": "verweigert", "begruendung": "Stufe"}, PR)
                (again,) = [t.id for t in self.ready(PA, "auswahl_treffen")
                            if self.context(t.id, PA)["stelle"]["stelle_nr"] == stelle["stelle_nr"]]
                self.complete(again, dict(choice, name=f"B {stelle['stelle_nr']}", qualifikation="b"), PA)
        self._do(PR, "personalrat_zustimmung", lambda _: {"entscheidung": "erteilt"})
        self._do(PA, "einstellung_vornehmen", lambda t: {
            **{k: v for k, v in self.prefill(t, PA).items() if k in ("name", "beginn")},
            "arbeitsvertrag_am": "2018-02-01"})

    def _personalrat(self, stelle_nr: Any) -> list[int]:
        return [t.id for t in self.ready(PR, "personalrat_zustimmung")
                if self.context(t.id, PR)["stelle"]["stelle_nr"] == stelle_nr]

    def bescheid(self) -> None:
        with self.db.read() as session:
            reports = [e.payload["payload"] for e in session.scalars(
                select(Event).where(Event.instance_id.in_(children.family_ids(self.iid)), Event.kind == "message_sent")
                .order_by(Event.id))
                if e.payload["message"] == "personalmeldung"]
        personen = [{"name": p["name"], "vza": p["vza"], "betrag": float(foerdersumme(p["vza"], 64000))}
                    for p in reports]
        personen[0]["betrag"] -= 10000
        bescheid = {"aktenzeichen": "RPS15.2-1", "datum": "2018-05-15", "personen": personen}
        engine.deliver_message(self.db, self.iid, "bewilligungsbescheid", bescheid, SB)
        self.settle()
        if self.events is not None:
            self.events.message("bewilligungsbescheid", bescheid)
        self._do(SB, "kuerzung_entscheiden", lambda _: {"massnahme": "eigenmittel", "eigenmittel_betrag": 10000,
                                                        "begruendung": "Kreistag"})

    def play(self) -> None:
        self.open_round()
        self.answer()
        self.finish()
