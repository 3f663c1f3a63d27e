"""A pytest plugin that registers ``bare``, a provider whose emulator has no profile,
for the whole run: ``tests/unit/test_profiles.py`` uses it to show such a provider is
reported by name, not skipped."""

from __future__ import annotations

from typing import ClassVar

import pytest

import phonerouting as pr
from tests.pair_provider import PairAdapter, PairEmulator


class BareEmulator(PairEmulator):
    """The pair emulator under another name, without a profile."""

    provider: ClassVar[str] = "bare"
    profile = None


class BareAdapter(PairAdapter):
    """The pair adapter under another name."""

    name: ClassVar[str] = "bare"


def pytest_configure(config: pytest.Config) -> None:
    """Register ``bare`` before any test module is imported."""
    pr.register_provider("bare", BareAdapter, emulator=BareEmulator)
