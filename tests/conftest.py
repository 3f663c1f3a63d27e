"""Shared fixtures: fast retry policies that record their sleeps instead of sleeping."""

from __future__ import annotations

import pytest

from phonerouting import RetryPolicy
from tests.support import SleepRecorder

# The PostgreSQL test server (postgres_server, postgres_url), started once per session.
pytest_plugins = ["tests.postgres_server"]


@pytest.fixture
def sleeps() -> SleepRecorder:
    """The waits a client asked for, in order."""
    return SleepRecorder()


@pytest.fixture
def fast_policy(sleeps: SleepRecorder) -> RetryPolicy:
    """A retry policy with fixed, tiny backoff (no jitter) that records its waits."""
    return RetryPolicy(
        backoff_initial=0.01,
        backoff_max=0.04,
        jitter=0.0,
        sleep=sleeps,
        async_sleep=sleeps.asleep,
    )
