"""The whole real grant round (`bpmn/grant_round.bpmn` + `stellenbesetzung.bpmn`), written once.

`run_grant_round(driver)` plays every step as the user of its lane: 51 Gemeinden answer (41
transfer, one below the 51.000 € rule first tries to go alone and is refused, one stays
silent), the reminder and deadline timers, the reviewed allocation, a Beschlussvorlage sent
back once, the vote, the Antrag signed with four eyes, postings with a Personalrat refusal and
a second selection, the Personalmeldungen, a Bescheid with less than applied, the end. After
each step it checks figures, dates, the audit trail and the generated documents (read back
with pypdf).

A driver (`tests.scenarios.drivers`) is the only way the scenario touches grantflow; the
engine driver and the API driver implement the same small interface (`Driver`) and hand back
the API's JSON shapes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from tests.documents._pdftext import norm, pdf_text
from workflows import clock
from workflows.foerderung.demo import username_for
from workflows.foerderung.demo_answers import demo_rueckmeldungen
from workflows.foerderung.rules.drafts import mitteilungen_gemeinden
from workflows.foerderung.rules.funding import foerdersumme
from workflows.formatting import format_date, format_eur, format_vza

DEMO = demo_rueckmeldungen("ortenaukreis")
SB, DZ, PA, PR = "sachbearbeitung", "dezernat", "personalamt", "personalrat"
BUSINESS_KEY = "Ortenaukreis 2017-2018"
DOCUMENT_KINDS = ("beschlussvorlage", "abstimmungsergebnis", "antrag", "stellenausschreibung",
                  "mitteilung_gemeinden")


@dataclass
class Refusal:
    """A submission that did not go through: HTTP-like status (403/404 not yours, 422 invalid) and text.

    For 422 the text is one `field: message` line per error.
    """

    status: int
    text: str


class Driver(Protocol):
    """What the scenario needs from grantflow. Tasks, instances, events and documents are dicts
    in the shapes of the JSON API (`/api/v1`)."""

    name: str

    def start(self, process: str, business_key: str, user: str) -> int: ...
    def tasks(self, user: str, *, instance: int, element: str | None = None) -> list[dict[str, Any]]: ...
    def task(self, task_id: int, user: str) -> dict[str, Any]: ...
    def complete(self, task_id: int, data: dict[str, Any], user: str) -> None: ...
    def refused(self, task_id: int, data: dict[str, Any], user: str) -> Refusal: ...
    def deliver(self, instance: int, name: str, payload: dict[str, Any], user: str) -> None: ...
    def tick(self, now: datetime) -> int: ...
    def instance(self, instance: int, user: str) -> dict[str, Any]: ...
    def events(self, instance: int, user: str) -> list[dict[str, Any]]: ...
    def documents(self, instance: int, user: str) -> list[dict[str, Any]]: ...
    def download(self, document_id: int, user: str) -> tuple[int, bytes]: ...


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


@dataclass
class Round:
    """The scenario's view of one running round, through a driver."""

    d: Driver
    iid: int = 0
    seen_event: int = 0
    pdfs: dict[str, str] = field(default_factory=dict)  # kind -> text of the PDF read back

    # ------------------------------------------------------------------ tasks
    def ready(self, user: str, element: str) -> list[dict[str, Any]]:
        return self.d.tasks(user, instance=self.iid, element=element)

    def one(self, user: str, element: str) -> dict[str, Any]:
        items = self.ready(user, element)
        assert len(items) == 1, (element, len(items))
        return items[0]

    def prefill(self, task_id: int, user: str) -> dict[str, Any]:
        return dict(self.d.task(task_id, user)["initial"])

    def context(self, task_id: int, user: str) -> dict[str, Any]:
        return dict(self.d.task(task_id, user)["context"])

    def refused(self, task_id: int, data: dict[str, Any], user: str) -> str:
        """The refusal's text (field: message lines) for a submission that must not go through."""
        return self.d.refused(task_id, data, user).text

    # ------------------------------------------------------------------ audit trail
    def new_events(self, user: str = SB) -> list[dict[str, Any]]:
        """The events recorded since the last call (as the Sachbearbeitung, or `user`, sees them)."""
        events = [e for e in self.d.events(self.iid, user) if e["id"] > self.seen_event]
        if events:
            self.seen_event = events[-1]["id"]
        return events

    # ------------------------------------------------------------------ documents
    def documents(self, kind: str, user: str = SB) -> list[dict[str, Any]]:
        return [doc for doc in self.d.documents(self.iid, user) if doc["kind"] == kind]

    def read_pdf(self, doc: dict[str, Any], user: str = SB) -> str:
        status, pdf = self.d.download(doc["id"], user)
        assert status == 200 and pdf.startswith(b"%PDF-"), (status, pdf[:20])
        text = pdf_text(pdf)
        self.pdfs[doc["kind"]] = text
        return text


def _generated(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e["payload"] for e in events if e["kind"] == "document_generated" and e["payload"]["kind"] == kind]


def _completed(events: list[dict[str, Any]], element: str) -> list[dict[str, Any]]:
    return [e for e in events if e["kind"] == "task_completed" and e["payload"]["element_id"] == element]


def run_grant_round(d: Driver) -> Round:
    """Play the whole round through `d`; every check is an assertion. Returns the finished round."""
    r = Round(d)
    r.iid = d.start("grant_round", BUSINESS_KEY, SB)
    events = r.new_events()
    assert events[0]["kind"] == "instance_started" and events[0]["actor"] == SB
    assert events[0]["payload"]["process"] == "grant_round"

    # 1. round opened by the Sachbearbeitung with the defaults
    task = r.one(SB, "runde_eroeffnen")
    start = r.prefill(task["id"], SB)
    assert start["foerdersatz_vza_jahr"] == 64000 and start["rueckmeldefrist"] > clock.today().isoformat()
    d.complete(task["id"], start, SB)
    deadline = date.fromisoformat(start["rueckmeldefrist"])
    events = r.new_events()
    (opened,) = _completed(events, "runde_eroeffnen")
    assert opened["actor"] == SB and opened["payload"]["data"]["rueckmeldefrist"] == start["rueckmeldefrist"]
    asked = [e for e in events if e["kind"] == "task_ready" and e["payload"]["element_id"] == "rueckmeldung_abgeben"]
    assert len(asked) == 51 and {e["payload"]["lane"] for e in asked} == {"Gemeinde"}

    # 2. the 51 Gemeinden answer; each sees only its own task, due at the deadline
    assert r.ready(SB, "rueckmeldung_abgeben") == []  # not the Sachbearbeitung's tasks
    silent = []
    for ags, demo in DEMO.items():
        user = username_for(demo["name"])
        (task,) = d.tasks(user, instance=r.iid)
        assert task["gemeinde"] == ags and task["element_id"] == "rueckmeldung_abgeben"
        assert task["due_at"] and task["due_at"][:10] in (start["rueckmeldefrist"],
                                                          (deadline - timedelta(days=1)).isoformat())
        if demo["entscheidung"] == "keine_rueckmeldung":
            silent.append(ags)
            continue
        form = {"entscheidung": demo["entscheidung"], "anzahl_gefluechtete": demo["anzahl_gefluechtete"],
                "ansprechperson": "Bürgermeisteramt"}
        for extra in ("traeger", "zusammenschluss_partner"):
            if extra in demo:
                form[extra] = demo[extra]
        if demo["entscheidung"] == "pruefung":
            del form["anzahl_gefluechtete"]
        if demo.get("erster_versuch"):  # the task's schema refuses it, naming the minimum and the count it needs
            refusal = d.refused(task["id"], dict(form, entscheidung="eigene_durchfuehrung"), user)
            assert refusal.status == 422
            assert format_eur(51000) in refusal.text and "ab 65 Personen" in refusal.text  # 65 × 796,08 € ≥ 51.000 €
        d.complete(task["id"], form, user)
    assert len(silent) == 1
    answered = _completed(r.new_events(), "rueckmeldung_abgeben")
    assert len(answered) == 50 and {e["actor"] for e in answered} == {
        username_for(g["name"]) for a, g in DEMO.items() if a not in silent}
    reminder_at = midnight(deadline - timedelta(days=7)) + timedelta(hours=8)
    assert d.tick(reminder_at) == 1
    events = r.new_events()
    (reminder,) = [e["payload"] for e in events if e["kind"] == "notification_queued"]
    assert reminder["gemeinde"] == silent[0] and "Erinnerung" in reminder["subject"]
    assert [e["payload"]["at"] for e in events if e["kind"] == "timer_fired"] == [reminder_at.isoformat()]
    assert d.tick(midnight(deadline + timedelta(days=1))) == 1
    assert [e["kind"] for e in r.new_events()].count("timer_fired") == 1
    all_events = d.events(r.iid, SB)
    assert [e["kind"] for e in all_events].count("task_completed") == 51

    # 3. Stellenbemessung reviewed and adjusted with a reason; the shares sum exactly
    task = r.one(SB, "stellenbemessung_pruefen")
    review = r.prefill(task["id"], SB)
    assert review["planungsrahmen_kreis"] == 4112549.28 and review["vza_gesamt"] == 32.0  # up to 32 posts [V]
    rows = [dict(a) for a in review["anteile"]]
    assert sum(a["vza"] for a in rows) == 32.0
    rows[0]["vza"] += 0.25
    rows[1]["vza"] -= 0.25
    assert "aenderungsgrund" in r.refused(task["id"], dict(review, anteile=rows), SB)
    bad = [dict(a) for a in rows]
    bad[2]["vza"] += 0.25  # 32,25 VZÄ: more than the Kreis may have
    assert "anteile" in r.refused(task["id"], dict(review, anteile=bad, aenderungsgrund="x"), SB)
    tampered = [dict(rows[0], planungsrahmen=1.0), *rows[1:]]  # a read-only column of the table
    d.complete(task["id"], dict(review, anteile=tampered, aenderungsgrund="Fahrwege"), SB)
    (reviewed,) = _completed(r.new_events(), "stellenbemessung_pruefen")
    assert reviewed["payload"]["data"]["aenderungsgrund"] == "Fahrwege"
    assert reviewed["payload"]["data"]["anteile"] == rows  # the server's Planungsrahmen, the reviewed VZÄ

    # 4. Beschlussvorlage: sent back once, four eyes; a new PDF version per draft
    task = r.one(SB, "beschlussvorlage_entwerfen")
    first = r.prefill(task["id"], SB)
    assert first["sitzungsdatum"] > start["rueckmeldefrist"]  # the Sitzung follows the survey
    assert "sitzungsdatum" in r.refused(task["id"], dict(first, vorlagen_nr="VA/11/2017",
                                                         sitzungsdatum=start["rueckmeldefrist"]), SB)
    assert "vorlagen_nr" in r.refused(task["id"], first, SB)  # a Beschlussvorlage has its number
    d.complete(task["id"], dict(first, vorlagen_nr="VA/11/2017"), SB)
    (first_draft,) = r.documents("beschlussvorlage")
    assert first_draft["version"] == 1 and first_draft["gemeinde"] is None
    task = r.one(DZ, "beschlussvorlage_freigeben")
    assert r.d.refused(task["id"], {"entscheidung": "freigeben"}, SB).status in (403, 404)  # no Dezernat role
    d.complete(task["id"], {"entscheidung": "zurueck", "kommentar": "Neue Vorlagen-Nr. für die Sitzung"}, DZ)
    task = r.one(SB, "beschlussvorlage_entwerfen")
    draft = r.prefill(task["id"], SB)
    assert draft["kommentar_dezernat"] == "Neue Vorlagen-Nr. für die Sitzung"
    draft.pop("kommentar_dezernat")
    d.complete(task["id"], dict(draft, vorlagen_nr="VA/12/2017"), SB)
    task = r.one(DZ, "beschlussvorlage_freigeben")
    d.complete(task["id"], {"entscheidung": "freigeben"}, DZ)
    drafts = r.documents("beschlussvorlage")
    assert sorted(doc["version"] for doc in drafts) == [1, 2]
    events = r.new_events()
    assert [g["version"] for g in _generated(events, "beschlussvorlage")] == [1, 2]
    assert [e["actor"] for e in _completed(events, "beschlussvorlage_freigeben")] == [DZ, DZ]
    text = r.read_pdf(max(drafts, key=lambda doc: doc["version"]))
    for expected in ("VA/12/2017", f"{format_vza(32)} VZÄ", format_eur(64000), format_eur(32 * 64000 * 2),
                     format_eur(4112549.28)):
        assert norm(expected) in text, expected

    # 5. the vote: 4 of 5 members take part, 2 yes, 1 no, 1 abstention → adopted
    votes = {"ausschuss1": "ja", "ausschuss2": "ja", "ausschuss3": "nein", "ausschuss4": "enthaltung"}
    for user, stimme in votes.items():
        (task,) = d.tasks(user, instance=r.iid, element="stimme_abgeben")
        assert task["due_at"][:10] <= draft["sitzungsdatum"]
        d.complete(task["id"], {"stimme": stimme}, user)
    assert r.documents("abstimmungsergebnis") == []
    assert d.tick(midnight(date.fromisoformat(draft["sitzungsdatum"]) + timedelta(days=1))) == 1
    # the votes by name: in the chair's audit history; the Sachbearbeitung sees that each member voted, not how
    assert [e["actor"] for e in _completed(d.events(r.iid, SB), "stimme_abgeben")] == list(votes)
    assert not any("data" in e["payload"] for e in _completed(d.events(r.iid, SB), "stimme_abgeben"))
    events = r.new_events("ausschuss1")
    assert {e["actor"]: e["payload"]["data"]["stimme"] for e in _completed(events, "stimme_abgeben")} == votes
    assert len(_generated(events, "abstimmungsergebnis")) == 1
    (result,) = r.documents("abstimmungsergebnis")
    text = r.read_pdf(result)
    assert "Der Antrag ist angenommen" in text and "VA/12/2017" in text
    assert "Ja-Stimmen 2 Nein-Stimmen 1 Abgegebene Stimmen 3 Enthaltungen 1" in text  # abstentions: not cast
    assert f"Festgestellt in der Sitzung am {format_date(draft['sitzungsdatum'])}" in text
    assert "Frank Weber Vorsitz" in text

    # 6. Antrag, signed by the Dezernatsleitung (four eyes), sent to the RP
    task = r.one(SB, "antrag_vervollstaendigen")
    antrag = r.prefill(task["id"], SB)
    assert antrag["beantragte_vza"] == 32.0 and antrag["beantragte_summe"] == 4096000.0
    # read-only figures keep the server's values, whatever a caller submits
    d.complete(task["id"], dict(antrag, ansprechperson="N. Kaiser", iban="DE89 3704 0044 0532 0130 00",
                                beantragte_summe=2000000.0, beantragte_vza=12.0), SB)
    (completed,) = _completed(r.new_events(), "antrag_vervollstaendigen")
    assert completed["payload"]["data"]["beantragte_summe"] == 4096000.0
    assert completed["payload"]["data"]["beantragte_vza"] == 32.0
    (antrag_pdf,) = r.documents("antrag")
    text = r.read_pdf(antrag_pdf)
    for expected in (format_vza(32), format_eur(4096000), "N. Kaiser", "DE89 3704 0044 0532 0130 00"):
        assert norm(expected) in text, expected
    sign = r.one(DZ, "antrag_zeichnen")
    d.complete(sign["id"], {"entscheidung": "freigeben"}, DZ)
    events = r.new_events()
    (sent,) = [e["payload"] for e in events if e["kind"] == "message_sent"]
    assert sent["message"] == "foerderantrag" and sent["payload"]["datum"] == clock.today().isoformat()
    assert [e["actor"] for e in _completed(events, "antrag_zeichnen")] == [DZ]

    # 7. one posting per ≤ 1.0 VZÄ; the first one with a Personalrat refusal
    postings = r.ready(PA, "ausschreibung_entwerfen")
    stellen = {p["id"]: r.context(p["id"], PA)["stelle"] for p in postings}
    assert sum(s["vza"] for s in stellen.values()) == 32.0 and max(s["vza"] for s in stellen.values()) <= 1.0
    deadline_posting = None
    kennziffern = {}
    for p in postings:
        posting = r.prefill(p["id"], PA)
        assert posting["vza"] == stellen[p["id"]]["vza"] and posting["befristung_monate"] == 24
        deadline_posting = posting["bewerbungsfrist"]
        kennziffern[p["id"]] = posting["kennziffer"]
        d.complete(p["id"], posting, PA)
    ads = r.documents("stellenausschreibung")
    assert len(ads) == len(postings) and {doc["gemeinde"] for doc in ads} == {None}
    made_by = {e["payload"]["document_id"]: e["task_id"] for e in r.new_events()
               if e["kind"] == "document_generated" and e["payload"]["kind"] == "stellenausschreibung"}
    assert set(made_by) == {doc["id"] for doc in ads} and set(made_by.values()) == set(stellen)
    ad = ads[0]
    text = r.read_pdf(ad)
    assert kennziffern[made_by[ad["id"]]] in text
    assert f"{format_vza(stellen[made_by[ad['id']]]['vza'])} VZÄ" in text
    assert format_date(deadline_posting) in text
    for t in r.ready(PA, "ausschreibung_veroeffentlichen"):
        d.complete(t["id"], {"veroeffentlicht_am": "2018-01-02", "kanaele": ["internet", "agentur_fuer_arbeit"]}, PA)
    assert deadline_posting is not None
    d.tick(midnight(date.fromisoformat(deadline_posting) + timedelta(days=1)))
    assert len(r.ready(PA, "bewerbungen_erfassen")) == len(postings)
    for t in r.ready(PA, "bewerbungen_erfassen"):
        nr = r.context(t["id"], PA)["stelle"]["stelle_nr"]
        rows = [{"name": f"A {nr}", "qualifikation": "a", "einladen": True},
                {"name": f"B {nr}", "qualifikation": "b", "einladen": True},
                {"name": f"S {nr}", "qualifikation": "c", "schwerbehindert": True, "einladen": False}]
        assert "§ 165 SGB IX" in r.refused(t["id"], {"bewerbungen": rows}, PA)
        rows[2]["einladen"] = True
        d.complete(t["id"], {"bewerbungen": rows}, PA)
    for t in r.ready(PA, "vorstellungsgespraeche"):
        d.complete(t["id"], r.prefill(t["id"], PA), PA)
    first = True
    for i, t in enumerate(sorted(r.ready(PA, "auswahl_treffen"), key=lambda x: x["id"])):
        stelle = r.context(t["id"], PA)["stelle"]
        start_on = (date(2018, 3, 1) + timedelta(days=i)).isoformat()
        choice = {"name": f"A {stelle['stelle_nr']}", "qualifikation": "a", "vza": stelle["vza"],
                  "entgeltgruppe": "S 11b", "stufe": 1, "beginn_geplant": start_on,
                  "auswahlvermerk": "Beste Eignung"}
        d.complete(t["id"], choice, PA)
        (pr,) = [x for x in r.ready(PR, "personalrat_zustimmung")
                 if r.context(x["id"], PR)["stelle"]["stelle_nr"] == stelle["stelle_nr"]]
        if first:
            d.complete(pr["id"], {"entscheidung": "verweigert", "begruendung": "Stufe 1 zu niedrig"}, PR)
            (again,) = [x for x in r.ready(PA, "auswahl_treffen")
                        if r.context(x["id"], PA)["stelle"]["stelle_nr"] == stelle["stelle_nr"]]
            assert r.prefill(again["id"], PA)["einwand_personalrat"] == "Stufe 1 zu niedrig"
            d.complete(again["id"], dict(choice, name=f"B {stelle['stelle_nr']}", qualifikation="b", stufe=2), PA)
            (pr,) = [x for x in r.ready(PR, "personalrat_zustimmung")
                     if r.context(x["id"], PR)["stelle"]["stelle_nr"] == stelle["stelle_nr"]]
            first = False
        d.complete(pr["id"], {"entscheidung": "erteilt"}, PR)
    # the Personalrat's decisions are Bewerberdaten: in the round's history the Sachbearbeitung sees that
    # they were taken, the Personalamt also what they were
    assert not any("data" in e["payload"] for e in _completed(d.events(r.iid, SB), "personalrat_zustimmung"))
    events = r.new_events(PA)
    decisions = [e["payload"]["data"]["entscheidung"] for e in _completed(events, "personalrat_zustimmung")]
    assert Counter(decisions) == {"erteilt": len(postings), "verweigert": 1}
    assert {e["actor"] for e in _completed(events, "personalrat_zustimmung")} == {PR}
    for t in r.ready(PA, "einstellung_vornehmen"):
        values = r.prefill(t["id"], PA)
        d.complete(t["id"], {"name": values["name"], "arbeitsvertrag_am": "2018-02-01",
                             "beginn": values["beginn"]}, PA)

    # 8. the Personalmeldungen; a Bescheid with less than applied
    assert "bewilligungsbescheid" in d.instance(r.iid, SB)["waiting_for"]
    events = r.new_events()
    reports = [e["payload"]["payload"] for e in events
               if e["kind"] == "message_sent" and e["payload"]["message"] == "personalmeldung"]
    names_vza = [(p["name"], p["vza"]) for p in reports]  # the persons as reported
    assert len(names_vza) == len(postings)
    refused_first = next(p for p in reports if p["beginn"] == "2018-03-01")
    assert refused_first["name"].startswith("B ") and refused_first["qualifikation"] == "b"
    assert refused_first["foerderende"] == "2020-02-29"  # 24 months from 1 March 2018
    assert all(p["name"].startswith("A ") for p in reports if p is not refused_first)
    personen = [{"name": n, "vza": v, "betrag": float(foerdersumme(v, 64000))} for n, v in names_vza]
    personen[0]["betrag"] -= 10000
    d.deliver(r.iid, "bewilligungsbescheid", {"aktenzeichen": "RPS15.2-1", "datum": "2018-05-15",
                                              "personen": personen}, SB)
    (received,) = [e for e in r.new_events() if e["kind"] == "message_received"]
    assert received["actor"] == SB and received["payload"]["payload"]["aktenzeichen"] == "RPS15.2-1"
    task = r.one(SB, "kuerzung_entscheiden")
    assert r.prefill(task["id"], SB)["differenz"] == 10000.0
    d.complete(task["id"], {"massnahme": "eigenmittel", "eigenmittel_betrag": 10000, "begruendung": "Kreistag",
                            "differenz": 1.0}, SB)
    (completed,) = _completed(d.events(r.iid, SB), "kuerzung_entscheiden")
    assert completed["payload"]["data"]["differenz"] == 10000.0  # read-only: the server's figure

    # 9. done; every Gemeinde with an Integrationsmanager gets its own letter
    instance = d.instance(r.iid, SB)
    assert instance["status"] == "completed" and instance["waiting_for"] == []
    final = instance["data"]
    transferring = {g["ags"] for g in final["bemessung"]["uebertragende"]}
    assert len(transferring) == 41
    ends = sorted(b["foerderende"] for b in final["besetzungen"])
    assert final["abschluss"]["foerderende_spaetestens"] == ends[-1]
    assert final["abschluss"]["verwendungsnachweis_faellig"] is not None
    events = r.new_events()
    letters = r.documents("mitteilung_gemeinden")
    assert len(letters) == len(_generated(events, "mitteilung_gemeinden")) == 41
    assert sorted(doc["gemeinde"] for doc in letters) == sorted(transferring)
    told = [e["payload"]["gemeinde"] for e in events if e["kind"] == "notification_queued"]
    assert sorted(told) == sorted(transferring)
    kinds = [e["kind"] for e in d.events(r.iid, SB)]
    assert kinds[0] == "instance_started" and kinds.count("timer_fired") >= 3 and kinds[-1] == "instance_completed"
    assert Decimal(str(sum(v for _, v in names_vza))) == Decimal("32.0")
    check_letters(r, letters, final)
    assert {kind for kind in DOCUMENT_KINDS if r.documents(kind)} == set(DOCUMENT_KINDS)
    assert set(r.pdfs) == set(DOCUMENT_KINDS)  # one PDF of each kind read back
    return r


def check_letters(r: Round, letters: list[dict[str, Any]], final: dict[str, Any]) -> None:
    """A Gemeinde sees and downloads only its own letter (naming it and its Integrationsmanager); staff see all."""
    notices = {n["ags"]: n for n in mitteilungen_gemeinden(final["besetzungen"], final["bemessung"]["uebertragende"])}
    mine, other = letters[0], letters[1]
    notice = notices[mine["gemeinde"]]
    user = username_for(notice["name"])
    assert r.d.documents(r.iid, user) == [mine]  # not the other 40 letters, not the staff documents
    text = r.read_pdf(mine, user)
    assert norm(notice["name"]) in text
    for person in notice["integrationsmanager"]:
        assert norm(person["name"]) in text and f"{format_vza(person['vza'])} VZÄ" in text
    status, _ = r.d.download(other["id"], user)
    assert status in (403, 404)
    status, _ = r.d.download(r.documents("antrag")[0]["id"], user)
    assert status in (403, 404)
    assert len(r.d.documents(r.iid, DZ)) == len(r.d.documents(r.iid, SB)) == 2 + 1 + 1 + len(
        r.documents("stellenausschreibung")) + len(letters)
    status, pdf = r.d.download(other["id"], DZ)
    assert status == 200 and norm(notices[other["gemeinde"]]["name"]) in pdf_text(pdf)
