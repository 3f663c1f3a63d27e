"""Deterministic, realistic seed data: E.164 numbers, UUIDs, ULIDs, Close ids.

The same ``seed`` gives the same E.164 numbers whatever the emulator, so a Linq v2 and a
Linq v3 emulator seeded alike hold the same numbers, as after a real v2 → v3 move.
"""

from __future__ import annotations

import functools
import random
import string
import time
import uuid

__all__ = ["close_id", "e164_numbers", "rng", "ulid", "uuid_from"]

# US area codes whose numbers phonenumbers accepts; exchanges are checked below.
_AREAS = ("202", "212", "213", "305", "312", "404", "415", "503", "512", "617", "646", "702")
_ALNUM = string.ascii_letters + string.digits
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def rng(seed: int, salt: str) -> random.Random:
    """A random generator for one purpose, repeatable for ``seed``."""
    return random.Random(f"{seed}:{salt}")  # noqa: S311 - seed data, not crypto


@functools.cache
def _prefixes() -> tuple[str, ...]:
    # A (area, exchange) prefix is valid or not as a whole in the US metadata, so each is
    # checked once and every line number under a valid one can be used without a check.
    import phonenumbers

    valid = []
    for area in _AREAS:
        for exchange in range(200, 1000):
            if exchange % 100 == 11 or exchange == 555:
                continue
            sample = phonenumbers.parse(f"+1{area}{exchange}4321", None)
            if phonenumbers.is_valid_number(sample):
                valid.append(f"+1{area}{exchange}")
    return tuple(valid)


def e164_numbers(count: int, seed: int) -> list[str]:
    """``count`` distinct valid US numbers in E.164, the same for the same ``seed``."""
    prefixes = _prefixes()
    if count > len(prefixes) * 10_000:
        raise ValueError(f"at most {len(prefixes) * 10_000} numbers can be seeded")
    r = rng(seed, "numbers")
    seen: set[str] = set()
    numbers: list[str] = []
    while len(numbers) < count:
        number = f"{r.choice(prefixes)}{r.randrange(10_000):04d}"
        if number not in seen:
            seen.add(number)
            numbers.append(number)
    return numbers


def uuid_from(r: random.Random) -> str:
    """A version-4 UUID drawn from ``r``."""
    return str(uuid.UUID(int=r.getrandbits(128), version=4))


def close_id(r: random.Random, prefix: str = "phon_") -> str:
    """A Close-style id: a prefix and 43 letters and digits."""
    return prefix + "".join(r.choice(_ALNUM) for _ in range(43))


def ulid() -> str:
    """A fresh ULID (48-bit millisecond time, 80 random bits) in Crockford base32."""
    value = (int(time.time() * 1000) << 80) | random.getrandbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))
