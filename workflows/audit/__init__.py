"""The audit log: an append-only chain of events, each row hashing the one before."""

from workflows.audit.chain import GENESIS, ChainProblem, compute_hash, contains, head, pending, record, verify

__all__ = ["GENESIS", "ChainProblem", "compute_hash", "contains", "head", "pending", "record", "verify"]
