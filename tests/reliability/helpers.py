"""Helpers of the reliability suite: drive either client the same way, and check that
whatever escapes the public API is a typed ``phonerouting`` error."""

from __future__ import annotations

import inspect
import traceback
from typing import Any

import phonerouting as pr
from phonerouting import testing

PROVIDERS = ("linq-v2", "linq-v3", "agentmessage", "close")
MODES = ("sync", "async")

#: The HTTP method of each provider's routing write.
WRITE_METHOD = {"linq-v2": "PUT", "linq-v3": "PUT", "agentmessage": "PATCH", "close": "PUT"}
#: A valid update each provider can apply.
UPDATE = {
    "linq-v2": pr.RoutingUpdate(forwarding_number="+12025559999"),
    "linq-v3": pr.RoutingUpdate(forwarding_number="+12025559999"),
    "agentmessage": pr.RoutingUpdate(label="Support desk"),
    "close": pr.RoutingUpdate(label="Front desk"),
}
#: Well-formed ids that no emulator holds.
UNKNOWN_ID = {
    "linq-v2": "999999",
    "linq-v3": "00000000-0000-4000-8000-000000000000",
    "agentmessage": "00000000-0000-4000-8000-000000000000",
    "close": "phon_" + "Z" * 43,
}


def emulator(provider: str, numbers: int = 4, **options: Any) -> testing.Emulator:
    """A seeded emulator of ``provider``."""
    return testing.emulator(provider, numbers, seed=options.pop("seed", 11), **options)


def first_id(emu: testing.Emulator) -> str:
    """The vendor id of the emulator's first number, as a string."""
    return str(next(iter(emu.numbers.values())).id)  # type: ignore[attr-defined]


def first_number(emu: testing.Emulator) -> str:
    """The E.164 number of the emulator's first number."""
    record = next(iter(emu.numbers.values()))  # type: ignore[attr-defined]
    return str(getattr(record, "phone_number", None) or record.number)


def written(emu: testing.Emulator, number_id: str) -> bool:
    """Whether the emulator holds :data:`UPDATE` for that number."""
    record = emu.get(number_id)  # type: ignore[attr-defined]
    if emu.provider in ("linq-v2", "linq-v3"):
        return bool(record.forwarding_number == "+12025559999")
    if emu.provider == "agentmessage":
        return bool(record.label == "Support desk")
    return bool(record.label == "Front desk")


def connect(mode: str, emu: testing.Emulator, **options: Any) -> pr.Client | pr.AsyncClient:
    """A client of ``mode`` answered in process by ``emu`` (with its key, unless given)."""
    options.setdefault("api_key", emu.api_key)
    if mode == "sync":
        return pr.connect(emu.provider, transport=emu.transport(), **options)
    return pr.connect_async(emu.provider, transport=emu.async_transport(), **options)


def connect_url(mode: str, emu: testing.Emulator, base_url: str, **options: Any) -> Any:
    """A client of ``mode`` talking real HTTP to ``base_url``."""
    options.setdefault("api_key", emu.api_key)
    factory = pr.connect if mode == "sync" else pr.connect_async
    return factory(emu.provider, base_url=base_url, **options)


async def call(client: Any, method: str, *args: Any) -> Any:
    """``client.method(*args)`` for either kind of client; ``list_numbers`` is drained."""
    if method == "list_numbers":
        result = client.list_numbers()
        if hasattr(result, "__aiter__"):
            return [item async for item in result]
        return list(result)
    result = getattr(client, method)(*args)
    if inspect.isawaitable(result):
        return await result
    return result


async def close(client: Any) -> None:
    """Close either kind of client."""
    result = client.close()
    if inspect.isawaitable(result):
        await result


def assert_routing_error(error: BaseException) -> pr.RoutingError:
    """Fail unless ``error`` is a ``phonerouting.RoutingError`` (the documented contract:
    nothing else escapes the public API)."""
    assert isinstance(error, pr.RoutingError), (
        f"{type(error).__module__}.{type(error).__qualname__} escaped the public API, "
        "not a phonerouting.RoutingError; raised at:\n"
        + "".join(traceback.format_exception(error, limit=-6))
    )
    return error


async def attempt(client: Any, method: str, *args: Any) -> tuple[Any, BaseException | None]:
    """Run one operation; returns (result, None) or (None, the error it raised)."""
    try:
        return await call(client, method, *args), None
    except Exception as error:
        return None, error


async def expect(client: Any, cls: type[pr.RoutingError], method: str, *args: Any) -> Any:
    """Run one operation that must fail with exactly ``cls`` (a RoutingError)."""
    result, error = await attempt(client, method, *args)
    assert error is not None, f"{method} succeeded with {result!r}; expected {cls.__name__}"
    caught = assert_routing_error(error)
    assert type(caught) is cls, f"expected {cls.__name__}, got {type(caught).__name__}: {caught}"
    return caught


async def succeed(client: Any, method: str, *args: Any) -> Any:
    """Run one operation that must succeed; a failure is shown whole."""
    result, error = await attempt(client, method, *args)
    if error is not None:
        assert_routing_error(error)
        raise AssertionError(f"{method} failed: {type(error).__name__}: {error}") from error
    return result
