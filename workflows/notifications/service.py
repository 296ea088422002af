"""The `notify` service task: a notification row written in the step's own transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows import audit
from workflows.engine.services import StepContext, service
from workflows.storage.models import Notification


@service("notify")
def notify(ctx: StepContext, params: Mapping[str, Any], _data: Mapping[str, Any]) -> dict[str, Any]:
    """Queue a notification in the step's transaction (shown in the web app, sent by a mailer later)."""
    note = Notification(
        instance_id=ctx.instance.id, recipient_role=params.get("role"),
        recipient_gemeinde=params.get("gemeinde"), recipient_user=params.get("user"),
        subject=str(params.get("subject", "")), text=str(params.get("text", "")),
    )
    ctx.session.add(note)
    ctx.session.flush()
    audit.record(ctx.session, "notification_queued", ctx.actor, ctx.instance.id,
                 {"notification_id": note.id, "subject": note.subject, "role": note.recipient_role,
                  "gemeinde": note.recipient_gemeinde, "user": note.recipient_user})
    return {"notification_id": note.id}
