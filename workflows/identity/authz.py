"""Who may do what. Checked in the engine, so every caller (web, API, CLI) gets the same answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from workflows.engine import children
from workflows.engine.access import Actor as ActorLike
from workflows.errors import Forbidden, NotFound
from workflows.identity import data_classes
from workflows.identity.data_classes import DataClass
from workflows.storage.models import Document, Event, Gemeinde, ProcessInstance, Role, TaskRow, User

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


def may_see_task(actor: Actor, row: TaskRow) -> bool:
    """The same rule as `visible_tasks_clause`, for one row already loaded."""
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
    """A Gemeinde user sees only its own part of a round (its tasks, its letters, its events)."""
    return actor.roles <= {"Gemeinde"}


# --------------------------------------------------------------------------- rounds

def visible_instances_clause(actor: Actor) -> Any:
    """SQL condition: the rounds this actor may see. Staff: all. A Gemeinde: the instances that ever
    gave it a task (its own child instances) and the rounds those belong to.

    A semi-join on the Gemeinde's own task rows (`ix_task_gemeinde_instance`, a few thousand at most),
    evaluated once, so that the round list walks its sort index and its count stays cheap.
    """
    if not is_gemeinde_only(actor):
        return True
    mine = select(TaskRow.instance_id).where(TaskRow.assignee_gemeinde == actor.gemeinde_ags)
    rounds = select(ProcessInstance.root_id).where(ProcessInstance.id.in_(mine),
                                                   ProcessInstance.root_id.is_not(None))
    return ProcessInstance.id.in_(mine.union(rounds))


def visible_instance(session: Session, instance_id: int, actor: Actor) -> ProcessInstance:
    """The round if the actor may see it (`visible_instances_clause`), else `NotFound`: one indexed query."""
    inst = session.scalars(select(ProcessInstance).where(
        ProcessInstance.id == instance_id, visible_instances_clause(actor))).first()
    if inst is None:
        raise NotFound(f"Vorgang {instance_id} nicht gefunden.")
    return inst


def may_see_whole_round(actor: Actor) -> bool:
    """The round's data, all of its tasks and its current steps; a Gemeinde sees only its own part."""
    return not is_gemeinde_only(actor)


def may_see_task_of_round(actor: Actor, row: TaskRow) -> bool:
    """Which of a round's tasks are listed on its page (a Gemeinde: its own)."""
    return may_see_whole_round(actor) or row.assignee_gemeinde == actor.gemeinde_ags


def may_start(actor: Actor, start_lane: str | None) -> bool:
    return has_role(actor, start_lane)


def may_cancel(actor: Actor, start_lane: str | None, status: str) -> bool:
    """Whoever may start the process may cancel a running round of it (a Gemeinde never)."""
    return status == "running" and may_see_whole_round(actor) and has_role(actor, start_lane)


def may_record_message(actor: Actor, lane: str | None) -> bool:
    """A message the round waits for is recorded by its lane's role (a Gemeinde never)."""
    return may_see_whole_round(actor) and has_role(actor, lane)


# --------------------------------------------------------------------------- documents and history

def may_see_document(actor: Actor, gemeinde_ags: str | None, cls: DataClass | None = None) -> bool:
    """A Gemeinde sees only what is addressed to it; staff see every document except those of a data
    class they may not see (`cls`, the class of the document's kind)."""
    if not is_gemeinde_only(actor):
        return cls is None or may_see_data_class(actor, cls)
    return gemeinde_ags is not None and gemeinde_ags == actor.gemeinde_ags


def documents_clause(actor: Actor, classes: dict[str, DataClass]) -> list[Any]:
    """SQL filters: the same rule as `may_see_document`, for the documents list across rounds
    (`classes`: document kind -> its data class)."""
    if is_gemeinde_only(actor):
        return [Document.gemeinde_ags == (actor.gemeinde_ags or "")]
    hidden = sorted(kind for kind, cls in classes.items() if not may_see_data_class(actor, cls))
    return [Document.kind.not_in(hidden)] if hidden else []


def event_clause(instance_id: int, actor: Actor) -> list[Any]:
    """An instance's events; a Gemeinde sees only those of its own tasks (never another's answers)."""
    family = children.family_ids(instance_id)  # a round's events include those of its child instances
    filters: list[Any] = [Event.instance_id.in_(family)]
    if is_gemeinde_only(actor):
        filters.append(Event.task_id.in_(select(TaskRow.id).where(
            TaskRow.instance_id.in_(family), TaskRow.assignee_gemeinde == actor.gemeinde_ags)))
    return filters


# --------------------------------------------------------------------------- data classes and votes

def may_see_data_class(actor: ActorLike, cls: DataClass, *, own_gemeinde: bool = False) -> bool:
    """The roles written down for each class in `data_classes` (an administrator is not among them);
    `own_gemeinde`: in a Gemeinde's own task its users see the contact data it gave itself."""
    if own_gemeinde and cls is data_classes.GEMEINDE_KONTAKT:
        return True
    return data_classes.may_see(actor, cls)


def is_own_submission(actor: Actor, row: TaskRow) -> bool:
    """What a person submitted (or is to submit) in a task assigned to them is theirs to see again."""
    return actor.username in (row.assignee_user, row.completed_by)


def is_own_gemeinde_task(actor: Actor, row: TaskRow) -> bool:
    """A task assigned to the actor's own Gemeinde (what it submitted there is its own data)."""
    return row.assignee_gemeinde is not None and row.assignee_gemeinde == actor.gemeinde_ags


def may_see_votes_by_name(actor: Actor) -> bool:
    """Individual votes (who voted how) only to the chair and the minute-taker."""
    return may_see_data_class(actor, data_classes.EINZELSTIMMEN)


def may_see_tally(actor: Actor, *, closed: bool) -> bool:
    """The counts: to the chair while the vote runs; once the result is determined, to all who see the round."""
    return may_see_votes_by_name(actor) or (closed and may_see_whole_round(actor))


def audience(session: Session, *, role: str | None = None, gemeinde_ags: str | None = None,
             username: str | None = None) -> list[User]:
    """The active users a task or message is for: the same rule as `may_see_task`.

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
