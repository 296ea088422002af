"""What a round is busy with in the background: the steps waiting for a document (or another
asynchronous service), read from the instance's summary column, no state loaded."""

from __future__ import annotations

from workflows.identity import authz
from workflows.storage.db import Database


def in_progress(db: Database, instance_id: int, actor_name: str) -> list[str]:
    """Names of the steps whose work runs in the background; empty for those who see no steps."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        inst = authz.visible_instance(session, instance_id, actor)
        if authz.is_gemeinde_only(actor):
            return []
        return list((inst.summary or {}).get("in_progress", []))
