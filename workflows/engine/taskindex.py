"""Keep the `task` table in step with the engine, incrementally.

After a step only this instance's ready rows are compared with the workflow's ready human
tasks: new ones are inserted, vanished ones marked cancelled, the rest untouched. Nothing is
re-authorized or rewritten for tasks that did not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.engine import context, forms, scripting
from workflows.errors import ProcessStepFailed
from workflows.formatting import TIMEZONE as LOCAL_TZ
from workflows.storage.models import TaskRow, utcnow


def properties(task: Task) -> dict[str, str]:
    extensions = getattr(task.task_spec, "extensions", None) or {}
    return dict(extensions.get("properties", {}))


def is_on(value: object) -> bool:
    """A yes/no property of a BPMN element (`true`, `ja`, `1`)."""
    return str(value or "").strip().lower() in {"true", "ja", "1"}


def task_schema(task: Task, form: dict[str, Any]) -> dict[str, Any]:
    """The form as this task asks it, the one schema that is served and validated with: the form's
    schema plus what the task's `formSchema` expression computes from the task data (e.g. the names
    of the interviewed applicants as an `enum`, a minimum from the round's figures)."""
    source = properties(task).get("formSchema")
    schema = form
    if source:
        try:
            extra = scripting.evaluate(source, task.data)
        except Exception as exc:  # a broken rule must not let data through
            raise ProcessStepFailed(f"Das Formular der Aufgabe konnte nicht vorbereitet werden: {exc}") from exc
        if not isinstance(extra, dict):
            raise ProcessStepFailed("Das Formular der Aufgabe konnte nicht vorbereitet werden: 'formSchema' muss "
                                    "ein JSON-Objekt ergeben.")
        schema = forms.extend_schema(form, extra)
    return schema


def prefill_values(task: Task, schema: dict[str, Any]) -> dict[str, Any]:
    """Initial form values: the `prefill` expression (deploy checks it reads only the declared context),
    else the task's `resultVariable`, else the context's values named like the form's fields."""
    props = properties(task)
    if props.get("prefill"):
        try:
            value = scripting.evaluate(props["prefill"], task.data)
            return dict(value) if isinstance(value, dict) else {}
        except Exception:  # a prefill is a convenience; the form still works without it
            return {}
    # the task's own earlier submission, else the declared context's values named like the form's fields
    source = task.data.get(props["resultVariable"], {}) if props.get("resultVariable") else context.task_context(task)
    fields = schema.get("properties", {})
    return {k: v for k, v in (source or {}).items() if k in fields} if isinstance(source, dict) else {}


def with_read_only_values(task: Task, schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The submission with every `readOnly` value replaced by the server's (the prefill)."""
    return forms.restore_read_only(schema, dict(data), prefill_values(task, schema))


def lane_of(task: Task) -> str | None:
    """The task's lane, or that of the call activity that started its subprocess."""
    lane = getattr(task.task_spec, "lane", None)
    workflow = task.workflow
    while lane is None and workflow.parent_task_id is not None:
        parent = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        lane = getattr(parent.task_spec, "lane", None)
        workflow = parent.workflow
    return lane


def _to_due(value: Any) -> datetime | None:
    """An ISO date means the end of that day in Germany; a datetime is taken as given."""
    if not value:
        return None
    text = str(value)
    parsed = datetime.fromisoformat(text)
    if len(text) == 10:
        parsed = datetime.combine(parsed.date(), time(23, 59, 59), LOCAL_TZ)
    elif parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LOCAL_TZ)
    return parsed.astimezone(UTC)


@dataclass
class HumanTask:
    spiff_task_id: str
    element_id: str
    element_name: str
    title: str
    lane: str | None
    form_key: str | None
    assignee_gemeinde: str | None
    assignee_user: str | None
    four_eyes_of: str | None
    due_at: datetime | None


def describe(task: Task) -> HumanTask:
    props = properties(task)
    data = task.data

    name = task.task_spec.bpmn_name or task.task_spec.bpmn_id

    def expr(prop: str) -> Any:
        """A property's value; one that fails refuses the step (who may act must never be guessed)."""
        source = props.get(prop)
        try:
            return scripting.evaluate(source, data) if source else None
        except ProcessStepFailed:
            raise
        except Exception as exc:
            raise ProcessStepFailed(f"Die Eigenschaft '{prop}' der Aufgabe '{name}' ließ sich nicht berechnen "
                                    f"({str(exc)[:200]}). Es wurde nichts gespeichert.") from exc

    def title() -> str:
        try:  # a title is presentation: the element's name serves when the expression fails
            return str(expr("title") or name)[:300]
        except ProcessStepFailed:
            return name[:300]

    gemeinde = expr("assigneeGemeinde")
    user = expr("assigneeUser")
    due = expr("dueDate")
    try:
        due_at = _to_due(due)
    except (TypeError, ValueError) as exc:
        raise ProcessStepFailed(f"Die Frist der Aufgabe '{name}' ist kein Datum ({str(due)[:40]}). "
                                "Es wurde nichts gespeichert.") from exc
    return HumanTask(
        spiff_task_id=str(task.id), element_id=task.task_spec.bpmn_id, element_name=name,
        title=title(), lane=lane_of(task), form_key=props.get("formKey"),
        assignee_gemeinde=str(gemeinde) if gemeinde else None, assignee_user=str(user) if user else None,
        four_eyes_of=props.get("fourEyes") or None, due_at=due_at,
    )


def ready_human_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


@dataclass
class IndexChange:
    created: list[TaskRow]
    cancelled: list[TaskRow]
    ready: list[TaskRow]  # every row still open after the step (the new ones among them)


def sync(session: Session, instance_id: int, workflow: BpmnWorkflow) -> IndexChange:
    """Insert rows for newly ready tasks, cancel rows whose task is no longer ready."""
    open_rows = {
        row.spiff_task_id: row
        for row in session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id,
                                                         TaskRow.status == "ready"))
    }
    ready = {str(t.id): t for t in ready_human_tasks(workflow)}
    created = []
    for spiff_id, task in ready.items():
        if spiff_id in open_rows:
            continue
        info = describe(task)
        row = TaskRow(instance_id=instance_id, **info.__dict__, status="ready")
        session.add(row)
        created.append(row)
    cancelled = []
    for spiff_id, row in open_rows.items():
        if spiff_id not in ready:
            row.status = "cancelled"
            row.completed_at = utcnow()
            cancelled.append(row)
    session.flush()
    still_open = [row for spiff_id, row in open_rows.items() if spiff_id in ready]
    return IndexChange(created, cancelled, still_open + created)


def refresh(session: Session, instance_id: int, workflow: BpmnWorkflow) -> None:
    """Re-describe the open rows whose task is still ready (after a round moved to a new version)."""
    ready = {str(t.id): t for t in ready_human_tasks(workflow)}
    for row in session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id, TaskRow.status == "ready")):
        task = ready.get(row.spiff_task_id)
        if task is not None:
            for key, value in describe(task).__dict__.items():
                setattr(row, key, value)
    session.flush()
