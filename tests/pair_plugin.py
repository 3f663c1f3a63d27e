"""A pytest plugin that registers the ``pair`` test provider for the whole run, before
collection: ``pytest -p tests.pair_plugin tests/contract ...`` runs the generic suites
over it too (as over any third-party provider registered with an emulator and a
profile). ``tests/unit/test_profiles.py`` does so to prove the suites pick it up."""

from __future__ import annotations

import pytest

import phonerouting as pr
from tests.pair_provider import NAME, PairAdapter, PairEmulator


def pytest_configure(config: pytest.Config) -> None:
    """Register ``pair`` before any test module is imported."""
    pr.register_provider(NAME, PairAdapter, emulator=PairEmulator)
