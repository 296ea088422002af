"""What a round's or a task's page shows of working together, read in one session: who works on the task
(Übernehmen, Vertretung), the comments the actor may read, and whether and for whom they may comment."""

from __future__ import annotations

from dataclasses import dataclass

from workflows.collab.claims import ClaimInfo, read_claim
from workflows.collab.comments import CommentInfo, CommentPolicy, read_comments, read_policy
from workflows.identity import authz
from workflows.storage.db import Database


@dataclass
class Panel:
    claim: ClaimInfo | None
    comments: list[CommentInfo]
    policy: CommentPolicy


def page_panel(db: Database, actor_name: str, *, instance_id: int | None = None,
               task_id: int | None = None) -> Panel:
    """For a task page (`task_id`, with its claim when it is open) or a round's page (`instance_id`)."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        claim = read_claim(session, actor, task_id) if task_id is not None else None
        return Panel(claim, read_comments(session, actor, instance_id=instance_id, task_id=task_id),
                     read_policy(session, actor, instance_id=instance_id, task_id=task_id))
