"""Who may do what. Checked in the engine, so every caller (web, API, CLI) gets the same answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from workflows.engine.access import Actor as ActorLike
from workflows.errors import Forbidden, NotFound
from workflows.storage.models import Event, Gemeinde, ProcessInstance, Role, TaskRow, User

ADMIN_ROLE = "Administration"


@dataclass(frozen=True)
class Actor:
    """A user as the engine sees them: roles and Gemeinde, loaded once per unit of work."""

    username: str
    display_name: str
    roles: frozenset[str]
    gemeinde_ags: str | None

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles


def load_actor(session: Session, username: str) -> Actor:
    user = session.scalars(
        select(User).where(User.username == username)
        .options(selectinload(User.roles), selectinload(User.gemeinde))
    ).first()
    if user is None or not user.active:
        raise Forbidden(f"Unbekannter oder gesperrter Benutzer '{username}'.")
    return Actor(user.username, user.display_name, user.role_keys, user.gemeinde.ags if user.gemeinde else None)


def visible_tasks_clause(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the task rows this actor may see (lane role, own Gemeinde, own assignment)."""
    return and_(
        TaskRow.lane.in_(sorted(actor.roles)),
        or_(TaskRow.assignee_gemeinde.is_(None), TaskRow.assignee_gemeinde == (actor.gemeinde_ags or "")),
        or_(TaskRow.assignee_user.is_(None), TaskRow.assignee_user == actor.username),
    )


def can_see_task(actor: Actor, row: TaskRow) -> bool:
    return (
        row.lane in actor.roles
        and (row.assignee_gemeinde is None or row.assignee_gemeinde == actor.gemeinde_ags)
        and (row.assignee_user is None or row.assignee_user == actor.username)
    )


def check_may_complete(session: Session, actor: ActorLike, row: TaskRow) -> None:
    """Raise `Forbidden` with the reason unless the actor may complete this task."""
    if row.lane not in actor.roles:
        raise Forbidden(f"Diese Aufgabe gehört zur Rolle '{row.lane}', die Sie nicht haben.")
    if row.assignee_gemeinde is not None and row.assignee_gemeinde != actor.gemeinde_ags:
        raise Forbidden("Diese Aufgabe gehört zu einer anderen Gemeinde.")
    if row.assignee_user is not None and row.assignee_user != actor.username:
        raise Forbidden("Diese Aufgabe ist einer anderen Person zugewiesen.")
    if row.four_eyes_of:
        preparer = session.scalars(
            select(TaskRow.completed_by).where(
                TaskRow.instance_id == row.instance_id, TaskRow.element_id == row.four_eyes_of,
                TaskRow.status == "completed",
            ).order_by(TaskRow.completed_at.desc(), TaskRow.id.desc()).limit(1)
        ).first()
        if preparer == actor.username:
            raise Forbidden("Vier-Augen-Prinzip: Sie haben den vorherigen Schritt selbst bearbeitet; "
                            "diese Freigabe muss eine andere Person erteilen.")


def has_role(actor: ActorLike, role: str | None) -> bool:
    """An administrator may do everything; `None` (no lane) asks for no particular role."""
    return actor.is_admin or role is None or role in actor.roles


def check_may_administer(actor: ActorLike, what: str) -> None:
    if not actor.is_admin:
        raise Forbidden(f"{what} ist der Rolle '{ADMIN_ROLE}' vorbehalten.")


def check_has_role(actor: ActorLike, role: str | None, what: str) -> None:
    if has_role(actor, role):
        return
    raise Forbidden(f"{what} ist der Rolle '{role}' vorbehalten.")


def is_gemeinde_only(actor: Actor) -> bool:
    return actor.roles <= {"Gemeinde"}


def may_see_document(actor: Actor, gemeinde_ags: str | None) -> bool:
    """Staff see every document; a Gemeinde sees only what is addressed to it."""
    if not is_gemeinde_only(actor):
        return True
    return gemeinde_ags is not None and gemeinde_ags == actor.gemeinde_ags


def event_clause(instance_id: int, actor: Actor) -> list[Any]:
    """An instance's events; a Gemeinde sees only those of its own tasks (never another's answers)."""
    filters: list[Any] = [Event.instance_id == instance_id]
    if is_gemeinde_only(actor):
        filters.append(Event.task_id.in_(select(TaskRow.id).where(
            TaskRow.instance_id == instance_id, TaskRow.assignee_gemeinde == actor.gemeinde_ags)))
    return filters


def visible_instances_clause(actor: Actor) -> Any:
    if not is_gemeinde_only(actor):
        return True
    return ProcessInstance.id.in_(select(TaskRow.instance_id).where(TaskRow.assignee_gemeinde == actor.gemeinde_ags))


def visible_instance(session: Session, instance_id: int, actor: Actor) -> ProcessInstance:
    inst = session.scalars(select(ProcessInstance).where(
        ProcessInstance.id == instance_id, visible_instances_clause(actor))).first()
    if inst is None:
        raise NotFound(f"Vorgang {instance_id} nicht gefunden.")
    return inst


def audience(session: Session, *, role: str | None = None, gemeinde_ags: str | None = None,
             username: str | None = None) -> list[User]:
    """The active users a task or message is for: the same rule as `can_see_task`.

    A Gemeinde's task or message reaches that Gemeinde's users only; a role's, its holders'.
    """
    query = select(User).where(User.active.is_(True))
    if role is not None:
        query = query.where(User.roles.any(Role.key == role))
    if gemeinde_ags is not None:
        query = query.where(User.gemeinde.has(Gemeinde.ags == gemeinde_ags))
    if username is not None:
        query = query.where(User.username == username)
    if role is None and gemeinde_ags is None and username is None:
        return []
    return list(session.scalars(query.order_by(User.username)))


def task_audience(session: Session, row: TaskRow) -> list[User]:
    return audience(session, role=row.lane, gemeinde_ags=row.assignee_gemeinde, username=row.assignee_user)
