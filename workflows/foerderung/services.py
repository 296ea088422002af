"""The programme's service tasks: the Landkreis and its Gemeinden from the master data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workflows.engine.services import StepContext, service
from workflows.errors import FieldError, ValidationFailed
from workflows.storage.models import Gemeinde, Landkreis


def _unknown_landkreis(key: Any) -> ValidationFailed:
    return ValidationFailed([FieldError("/landkreis", f"Den Landkreis '{str(key)[:80]}' gibt es nicht. Bitte einen "
                                                      "angelegten Landkreis wählen (grantflow landkreis import).")])


@service("load_gemeinden")
def load_gemeinden(ctx: StepContext, params: Mapping[str, Any], _data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Gemeinden of a Landkreis, by name, with their regional team: the collection of the Abfrage."""
    key = params.get("landkreis")
    kreis = ctx.session.scalars(select(Landkreis).where(Landkreis.key == key)).first()
    if kreis is None:
        raise _unknown_landkreis(key)
    gemeinden = [
        {"ags": g.ags, "name": g.name, "typ": g.typ, "einwohner": g.einwohner,
         "team": g.regionalteam.key if g.regionalteam else None,
         "team_name": g.regionalteam.name if g.regionalteam else None}
        for g in ctx.session.scalars(select(Gemeinde).where(Gemeinde.landkreis_id == kreis.id)
                                     .options(selectinload(Gemeinde.regionalteam)).order_by(Gemeinde.name))
    ]
    if not gemeinden:
        raise ValidationFailed([FieldError("/landkreis", f"Der Landkreis '{kreis.name}' hat keine Gemeinden: "
                                                         "es gäbe niemanden zu befragen.")])
    return gemeinden


@service("load_landkreis")
def load_landkreis(ctx: StepContext, params: Mapping[str, Any], _data: Mapping[str, Any]) -> dict[str, Any]:
    kreis = ctx.session.scalars(select(Landkreis).where(Landkreis.key == params.get("landkreis"))).first()
    if kreis is None:
        raise _unknown_landkreis(params.get("landkreis"))
    return kreis.as_document_data()
