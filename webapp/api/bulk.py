"""`POST /api/v1/tasks/bulk-complete`: several open tasks of the same kind completed with one request.

Each task is its own `engine.complete_task` call (transaction, audit event, every check of who may act);
the answer lists one result per task, with a German `detail` for each refusal. Only forms marked
`"x-bulk": true` take part (see `workflows.bulk`).
"""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from webapp.api import bp
from webapp.api.openapi import BULK_REQUEST
from webapp.api.views import _db, _user, _validated_body
from workflows import bulk


@bp.post("/tasks/bulk-complete")
def bulk_complete() -> ResponseReturnValue:
    """Complete each listed task with `data`; 200 with one result per task (`completed` or `refused`)."""
    body = _validated_body(BULK_REQUEST)
    outcomes = bulk.complete_many(_db(), body["task_ids"], body["data"], _user())
    return jsonify({
        "completed": sum(o.completed for o in outcomes),
        "refused": sum(not o.completed for o in outcomes),
        "results": [{"task_id": o.task_id, "status": "completed" if o.completed else "refused",
                     "detail": o.message, "instance_id": o.instance_id} for o in outcomes],
    })
