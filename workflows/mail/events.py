"""From what a step did to mails: tasks ready (for me, my Gemeinde, my role), deadlines passed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from workflows.engine.taskindex import IndexChange
from workflows.identity import authz
from workflows.mail import compose
from workflows.mail.queue import queue_mail
from workflows.storage.models import ProcessInstance

SIGN_ELEMENTS: set[str] = set()


def configure(sign_elements: set[str]) -> None:
    """The programme names its tasks that release or sign a document (`unterschrift` mails)."""
    SIGN_ELEMENTS.update(sign_elements)


def on_step_saved(session: Session, instance: ProcessInstance, change: IndexChange, actor: str | None) -> None:
    """Engine observer: runs in the step's transaction."""
    for row in change.created:
        to_sign = row.element_id in SIGN_ELEMENTS
        mail = compose.task_assigned(session, instance, row, to_sign)
        category = "unterschrift" if to_sign else "aufgabe"
        people = authz.task_audience(session, row)
        queue_mail(session, f"task:{row.id}", people, mail, category, instance.id)
        for deputy, principals in authz.task_deputies(session, row, people):  # an active Vertretung: them too
            queue_mail(session, f"task:{row.id}", [deputy], compose.task_assigned(session, instance, row, to_sign,
                                                                                principals), category, instance.id)
    if actor is not None:
        return
    for row in change.cancelled:  # cancelled in a timer-driven step: its deadline passed
        mail = compose.deadline_passed(session, instance, row, row.due_at)
        queue_mail(session, f"deadline:{row.id}", authz.task_audience(session, row), mail, "frist", instance.id)
