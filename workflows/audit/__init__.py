"""The audit log: an append-only chain of events, each row hashing the one before."""

from workflows.audit.chain import (
    GENESIS,
    LABELS,
    RETENTION_EVENT,
    ChainProblem,
    compute_hash,
    contains,
    head,
    label,
    payload_digest,
    pending,
    record,
    redact,
    verify,
)

__all__ = ["GENESIS", "LABELS", "RETENTION_EVENT", "ChainProblem", "compute_hash", "contains", "head", "label",
           "payload_digest", "pending", "record", "redact", "verify"]
