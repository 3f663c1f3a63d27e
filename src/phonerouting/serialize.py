"""Plain JSON-ready data from the library's objects, on one cattrs converter.

Used by the command line's ``--json`` output; useful to anyone storing numbers, plans
or reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from cattrs.preconf.json import make_converter

from phonerouting.model import RawPayload

__all__ = ["to_data"]

_converter = make_converter()


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


_converter.register_unstructure_hook(MappingProxyType, _plain)
_converter.register_unstructure_hook(RawPayload, _plain)
# Sets (capabilities) come out sorted, so output is stable from run to run.
_converter.register_unstructure_hook_func(
    lambda t: t is frozenset or getattr(t, "__origin__", None) is frozenset,
    lambda v: sorted(v),
)
_converter.register_unstructure_hook(datetime, lambda v: v.isoformat())


def to_data(obj: Any) -> Any:
    """``obj`` (a PhoneNumber, Plan, Report, Capabilities, or a list of them) as plain
    JSON-ready data: dicts, lists, strings, numbers, booleans and None."""
    return _plain(_converter.unstructure(obj))
