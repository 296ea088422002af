"""A round's parts: the child instances of an instance (each Gemeinde's Abfrage, each posting),
and the link from a part back to its round. Plain indexed queries; no state is loaded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.identity import authz
from workflows.inbox.votes import vote_fields
from workflows.storage.models import ProcessInstance, TaskRow, User

STATUS_LABELS = {"running": "läuft", "completed": "abgeschlossen", "cancelled": "abgebrochen"}


@dataclass
class ChildSummary:
    id: int
    business_key: str
    status: str
    open_tasks: list[str]
    due_at: datetime | None
    acted: list[str]  # display names of those who completed its tasks
    updated_at: datetime

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass
class Family:
    """Where an instance sits: its parent and round (for a part) and its visible children."""

    parent: tuple[int, str] | None
    root: tuple[int, str] | None
    children: list[ChildSummary] = field(default_factory=list)


def family_of(session: Session, inst: ProcessInstance, actor: authz.Actor) -> Family:
    """The instance's parent and round, and its direct children the actor may see, in call order, with
    status, due date and who acted (read in the session of the round's page)."""
    links = {}
    for key, ref in (("parent", inst.parent_id), ("root", inst.root_id)):
        if ref is not None:
            row = session.execute(select(ProcessInstance.id, ProcessInstance.business_key).where(
                ProcessInstance.id == ref, authz.visible_instances_clause(actor))).first()
            links[key] = (row[0], row[1]) if row else None
    kids = session.scalars(select(ProcessInstance).where(
        ProcessInstance.parent_id == inst.id, authz.visible_instances_clause(actor))
        .order_by(ProcessInstance.id)).all()
    ids = [k.id for k in kids]
    open_rows = session.execute(
        select(TaskRow.instance_id, TaskRow.title, TaskRow.due_at)
        .where(TaskRow.instance_id.in_(ids), TaskRow.status == "ready").order_by(TaskRow.id)).all()
    secret = set() if authz.may_see_votes_by_name(actor) else set(vote_fields(inst.definition))
    acted = session.execute(  # who cast a vote is shown only to those who see the votes by name
        select(TaskRow.instance_id, func.coalesce(User.display_name, TaskRow.completed_by))
        .outerjoin(User, User.username == TaskRow.completed_by)
        .where(TaskRow.instance_id.in_(ids), TaskRow.status == "completed",
               TaskRow.form_key.is_(None) | TaskRow.form_key.not_in(sorted(secret)))
        .order_by(TaskRow.completed_at)).all()
    children = []
    for kid in kids:
        mine = [r for r in open_rows if r[0] == kid.id]
        dues = [r[2] for r in mine if r[2] is not None]
        names = list(dict.fromkeys(name for iid, name in acted if iid == kid.id))
        children.append(ChildSummary(kid.id, kid.business_key, kid.status, [r[1] for r in mine],
                                     min(dues) if dues else None, names, kid.updated_at))
    return Family(links.get("parent"), links.get("root"), children)
