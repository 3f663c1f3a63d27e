"""Faults a test can program on an emulator: the next N requests (or a fraction of
them) answer an error, an HTML page, broken JSON, late, or not at all."""

from __future__ import annotations

import random
import threading
from typing import Literal, get_args

import attrs

__all__ = ["Fault", "Faults"]

FaultKind = Literal["status", "html", "malformed", "delay", "drop"]


@attrs.define
class Fault:
    """One programmed fault.

    Attributes:
        kind: ``status`` (the vendor's own error body for ``status``; 429 carries the
            vendor's rate-limit headers), ``html`` (a proxy's HTML error page with
            ``status``), ``malformed`` (a 200 whose JSON is cut short), ``delay`` (wait
            ``delay`` seconds, then answer normally), ``drop`` (close the connection
            without an answer).
        remaining: how many more requests it hits; ``None`` for no limit.
        probability: the chance it hits a matching request (seeded, so repeatable).
        method, path: only requests with this method / whose path contains this text.
        after_effect: the request takes effect first and only its answer is faulty: the
            write that landed although the client saw it fail (a lost answer, a proxy
            error after the backend committed), which an idempotent caller must absorb.
    """

    kind: FaultKind
    status: int = 500
    retry_after: float | None = None
    delay: float = 0.0
    remaining: int | None = 1
    probability: float = 1.0
    method: str | None = None
    path: str | None = None
    after_effect: bool = False
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request (before the dice)."""
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or self.path in path


class Faults:
    """The programmed faults of one emulator. Thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._random = random.Random(seed)  # noqa: S311 - test dice, not crypto

    def add(
        self,
        kind: FaultKind,
        *,
        count: int | None = 1,
        probability: float = 1.0,
        status: int | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
        method: str | None = None,
        path: str | None = None,
        after_effect: bool = False,
    ) -> Fault:
        """Program a fault; ``count=None`` keeps it until `clear`.

        ``kind`` is one of ``status``, ``html``, ``malformed``, ``delay``, ``drop``.

        Raises:
            ValueError: an unknown kind, or a count or probability out of range.
        """
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {kind!r}; choose from {get_args(FaultKind)}")
        if count is not None and count < 1:
            raise ValueError(f"count must be at least 1 (or None for no limit), not {count!r}")
        if not 0 <= probability <= 1:
            raise ValueError(f"probability must be from 0 to 1, not {probability!r}")
        default_status = {"status": 500, "html": 502, "malformed": 200}.get(kind, 200)
        fault = Fault(
            kind=kind,
            status=default_status if status is None else status,
            retry_after=retry_after,
            delay=delay,
            remaining=count,
            probability=probability,
            method=method,
            path=path,
            after_effect=after_effect,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def rate_limited(self, count: int | None = 1, *, retry_after: float = 1, **kw: object) -> Fault:
        """The next ``count`` requests answer the vendor's 429 with ``retry_after``
        seconds (each vendor reports it as whole seconds, rounded up)."""
        return self.add("status", count=count, status=429, retry_after=retry_after, **kw)  # type: ignore[arg-type]

    def server_error(self, status: int = 500, count: int | None = 1, **kw: object) -> Fault:
        """The next ``count`` requests answer the vendor's own ``status`` (5xx) body."""
        return self.add("status", count=count, status=status, **kw)  # type: ignore[arg-type]

    def html(self, status: int = 502, count: int | None = 1, **kw: object) -> Fault:
        """The next ``count`` requests answer a proxy's HTML error page."""
        return self.add("html", count=count, status=status, **kw)  # type: ignore[arg-type]

    def malformed(self, count: int | None = 1, **kw: object) -> Fault:
        """The next ``count`` requests answer 200 with JSON cut short."""
        return self.add("malformed", count=count, **kw)  # type: ignore[arg-type]

    def delay(self, seconds: float, count: int | None = 1, **kw: object) -> Fault:
        """The next ``count`` requests answer after ``seconds``."""
        return self.add("delay", count=count, delay=seconds, **kw)  # type: ignore[arg-type]

    def drop(self, count: int | None = 1, **kw: object) -> Fault:
        """The next ``count`` requests get the connection closed without an answer."""
        return self.add("drop", count=count, **kw)  # type: ignore[arg-type]

    def clear(self) -> None:
        """Remove every programmed fault."""
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        """The faults that can still hit."""
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that hits this request, if any (consuming one of its count)."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.probability < 1.0 and self._random.random() >= fault.probability:
                    continue
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None
