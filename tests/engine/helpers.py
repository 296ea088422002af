"""Small drivers for the mini test process, shared by the engine tests."""

from __future__ import annotations

from sqlalchemy import select

from workflows import engine, inbox
from workflows.storage.db import Database
from workflows.storage.models import Gemeinde, TaskRow

START_DATA = {"landkreis": "ortenaukreis", "frist": "2030-01-31"}


def start_mini(db: Database, business_key: str = "Testrunde") -> int:
    return engine.start_instance(db, "mini_round", business_key, "sachbearbeitung", START_DATA).instance_id


def ready_rows(db: Database, instance_id: int, element_id: str | None = None) -> list[TaskRow]:
    with db.read() as session:
        query = select(TaskRow).where(TaskRow.instance_id == instance_id, TaskRow.status == "ready")
        if element_id:
            query = query.where(TaskRow.element_id == element_id)
        return list(session.scalars(query.order_by(TaskRow.id)))


def gemeinde_user(db: Database, ags: str) -> str:
    from workflows.foerderung.demo import username_for

    with db.read() as session:
        name = session.scalars(select(Gemeinde.name).where(Gemeinde.ags == ags)).one()
    return username_for(name)


def answer_all(db: Database, instance_id: int, anzahl: int = 10) -> None:
    for row in ready_rows(db, instance_id, "answer"):
        assert row.assignee_gemeinde
        engine.complete_task(db, row.id, {"entscheidung": "uebertragen", "anzahl": anzahl},
                             gemeinde_user(db, row.assignee_gemeinde))


def run_to_end(db: Database, instance_id: int) -> None:
    answer_all(db, instance_id)
    (draft,) = ready_rows(db, instance_id, "draft")
    engine.complete_task(db, draft.id, {"text": "Entwurf"}, "sachbearbeitung")
    (release,) = ready_rows(db, instance_id, "release")
    engine.complete_task(db, release.id, {"freigabe": "ja"}, "dezernat")
    engine.deliver_message(db, instance_id, "decision", {"aktenzeichen": "RPS-15.2-1", "betrag": 1000.0},
                           "sachbearbeitung")


def inbox_titles(db: Database, user: str) -> list[str]:
    return [t.title for t in inbox.list_tasks(db, user, per_page=200).items]
