"""Read models: one module per question the web pages and the API ask; no writes here."""

from workflows.inbox.bulk import BulkForm, bulk_form
from workflows.inbox.children import ChildSummary, Family
from workflows.inbox.documents import DocumentFile, get_document, list_all_documents, list_documents
from workflows.inbox.history import HistoryPage, history_page, list_events
from workflows.inbox.instances import (
    InstanceDetail,
    InstancePage,
    MessageForm,
    StartableProcess,
    check_instance_visible,
    get_instance,
    instance_page,
    list_instances,
    message_forms,
    startable_processes,
)
from workflows.inbox.mails import OutboxMailInfo, list_outbox_mails
from workflows.inbox.notifications import NotificationInfo, list_notifications
from workflows.inbox.progress import in_progress
from workflows.inbox.shapes import DocumentInfo, EventInfo, InstanceSummary, TaskPage, TaskSummary
from workflows.inbox.tasks import (
    SORTS,
    TaskDetail,
    TaskForm,
    check_task_visible,
    element_ids_by_name,
    get_task,
    get_task_form,
    list_tasks,
)
from workflows.inbox.templates import TemplateSource, template_fields, template_sources, template_values
from workflows.inbox.votes import VoteTally, tally_field

__all__ = [
    "SORTS",
    "BulkForm",
    "ChildSummary",
    "DocumentFile",
    "DocumentInfo",
    "EventInfo",
    "Family",
    "HistoryPage",
    "InstanceDetail",
    "InstancePage",
    "InstanceSummary",
    "MessageForm",
    "NotificationInfo",
    "OutboxMailInfo",
    "StartableProcess",
    "TaskDetail",
    "TaskForm",
    "TaskPage",
    "TaskSummary",
    "TemplateSource",
    "VoteTally",
    "bulk_form",
    "check_instance_visible",
    "check_task_visible",
    "element_ids_by_name",
    "get_document",
    "get_instance",
    "get_task",
    "get_task_form",
    "history_page",
    "in_progress",
    "instance_page",
    "list_all_documents",
    "list_documents",
    "list_events",
    "list_instances",
    "list_notifications",
    "list_outbox_mails",
    "list_tasks",
    "message_forms",
    "startable_processes",
    "tally_field",
    "template_fields",
    "template_sources",
    "template_values",
]
