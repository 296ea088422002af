"""Übernehmen, Vertretung, comments and search on the engine's own operations, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.engine.helpers import answer_all, gemeinde_user, ready_rows, start_mini
from workflows import engine, inbox
from workflows.collab import claims, comments, deputies, search
from workflows.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workflows.identity import authz, users
from workflows.storage.db import Database
from workflows.storage.models import Event, Notification


def add_user(db: Database, username: str, name: str, roles: list[str], ags: str | None = None) -> str:
    with db.write() as session:
        users.upsert_user(session, username, name, roles, "x", gemeinde_ags=ags, email=f"{username}@example.org")
    return username


def kinds(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Event.kind).order_by(Event.id)))


def test_claim_blocks_colleagues_until_given_back(mini_db: Database) -> None:
    iid = start_mini(mini_db)
    answer_all(mini_db, iid)
    (draft,) = ready_rows(mini_db, iid, "draft")
    colleague = add_user(mini_db, "hofmann", "Lukas Hofmann", ["Sachbearbeitung"])
    info = claims.claim(mini_db, draft.id, "sachbearbeitung")
    assert info.mine and info.claimed_by_name == "Sabine Keller"
    seen = claims.claim_info(mini_db, draft.id, colleague)  # the colleague still sees it, and who has it
    assert seen.claimed_by == "sachbearbeitung" and not seen.may_claim and not seen.may_release
    with pytest.raises(Conflict, match="Sabine Keller hat diese Aufgabe bereits übernommen"):
        claims.claim(mini_db, draft.id, colleague)
    with pytest.raises(Forbidden, match=r"Sabine Keller hat diese Aufgabe am .* übernommen"):
        engine.complete_task(mini_db, draft.id, {"text": "Entwurf"}, colleague)
    assert [t.title for t in inbox.list_tasks(mini_db, colleague).items] == [draft.title]
    with pytest.raises(Forbidden):
        claims.release(mini_db, draft.id, colleague)
    claims.release(mini_db, draft.id, "sachbearbeitung")
    engine.complete_task(mini_db, draft.id, {"text": "Entwurf"}, colleague)
    assert {"task_claimed", "task_released", "task_completed"} <= set(kinds(mini_db))


def test_team_lead_reassigns_but_not_to_someone_who_cannot_do_it(mini_db: Database) -> None:
    iid = start_mini(mini_db)
    answer_all(mini_db, iid)
    (draft,) = ready_rows(mini_db, iid, "draft")
    colleague = add_user(mini_db, "hofmann", "Lukas Hofmann", ["Sachbearbeitung"])
    claims.claim(mini_db, draft.id, "sachbearbeitung")
    with pytest.raises(Forbidden, match="Aufgaben zuweisen darf die Dezernatsleitung"):
        claims.assign(mini_db, draft.id, colleague, "sachbearbeitung")
    with pytest.raises(Forbidden, match="kann diese Aufgabe nicht erledigen"):
        claims.assign(mini_db, draft.id, "personalamt", "dezernat")
    assert [u for u, _ in claims.candidates(mini_db, draft.id, "dezernat")] == ["hofmann", "sachbearbeitung"]
    info = claims.assign(mini_db, draft.id, colleague, "dezernat")
    assert info.claimed_by == colleague and info.assigned_by == "dezernat"
    with mini_db.read() as session:
        note = session.scalars(select(Notification).where(Notification.recipient_user == colleague)).one()
    assert "Michael Brandt hat Ihnen die Aufgabe" in note.text
    with pytest.raises(Forbidden):
        engine.complete_task(mini_db, draft.id, {"text": "Entwurf"}, "sachbearbeitung")
    engine.complete_task(mini_db, draft.id, {"text": "Entwurf"}, colleague)
    (release,) = ready_rows(mini_db, iid, "release")
    dez2 = add_user(mini_db, "dez2", "Petra Lang", ["Dezernatsleitung"])
    assert [u for u, _ in claims.candidates(mini_db, release.id, "dezernat")] == ["dez2", "dezernat"]
    claims.assign(mini_db, release.id, dez2, "dezernat")
    assert "task_assigned" in kinds(mini_db)


def test_gemeinde_task_cannot_be_assigned_and_claims_stay_within_the_gemeinde(mini_db: Database) -> None:
    iid = start_mini(mini_db)
    row = ready_rows(mini_db, iid, "answer")[0]
    user = gemeinde_user(mini_db, row.assignee_gemeinde or "")
    with pytest.raises(NotFound):
        claims.claim(mini_db, row.id, "sachbearbeitung")
    with pytest.raises(NotFound):  # not a team lane: the Dezernatsleitung does not even see it
        claims.assign(mini_db, row.id, user, "dezernat")
    assert claims.claim(mini_db, row.id, user).mine


def test_vertretung_shows_and_allows_the_principals_tasks_during_the_period(mini_db: Database) -> None:
    iid = start_mini(mini_db)
    answer_all(mini_db, iid)
    (draft,) = ready_rows(mini_db, iid, "draft")
    engine.complete_task(mini_db, draft.id, {"text": "Entwurf"}, "sachbearbeitung")
    (release,) = ready_rows(mini_db, iid, "release")
    today = authz.today()
    assert [t.title for t in inbox.list_tasks(mini_db, "sachbearbeitung").items] == []
    # the Dezernatsleitung's deputy is the person who drafted: they see the release but four-eyes holds
    future = deputies.name_deputy(mini_db, "dezernat", "sachbearbeitung", today + timedelta(days=3),
                                  today + timedelta(days=10), "Urlaub")
    assert not future.active and inbox.list_tasks(mini_db, "sachbearbeitung").items == []
    deputies.end_deputy(mini_db, future.id, "dezernat")
    info = deputies.name_deputy(mini_db, "dezernat", "sachbearbeitung", today.strftime("%d.%m.%Y"),
                                today + timedelta(days=10), "Urlaub")
    assert info.active and info.deputy_name == "Sabine Keller"
    assert [t.title for t in inbox.list_tasks(mini_db, "sachbearbeitung").items] == [release.title]
    mark = claims.claim_info(mini_db, release.id, "sachbearbeitung")
    assert mark.vertretung_fuer == "dezernat" and mark.vertretung_fuer_name == "Michael Brandt"
    with pytest.raises(Forbidden, match="Vier-Augen-Prinzip"):
        engine.complete_task(mini_db, release.id, {"freigabe": "ja"}, "sachbearbeitung")
    # another deputy who did not draft may release; the audit records that it was in Vertretung
    other = add_user(mini_db, "hofmann", "Lukas Hofmann", ["Sachbearbeitung"])
    with pytest.raises(Forbidden):
        engine.complete_task(mini_db, release.id, {"freigabe": "ja"}, other)
    deputies.name_deputy(mini_db, "dezernat", other, today, today, "Krankheit")
    claims.claim(mini_db, release.id, "dezernat")  # the principal took it: the deputy still acts for them
    engine.complete_task(mini_db, release.id, {"freigabe": "ja"}, other)
    assert {"deputy_named", "deputy_ended", "task_completed"} <= set(kinds(mini_db))


def test_vertretung_rules(mini_db: Database) -> None:
    today = authz.today()
    with pytest.raises(ValidationFailed) as bad:
        deputies.name_deputy(mini_db, "sachbearbeitung", "dezernat", today, today - timedelta(days=1))
    assert "Bis: Das Ende darf nicht vor dem Beginn liegen." in str(bad.value.errors)
    with pytest.raises(ValidationFailed) as bad:
        deputies.name_deputy(mini_db, "sachbearbeitung", "offenburg", today, today)
    assert "derselben Gemeinde" in bad.value.errors[0].message
    with pytest.raises(ValidationFailed) as bad:
        deputies.name_deputy(mini_db, "sachbearbeitung", "sachbearbeitung", today, today)
    assert "nicht selbst" in bad.value.errors[0].message
    with pytest.raises(ValidationFailed) as bad:
        deputies.name_deputy(mini_db, "sachbearbeitung", "dezernat", "morgen", today)
    assert bad.value.errors[0].message.startswith("Von: Bitte ein Datum")
    overview = deputies.overview(mini_db, "offenburg")
    assert overview.candidates == []  # the only user of Offenburg


def test_comments_mentions_and_need_to_know(mini_db: Database) -> None:
    iid = start_mini(mini_db)
    rows = ready_rows(mini_db, iid, "answer")
    mine, other = rows[0], rows[1]
    user = gemeinde_user(mini_db, mine.assignee_gemeinde or "")
    other_user = gemeinde_user(mini_db, other.assignee_gemeinde or "")
    comments.add_comment(mini_db, "sachbearbeitung", "Intern: Zahlen prüfen, @dezernat", instance_id=iid)
    on_task = comments.add_comment(mini_db, "sachbearbeitung", f"Bitte Anzahl begründen, @{user}", task_id=mine.id)
    with pytest.raises(ValidationFailed) as bad:
        comments.add_comment(mini_db, "sachbearbeitung", f"@{other_user} schau mal", task_id=mine.id)
    assert "darf diesen Kommentar nicht lesen" in bad.value.errors[0].message
    with pytest.raises(ValidationFailed) as bad:
        comments.add_comment(mini_db, "sachbearbeitung", "@niemand", instance_id=iid)
    assert "diesen Benutzer gibt es nicht" in bad.value.errors[0].message
    with pytest.raises(ValidationFailed):
        comments.add_comment(mini_db, "sachbearbeitung", "   ", instance_id=iid)
    with pytest.raises(Forbidden):
        comments.add_comment(mini_db, user, "Runde allgemein", instance_id=iid)
    with pytest.raises(NotFound):
        comments.add_comment(mini_db, user, "fremd", task_id=other.id)
    comments.add_comment(mini_db, user, "Begründung folgt", task_id=mine.id)
    assert [c.text for c in comments.list_comments(mini_db, "dezernat", instance_id=iid)] == [
        "Intern: Zahlen prüfen, @dezernat", f"Bitte Anzahl begründen, @{user}", "Begründung folgt"]
    assert [c.text for c in comments.list_comments(mini_db, user, instance_id=iid)] == [
        f"Bitte Anzahl begründen, @{user}", "Begründung folgt"]
    assert comments.list_comments(mini_db, other_user, instance_id=iid) == []
    assert on_task.mentions == [user] and on_task.author_name == "Sabine Keller"
    notes = {n.subject for n in inbox.list_notifications(mini_db, user)}
    assert any(s.startswith("Erwähnung im Vorgang Testrunde") for s in notes)
    def mentioned(username: str) -> bool:
        return any(n.subject.startswith("Erwähnung") for n in inbox.list_notifications(mini_db, username))

    assert mentioned("dezernat") and not mentioned(other_user)
    history = {e.kind for e in inbox.list_events(mini_db, iid, user)[0]}
    assert "comment_added" in history


def test_search_finds_only_what_one_may_see(mini_db: Database) -> None:
    iid = start_mini(mini_db, "Ortenaukreis 2017-2018")
    start_mini(mini_db, "Rastatt 2019")
    rows = ready_rows(mini_db, iid, "answer")
    kehl = next(r for r in rows if gemeinde_user(mini_db, r.assignee_gemeinde or "") == "kehl")
    assert [h.kind for h in search.search(mini_db, "sachbearbeitung", "ortenau 2017").hits] == ["round"]
    assert search.search(mini_db, "sachbearbeitung", "kehl").hits == []  # not in their inbox
    found = search.search(mini_db, "kehl", "rückmeldung kehl ortenau")
    assert [(h.kind, h.task_id) for h in found.hits] == [("task", kehl.id)]
    assert search.search(mini_db, "offenburg", "kehl").hits == []  # another Gemeinde's task
    assert {h.kind for h in search.search(mini_db, "kehl", "rastatt").hits} == {"round", "task"}  # it has a part
    assert search.search(mini_db, "kehl", "x").message == "Bitte mindestens zwei Buchstaben oder Ziffern eingeben."
    engine.complete_task(mini_db, kehl.id, {"entscheidung": "uebertragen", "anzahl": 3, "kontakt": "x"}, "kehl")
    assert search.search(mini_db, "kehl", "kehl ortenau").hits == []  # done: no longer an inbox entry
    comments.add_comment(mini_db, "sachbearbeitung", "Rückruf bei Frau Özdemir", instance_id=iid)
    assert [h.kind for h in search.search(mini_db, "dezernat", "oezdemir").hits] == ["comment"]
    assert [h.kind for h in search.search(mini_db, "dezernat", "Özd").hits] == ["comment"]
    assert search.search(mini_db, "kehl", "oezdemir").hits == []
    answer_all(mini_db, iid)
    (draft,) = ready_rows(mini_db, iid, "draft")
    engine.complete_task(mini_db, draft.id, {"text": "Entwurf"}, "sachbearbeitung")
    (release,) = ready_rows(mini_db, iid, "release")
    engine.complete_task(mini_db, release.id, {"freigabe": "ja"}, "dezernat")
    engine.deliver_message(mini_db, iid, "decision", {"aktenzeichen": "RPS-15.2-4711", "betrag": 1000.0},
                           "sachbearbeitung")
    hits = search.search(mini_db, "dezernat", "rps 4711").hits
    assert [(h.kind, h.text, h.business_key) for h in hits] == [("aktenzeichen", "RPS-15.2-4711",
                                                                 "Ortenaukreis 2017-2018")]
    assert search.search(mini_db, "kehl", "4711").hits == []


def test_fold() -> None:
    assert search.fold("Kappel-Grafenhausen, Straße 1 — Müller/Øre") == [
        "kappel", "grafenhausen", "strasse", "1", "mueller", "re"]


def test_a_committee_vote_is_not_passed_on_by_a_vertretung(mini_db: Database) -> None:
    today = authz.today()
    deputies.name_deputy(mini_db, "ausschuss1", "ausschuss2", today, today)
    with mini_db.read() as session:
        (principal,) = authz.load_actor(session, "ausschuss2").principals
    assert principal.username == "ausschuss1" and principal.roles == frozenset()
