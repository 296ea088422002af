"""Built-in services: master data lookups and notifications. Documents live in `documents.py`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workflows import audit
from workflows.models import Gemeinde, Landkreis, Notification, Role, User
from workflows.services import StepContext, service


@service("load_gemeinden")
def load_gemeinden(ctx: StepContext, params: Mapping[str, Any], _data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Gemeinden of a Landkreis, by name, with their regional team: the collection of the Abfrage."""
    key = params.get("landkreis")
    kreis = ctx.session.scalars(select(Landkreis).where(Landkreis.key == key)).first()
    if kreis is None:
        raise LookupError(f"Unbekannter Landkreis '{key}'")
    return [
        {"ags": g.ags, "name": g.name, "typ": g.typ, "einwohner": g.einwohner,
         "team": g.regionalteam.key if g.regionalteam else None,
         "team_name": g.regionalteam.name if g.regionalteam else None}
        for g in ctx.session.scalars(select(Gemeinde).where(Gemeinde.landkreis_id == kreis.id)
                                     .options(selectinload(Gemeinde.regionalteam)).order_by(Gemeinde.name))
    ]


@service("load_landkreis")
def load_landkreis(ctx: StepContext, params: Mapping[str, Any], _data: Mapping[str, Any]) -> dict[str, Any]:
    kreis = ctx.session.scalars(select(Landkreis).where(Landkreis.key == params.get("landkreis"))).first()
    if kreis is None:
        raise LookupError(f"Unbekannter Landkreis '{params.get('landkreis')}'")
    return kreis.as_document_data()


@service("load_members")
def load_members(ctx: StepContext, params: Mapping[str, Any], _data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Active users holding a role, e.g. the Verwaltungsausschuss for the vote."""
    users = ctx.session.scalars(
        select(User).join(User.roles).where(Role.key == params.get("role"), User.active.is_(True))
        .order_by(User.username)
    )
    return [{"username": u.username, "name": u.display_name} for u in users]


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
