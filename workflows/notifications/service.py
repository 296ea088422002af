"""The `notify` service task: a notification row and its mails, written in the step's own transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows import audit, mail
from workflows.engine.services import StepContext, service
from workflows.identity import authz
from workflows.mail import compose
from workflows.storage.models import Notification


@service("notify")
def notify(ctx: StepContext, params: Mapping[str, Any], _data: Mapping[str, Any]) -> dict[str, Any]:
    """Queue a notification (shown in the web app) and one mail per recipient.

    `kategorie="frist"` marks a reminder before a deadline: mailed even to those who switched mails off.
    """
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
    recipients = authz.audience(ctx.session, role=note.recipient_role if not note.recipient_gemeinde else None,
                                gemeinde_ags=note.recipient_gemeinde, username=note.recipient_user)
    category = "frist" if params.get("kategorie") == "frist" else "ergebnis"
    mail.queue_mail(ctx.session, f"notify:{note.id}", recipients,
                    compose.process_message(ctx.session, ctx.instance, note.subject, note.text,
                                            note.recipient_gemeinde), category, ctx.instance.id)
    return {"notification_id": note.id}
