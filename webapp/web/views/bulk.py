"""Sammelbearbeitung: one form for several open tasks of the same kind, each completed on its own."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from webapp.web import formdata
from webapp.web.helpers import actor, database, login_required
from workflows import bulk, inbox
from workflows.engine import forms

bp = Blueprint("bulk", __name__)


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit() and 0 < int(v) < 2**31][:bulk.MAX_TASKS]


def _render(form: inbox.BulkForm, raw: formdata.Raw, errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    fields = formdata.build_fields(form.schema, raw, errors)
    return render_template("bulk.html", form=form, fields=fields, schema=form.schema,
                           errors=[(k, v) for k, v in errors.items()], outcomes=None), status


@bp.get("/tasks/bulk")
@login_required
def start() -> tuple[str, int]:
    """The shared form for the tasks chosen in the inbox (`?ids=1&ids=2`)."""
    form = inbox.bulk_form(database(), _ids(request.args.getlist("ids")), actor().username)
    return _render(form, formdata.to_raw(form.schema, {}), {})


@bp.post("/tasks/bulk")
@login_required
def submit() -> Any:
    """Check the shared values once, then complete each chosen task by its own engine call."""
    db, user = database(), actor().username
    form = inbox.bulk_form(db, _ids(request.form.getlist("ids")), user, only_open=False)
    raw = formdata.raw_from_multidict(request.form)
    raw.pop("ids", None)
    data, errors = formdata.parse(form.schema, raw)
    errors = {**formdata.errors_by_path(forms.validation_errors(form.schema, data)), **errors}
    if errors:
        return _render(form, formdata.compact(form.schema, raw), errors, 422)
    outcomes = bulk.complete_many(db, [task_id for task_id, _ in form.tasks], data, user)
    if outcomes and not any(o.completed for o in outcomes) and all(o.errors for o in outcomes):
        # the task's own rules refused the shared values for every task: fix them in the form, nothing was done
        return _render(form, formdata.compact(form.schema, raw), formdata.errors_by_path(outcomes[0].errors), 422)
    return render_template("bulk.html", form=form, fields=[], schema=form.schema, errors=[], outcomes=outcomes)
