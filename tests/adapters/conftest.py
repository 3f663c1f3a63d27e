"""Fixtures shared by the pure adapter tests (no HTTP anywhere in this directory)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@pytest.fixture
def thaw() -> Callable[[Any], Any]:
    """Turns a read-only ``PhoneNumber.raw`` (mapping proxies, tuples) back into the
    plain dicts and lists it was decoded from, to compare it with the vendor body."""
    return _thaw
