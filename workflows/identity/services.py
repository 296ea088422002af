"""Service tasks that read the people behind a role (e.g. the Verwaltungsausschuss for a vote)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from workflows.engine.services import StepContext, service
from workflows.storage.models import Role, User


@service("load_members")
def load_members(ctx: StepContext, params: Mapping[str, Any], _data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Active users holding a role, e.g. the Verwaltungsausschuss for the vote."""
    users = ctx.session.scalars(
        select(User).join(User.roles).where(Role.key == params.get("role"), User.active.is_(True))
        .order_by(User.username)
    )
    return [{"username": u.username, "name": u.display_name} for u in users]
