"""Settings for job tests: no waiting between retries unless a test asks for it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from workflows import settings


@pytest.fixture
def configure() -> Iterator[Callable[..., settings.Settings]]:
    """Replace settings fields for one test (the one settings object), restored afterwards."""
    before = settings.get()

    def apply(**changes: Any) -> settings.Settings:
        settings._current[:] = [dataclasses.replace(settings.get(), **changes)]
        return settings.get()

    apply(job_retry_base_seconds=0.0, worker_poll_seconds=0.05)
    yield apply
    settings._current[:] = [before]
