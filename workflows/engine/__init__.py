"""The generic BPM engine around SpiffWorkflow: it knows no programme, no users table, no web.

The operations below are its public face; every one is a single database transaction.
"""

from workflows.engine.runtime import (
    StepResult,
    cancel_instance,
    caught_messages,
    complete_task,
    deliver_correlated,
    deliver_message,
    fire_due_timers,
    message_lanes,
    start_instance,
)

__all__ = [
    "StepResult",
    "cancel_instance",
    "caught_messages",
    "complete_task",
    "deliver_correlated",
    "deliver_message",
    "fire_due_timers",
    "message_lanes",
    "start_instance",
]

from workflows.engine import background as _background  # noqa: F401  registers the engine's job handlers
