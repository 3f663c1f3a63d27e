"""Shared fixtures: fast retry policies that record their sleeps instead of sleeping."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from phonerouting import RetryPolicy
from tests.support import SleepRecorder

# The PostgreSQL test server (postgres_server, postgres_url), started once per session.
pytest_plugins = ["tests.postgres_server"]

# Timings never decide a test: Hypothesis's per-example deadline failed property tests
# on a loaded machine (a first call 375 ms, its replay 0.7 ms).
settings.register_profile("phonerouting", deadline=None)
settings.load_profile("phonerouting")

# The terminal size comes from the test that wants one, never from outside: pytest-xdist's
# workers (and many shells) export COLUMNS/LINES, which the CLI's tables would obey.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)


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
