"""Helpers of the reliability suite: drive either client the same way, and check that
whatever escapes the public API is a typed ``phonerouting`` error."""

from __future__ import annotations

import inspect
import traceback
from typing import Any

import phonerouting as pr
from phonerouting import testing
from tests import profiles
from tests.profiles import PROFILES

#: The providers the reliability suite runs over: every one with a profile.
PROVIDERS = tuple(PROFILES)
MODES = ("sync", "async")

#: A valid update each provider can apply (its profile's ``update``).
UPDATE = {p: prof.update for p, prof in PROFILES.items()}
#: The HTTP method of each provider's routing write: that of the adapter's request
#: for ``UPDATE``.
WRITE_METHOD = {
    p: profiles.adapter(p).update_requests(prof.sample_id, prof.update)[0].method
    for p, prof in PROFILES.items()
}
#: Well-formed ids that no emulator holds (its profile's ``unknown_id``).
UNKNOWN_ID = {p: prof.unknown_id for p, prof in PROFILES.items()}


def emulator(provider: str, numbers: int = 4, **options: Any) -> testing.Emulator:
    """A seeded emulator of ``provider``."""
    return testing.emulator(provider, numbers, seed=options.pop("seed", 11), **options)


def first_id(emu: testing.Emulator) -> str:
    """The vendor id of the emulator's first number, as a string."""
    return str(_held(emu)[0].id)


def first_number(emu: testing.Emulator) -> str:
    """The E.164 number of the emulator's first number."""
    return _held(emu)[0].number


def _held(emu: testing.Emulator) -> list[testing.Held]:
    held = PROFILES[emu.provider].held_numbers
    assert held is not None, f"the profile of {emu.provider} has no held_numbers"
    return held(emu)


def written(emu: testing.Emulator, number_id: str) -> bool:
    """Whether the emulator holds :data:`UPDATE` for that number."""
    return PROFILES[emu.provider].update_landed(emu, number_id)


def credentials(emu: testing.Emulator, secret: str | None = None) -> dict[str, str]:
    """The keyword arguments of ``connect`` for ``emu`` (its key, or ``secret``)."""
    return dict(PROFILES[emu.provider].credentials(emu, emu.api_key if secret is None else secret))


def connect(mode: str, emu: testing.Emulator, **options: Any) -> pr.Client | pr.AsyncClient:
    """A client of ``mode`` answered in process by ``emu`` (with its key, unless given)."""
    options = {**credentials(emu, options.pop("api_key", None)), **options}
    if mode == "sync":
        return pr.connect(emu.provider, transport=emu.transport(), **options)
    return pr.connect_async(emu.provider, transport=emu.async_transport(), **options)


def connect_url(mode: str, emu: testing.Emulator, base_url: str, **options: Any) -> Any:
    """A client of ``mode`` talking real HTTP to ``base_url``."""
    options = {**credentials(emu, options.pop("api_key", None)), **options}
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
