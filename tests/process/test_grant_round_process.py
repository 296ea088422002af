"""A whole grant round on the diagrams alone (SpiffWorkflow in memory, stub services).

Checks the modelling: each lane's tasks, the rules the tasks enforce, the figures at each
step, the timers and messages. Runs on bpmn/ and, when the shared tools are present, on the
files bpmn.io writes back (round trip).
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.util.task import TaskState

from tests.process.conftest import TOOLS
from tests.process.harness import BPMN_DIR, ROOT, Refused, Round
from workflows import clock
from workflows.foerderung.demo_answers import demo_rueckmeldungen
from workflows.foerderung.rules.allocation import planungsrahmen
from workflows.foerderung.rules.funding import foerdersumme

MEMBERS = [{"username": f"kr{i}", "name": f"Kreisrat {i}"} for i in range(1, 8)]
DEMO = demo_rueckmeldungen("ortenaukreis")


def answer_all(r: Round) -> list[Any]:
    """Every Gemeinde answers as in the demo data, except the one marked 'keine_rueckmeldung'."""
    silent = []
    for task in r.ready("rueckmeldung_abgeben"):
        g = task.data["gemeinde"]
        demo = DEMO[g["ags"]]
        if demo["entscheidung"] == "keine_rueckmeldung":
            silent.append(task)
            continue
        form = {"entscheidung": demo["entscheidung"], "anzahl_gefluechtete": demo["anzahl_gefluechtete"],
                "ansprechperson": f"Ansprechperson {g['name']}"}
        for extra in ("traeger", "zusammenschluss_partner"):
            if extra in demo:
                form[extra] = demo[extra]
        if demo.get("erster_versuch") == "eigene_durchfuehrung":
            with pytest.raises(Refused) as refused:
                r.submit(task, dict(form, entscheidung="eigene_durchfuehrung"), "gem", gemeinde=g["ags"])
            assert "51.000,00\u00a0€" in refused.value.errors["anzahl_gefluechtete"]
            assert "ab 65 Personen" in refused.value.errors["anzahl_gefluechtete"]  # 65 × 796,08 € ≥ 51.000 €
        with pytest.raises(Refused):  # another Gemeinde's user may not answer
            r.submit(task, form, "gem", gemeinde="08317999")
        r.submit(task, form, "gem", gemeinde=g["ags"])
    return silent


def vote(r: Round, stimmen: dict[str, str]) -> None:
    for task in r.ready("stimme_abgeben"):
        user = task.data["mitglied"]["username"]
        if user in stimmen:
            r.submit(task, {"stimme": stimmen[user]}, user)
    r.fire("sitzung_beendet")  # the session ends: the others did not take part


def draft_and_release(r: Round, send_back: bool) -> None:
    task = r.one("beschlussvorlage_entwerfen")
    draft = r.prefill(task)
    assert "41 Städte und Gemeinden" in draft["betreff"]
    assert "4.112.549,28\u00a0€" in draft["sachverhalt"]
    assert draft["sitzungsdatum"] > r.data("abfrage_vorbereiten")["rueckmeldefrist"]  # after the survey
    with pytest.raises(Refused) as refused:  # the Sitzung before the Rückmeldefrist: refused beside the field
        r.submit(task, dict(draft, vorlagen_nr="VA/11/2017", sitzungsdatum=r.data("abfrage_vorbereiten")[
            "rueckmeldefrist"]), "sb1")
    assert "nach der Rückmeldefrist" in refused.value.errors["sitzungsdatum"]
    r.submit(task, dict(draft, vorlagen_nr="VA/11/2017"), "sb1")
    release = r.one("beschlussvorlage_freigeben")
    with pytest.raises(Refused):  # four eyes: not the drafting person
        r.submit(release, {"entscheidung": "freigeben"}, "sb1")
    if send_back:
        with pytest.raises(Refused) as refused:  # a send-back needs a comment
            r.submit(release, {"entscheidung": "zurueck"}, "dz1")
        assert "kommentar" in refused.value.errors
        r.submit(release, {"entscheidung": "zurueck", "kommentar": "Bitte neue Vorlagen-Nr."}, "dz1")
        task = r.one("beschlussvorlage_entwerfen")
        again = r.prefill(task)
        assert again["kommentar_dezernat"] == "Bitte neue Vorlagen-Nr."
        assert again["betreff"] == draft["betreff"]  # the previous draft comes back
        r.submit(task, dict(again, vorlagen_nr="VA/12/2017"), "sb1")
        release = r.one("beschlussvorlage_freigeben")
    r.submit(release, {"entscheidung": "freigeben"}, "dz1")


def fill_posting(r: Round, task: Any, *, refuse_once: bool, no_applicants_once: bool, start: str) -> str:
    """Drive one call-activity instance of `stellenbesetzung`; returns the hired person's name."""
    stelle = task.data["stelle"]
    nr = stelle["stelle_nr"]

    def mine(spec: str) -> Any:
        (t,) = [t for t in r.ready(spec) if t.data["stelle"]["stelle_nr"] == nr]
        return t

    for attempt in range(2 if no_applicants_once else 1):
        t = task if attempt == 0 else mine("ausschreibung_entwerfen")
        posting = r.prefill(t)
        assert posting["vza"] == stelle["vza"] and posting["befristung_monate"] == 24
        with pytest.raises(Refused):
            r.submit(t, dict(posting, titel="Integrationsmanager"), "pa1")  # not gender-neutral
        r.submit(t, posting, "pa1")
        t = mine("ausschreibung_veroeffentlichen")
        with pytest.raises(Refused):  # § 165 SGB IX: the Agentur für Arbeit must get the vacancy
            r.submit(t, {"veroeffentlicht_am": "2018-01-02", "kanaele": ["internet"]}, "pa1")
        r.submit(t, {"veroeffentlicht_am": "2018-01-02", "kanaele": ["internet", "agentur_fuer_arbeit"]}, "pa1")
        timers = [w for w in r.waiting_timers("bewerbungsfrist_abgelaufen") if w.data["stelle"]["stelle_nr"] == nr]
        assert len(timers) == 1
        r.fire("bewerbungsfrist_abgelaufen", only=timers)
        t = mine("bewerbungen_erfassen")
        if attempt == 0 and no_applicants_once:
            nobody = [{"name": "Z. Ungeeignet", "qualifikation": "keine", "einladen": False}]
            r.submit(t, {"bewerbungen": nobody}, "pa1")
            t = mine("weiteres_vorgehen")
            with pytest.raises(Refused):
                r.submit(t, {"vorgehen": "aufgeben"}, "pa1")  # giving up needs a reason
            r.submit(t, {"vorgehen": "neu_ausschreiben"}, "pa1")
            continue
        rows = [{"name": f"A. Erste {nr}", "qualifikation": "a", "einladen": True},
                {"name": f"B. Zweite {nr}", "qualifikation": "b", "einladen": True},
                {"name": f"C. Schwerbehindert {nr}", "qualifikation": "c", "schwerbehindert": True, "einladen": False}]
        with pytest.raises(Refused) as refused:  # § 165 SGB IX
            r.submit(t, {"bewerbungen": rows}, "pa1")
        assert "§ 165 SGB IX" in refused.value.errors["bewerbungen/2/einladen"]
        rows[2]["einladen"] = True
        r.submit(t, {"bewerbungen": rows}, "pa1")
    t = mine("vorstellungsgespraeche")
    talks = r.prefill(t)
    assert [g["name"] for g in talks["gespraeche"]] == [f"A. Erste {nr}", f"B. Zweite {nr}",
                                                          f"C. Schwerbehindert {nr}"]
    for i, row in enumerate(talks["gespraeche"]):
        row["bewertung"] = i + 1
    r.submit(t, talks, "pa1")
    choice = {"name": f"A. Erste {nr}", "qualifikation": "a", "vza": stelle["vza"], "entgeltgruppe": "S 12",
              "stufe": 1, "beginn_geplant": start, "auswahlvermerk": "Beste Eignung"}
    t = mine("auswahl_treffen")
    with pytest.raises(Refused):
        r.submit(t, dict(choice, name="Nicht Eingeladen"), "pa1")
    r.submit(t, choice, "pa1")
    if refuse_once:
        t = mine("personalrat_zustimmung")
        with pytest.raises(Refused):
            r.submit(t, {"entscheidung": "verweigert"}, "pr1")  # reasons required
        r.submit(t, {"entscheidung": "verweigert", "begruendung": "Eingruppierung S 12 nicht begründet"}, "pr1")
        t = mine("auswahl_treffen")
        assert r.prefill(t)["einwand_personalrat"] == "Eingruppierung S 12 nicht begründet"
        choice = dict(choice, name=f"B. Zweite {nr}", qualifikation="b", entgeltgruppe="S 11b")
        r.submit(t, choice, "pa1")
    t = mine("personalrat_zustimmung")
    assert r.prefill(t)["befristung_monate"] == 24
    r.submit(t, {"entscheidung": "erteilt"}, "pr1")
    t = mine("einstellung_vornehmen")
    r.submit(t, {"name": choice["name"], "arbeitsvertrag_am": "2018-02-01", "beginn": start}, "pa1")
    return choice["name"]


def run_round(bpmn_dir: Path = BPMN_DIR, dmn_dir: Path | None = None) -> Round:
    r = Round(bpmn_dir, dmn_dir, members=MEMBERS)
    # 1. the round is opened
    task = r.one("runde_eroeffnen")
    assert task.task_spec.lane == "Sachbearbeitung"
    start = r.prefill(task)
    assert start["foerdersatz_vza_jahr"] == 64000 and start["mindestbetrag"] == 51000
    assert date.fromisoformat(start["rueckmeldefrist"]) > clock.today()
    r.submit(task, start, "sb1")
    assert r.services.of("load_gemeinden") == [{"landkreis": "ortenaukreis"}]

    # 2. survey: 51 tasks, one per Gemeinde, visible to that Gemeinde only
    tasks = r.ready("rueckmeldung_abgeben")
    assert len(tasks) == 51 and {t.task_spec.lane for t in tasks} == {"Gemeinde"}
    silent = answer_all(r)
    assert len(silent) == 1
    assert len(r.waiting_timers("erinnerung")) == 1  # only the silent Gemeinde is still waiting
    r.fire("erinnerung")
    (reminder,) = [p for p in r.services.of("notify") if "Erinnerung" in p["subject"]]
    assert reminder["gemeinde"] == silent[0].data["gemeinde"]["ags"]
    r.fire("frist_abgelaufen")
    bemessung = r.data("stellenbemessung_berechnen")["bemessung"]
    answers = r.data("stellenbemessung_berechnen")["rueckmeldungen"]
    assert len(answers) == 51 and len({a["ags"] for a in answers}) == 51  # no answer lost at the deadline
    assert bemessung["zaehlung"] == {"uebertragung": 41, "eigene_durchfuehrung": 0, "freier_traeger": 3,
                                     "zusammenschluss": 2, "pruefung": 4, "keine_rueckmeldung": 1}

    # 3. Stellenbemessung
    transferring = [d for d in DEMO.values() if d["entscheidung"] == "uebertragung"]
    expected = sum((planungsrahmen(d["anzahl_gefluechtete"], "796.08") for d in transferring), Decimal(0))
    assert Decimal(str(bemessung["planungsrahmen_kreis"])) == expected == Decimal("4112549.28")
    assert bemessung["vza_gesamt"] == 32.0  # 4.112.549,28 / 128.000 = 32,13 → 32,0
    shares = {a["empfaenger"]: a["vza"] for a in bemessung["anteile"]}
    assert sum(shares.values()) == 32.0 and all(v % 0.25 == 0 for v in shares.values())
    task = r.one("stellenbemessung_pruefen")
    review = r.prefill(task)
    changed = [dict(a) for a in review["anteile"]]
    changed[0]["vza"] += 0.25
    changed[1]["vza"] -= 0.25
    with pytest.raises(Refused) as refused:
        r.submit(task, dict(review, anteile=changed), "sb1")
    assert set(refused.value.errors) == {"aenderungsgrund"}
    bad = [dict(a) for a in changed]
    bad[2]["vza"] += 0.25
    with pytest.raises(Refused) as refused:
        r.submit(task, dict(review, anteile=bad, aenderungsgrund="x"), "sb1")
    assert "genau" in refused.value.errors["anteile"]
    r.submit(task, dict(review, anteile=changed, aenderungsgrund="Fahrwege im Renchtal"), "sb1")
    final = r.data("anteile_festlegen")["stellenanteile"]
    assert sum(a["vza"] for a in final) == 32.0 and final[0]["vza"] == changed[0]["vza"]
    assert final[0]["gemeinden"]  # the reviewed rows keep their Gemeinden

    # 4./5. Beschlussvorlage (sent back once), a rejected vote, the chair sends it back, adopted
    draft_and_release(r, send_back=True)
    assert [p["kind"] for p in r.services.of("generate_document")] == ["beschlussvorlage"] * 2
    assert len(r.ready("stimme_abgeben")) == 7
    assert {t.task_spec.lane for t in r.ready("stimme_abgeben")} == {"Verwaltungsausschuss"}
    vote(r, {"kr1": "ja", "kr2": "nein", "kr3": "nein", "kr4": "enthaltung"})  # 4 of 7 took part, 1:2
    result = r.data("abstimmung_auswerten")
    assert (result["beschluss_angenommen"], result["beschluss_begruendung"]) == (False, "abgelehnt")
    task = r.one("ablehnung_entscheiden")
    assert task.task_spec.lane == "Vorsitz"
    r.submit(task, {"vorgehen": "ueberarbeiten", "begruendung": "Nachbesserung"}, "landrat")
    draft_and_release(r, send_back=False)
    vote(r, {"kr1": "ja", "kr2": "ja", "kr3": "nein", "kr4": "enthaltung", "kr5": "ja"})
    result = r.data("abstimmung_auswerten")
    assert result["beschluss_angenommen"] is True
    assert result["stimmzaehlung"] == {"ja": 3, "nein": 1, "enthaltung": 1, "teilgenommen": 5,
                                       "mitglieder_anzahl": 7, "nicht_teilgenommen": 2}
    informed = [p for p in r.services.of("notify") if p.get("role") == "Verwaltungsausschuss"]
    assert len(informed) == 2 and "angenommen" in informed[-1]["text"]

    # 6. Antrag, signed with four eyes, sent to the RP with the date
    task = r.one("antrag_vervollstaendigen")
    antrag = r.prefill(task)
    assert antrag["beantragte_vza"] == 32.0 and antrag["beantragte_summe"] == 4096000.0
    r.submit(task, dict(antrag, ansprechperson="N. Kaiser", iban="DE89 3704 0044 0532 0130 00"), "sb1")
    with pytest.raises(Refused):
        r.submit(r.one("antrag_zeichnen"), {"entscheidung": "freigeben"}, "sb1")
    r.submit(r.one("antrag_zeichnen"), {"entscheidung": "freigeben"}, "dz1")
    sent = [e for e in r.thrown if e.event_definition.name == "foerderantrag"]
    assert len(sent) == 1 and sent[0].payload["datum"] == clock.today().isoformat()

    # 7. Stellenbesetzung: one call activity per posting (≤ 1,0 VZÄ each)
    postings = r.ready("ausschreibung_entwerfen")
    vzas = sorted(t.data["stelle"]["vza"] for t in postings)
    assert sum(vzas) == 32.0 and max(vzas) <= 1.0 and {t.task_spec.lane for t in postings} == {"Personalamt"}
    hired = {}
    for i, task in enumerate(postings):
        hired[task.data["stelle"]["stelle_nr"]] = fill_posting(
            r, task, refuse_once=i == 0, no_applicants_once=i == 1,
            start=(date(2018, 3, 1) + timedelta(days=i)).isoformat())
    reports = [e for e in r.thrown if e.event_definition.name == "personalmeldung"]
    assert len(reports) == len(postings)
    assert {e.payload["name"] for e in reports} == set(hired.values())
    first = next(e.payload for e in reports if e.payload["beginn"] == "2018-03-01")
    assert first["foerderende"] == "2020-02-29" and first["qualifikation"] == "b"  # refused once → second pick

    # 8. Bescheid: nothing after the follow-up period → ask, then a Bescheid with less than applied
    (waiting,) = r.waiting_timers("warten_bescheid")  # event-based gateway: Bescheid or follow-up timer
    assert r.ready() == []
    assert (r.due(waiting) - datetime.now(UTC)).days in (41, 42)  # bescheid_nachfrage_tage = 42
    r.fire("warten_bescheid")
    r.submit(r.one("beim_rp_nachfragen"), {"nachgefragt_am": "2018-05-02", "ergebnis": "in Bearbeitung"}, "sb1")
    besetzungen = r.data("besetzung_auswerten")["besetzungen"]
    approved = [{"name": b["name"], "vza": b["vza"], "betrag": float(foerdersumme(b["vza"], 64000))}
                for b in besetzungen]
    approved[0]["betrag"] -= 10000
    r.send("bewilligungsbescheid", {"aktenzeichen": "RPS15.2-1234", "datum": "2018-05-15", "personen": approved})
    task = r.one("kuerzung_entscheiden")
    assert r.prefill(task)["differenz"] == 10000.0
    with pytest.raises(Refused):
        r.submit(task, {"massnahme": "eigenmittel", "eigenmittel_betrag": 20000, "begruendung": "x"}, "sb1")
    r.submit(task, {"massnahme": "eigenmittel", "eigenmittel_betrag": 10000, "begruendung": "Kreistag"}, "sb1")

    # 9. the Gemeinden are told who their Integrationsmanager is; the round ends
    assert r.wf.is_completed()
    final_data = r.wf.data
    assert len(final_data["mitteilung_an"]) == 41 and "mitteilungen" not in final_data  # made where needed
    told = [p for p in r.services.of("notify") if p.get("gemeinde") and "Erinnerung" not in p["subject"]]
    assert len(told) == 41 and not [p for p in told if "noch offen" in p["text"]]
    assert {p["gemeinde"] for p in told} == {d["ags"] for d in final_data["bemessung"]["uebertragende"]}
    ends = sorted(b["foerderende"] for b in final_data["besetzungen"])
    assert final_data["abschluss"]["foerderende_spaetestens"] == ends[-1]
    assert final_data["abschluss"]["verwendungsnachweis_faellig"] is not None
    kinds = [p["kind"] for p in r.services.of("generate_document")]
    for kind in ("beschlussvorlage", "abstimmungsergebnis", "antrag", "stellenausschreibung", "mitteilung_gemeinden"):
        assert kind in kinds
    return r


def test_whole_round_on_the_diagrams() -> None:
    r = run_round()
    assert r.audit[0][0] == "runde_eroeffnen"
    assert not [t for t in r.wf.get_tasks() if t.state in (TaskState.READY, TaskState.WAITING)]
    assert r.workflows() == [r.wf]  # every child workflow ended
    calls = Counter(c.element_id for c in r.children)
    assert calls == {"gemeinde_abfrage": 51, "abstimmung": 14, "stellen_besetzen": 34}
    for child in r.children:  # each child started with its declared inputs only, not the round's data
        (start,) = child.wf.get_tasks(spec_name="Start")
        declared = {v.bpmn_id for v in child.wf.spec.io_specification.data_inputs}
        assert set(start.data) == declared and "gemeinden" not in declared


def test_whole_round_on_the_bpmn_io_round_trip(bpmn_io_round_trip: Path) -> None:
    """The files as bpmn.io saves them (fixture in conftest.py: skipped without ../shared/tools)."""
    run_round(bpmn_io_round_trip, BPMN_DIR)


def test_deadline_on_a_multi_instance_task_loses_its_output() -> None:
    """Why the survey's deadline sits inside each instance: verified on the shared example.

    An interrupting boundary timer on the multi-instance task itself cancels the task, and the
    path after the timer only sees the data from before the task started: answers already given
    are gone.
    """
    example = ROOT.parent / "shared" / "examples" / "spiffworkflow"
    if not example.exists():
        pytest.skip("../shared/examples/spiffworkflow not available")
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

    from workflows.engine.scripting import make_script_engine

    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_files([str(example / "grant_process.bpmn"), str(example / "submit_to_rp.bpmn")])
    parser.add_dmn_files([str(example / "funding.dmn")])

    def municipalities() -> list[dict[str, str]]:
        return [{"ags": f"08125{i:03d}"} for i in range(5)]

    wf = BpmnWorkflow(parser.get_spec("grant_process"), parser.get_subprocess_specs("grant_process"),
                      script_engine=make_script_engine())
    wf.script_engine.environment.globals["load_municipalities"] = municipalities
    wf.do_engine_steps()
    ready = wf.get_tasks(state=TaskState.READY, manual=True)
    for task in ready[:3]:
        task.data["opt_in_result"] = {"ags": task.data["municipality"]["ags"], "participate": True}
        task.run()
        wf.do_engine_steps()
    (mi,) = wf.get_tasks(spec_name="opt_in")
    assert len(mi.data["opt_ins"]) == 3  # collected so far, on the multi-instance task
    timer = [t for t in wf.get_tasks(state=TaskState.WAITING) if t.task_spec.bpmn_id == "opt_in_deadline"]
    timer[0].internal_data["event_value"] = "2000-01-01T00:00:00+00:00"
    wf.refresh_timers()
    wf.do_engine_steps()
    (escalate,) = wf.get_tasks(state=TaskState.READY, manual=True)
    assert escalate.task_spec.bpmn_id == "escalate"
    assert "opt_ins" not in escalate.data  # the three answers are lost on the timer path


@pytest.mark.skipif(shutil.which("node") is None or not (TOOLS / "bpmnlint-check").exists(),
                    reason="../shared/tools (and node) not available")
def test_diagrams_pass_the_checkers(tmp_path: Path) -> None:
    lint = subprocess.run([str(TOOLS / "bpmnlint-check"), str(BPMN_DIR)], capture_output=True, text=True,
                          timeout=120)
    if lint.returncode == 2:
        pytest.skip(f"checker not set up (run ../shared/tools/setup): {lint.stderr.strip()}")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    imp = subprocess.run([str(TOOLS / "bpmnjs-import-check"), str(BPMN_DIR), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert imp.returncode == 0, imp.stdout + imp.stderr
