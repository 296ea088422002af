"""The Löschkonzept: erasing applicants' personal data of finished postings after a period."""

from workflows.retention.apply import Erasure, apply_retention
from workflows.retention.redaction import MARKER

__all__ = ["MARKER", "Erasure", "apply_retention"]
