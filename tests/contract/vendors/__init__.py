"""Each vendor's cases of the generic contract checks in ``test_openapi_documents.py``,
one module per provider (``linq-v2`` is ``linq_v2.py``), so that no generic module
names a vendor. A module may define any of ``CLEAR_FORMS``, ``MATCHES``,
``NON_MATCHES``, ``BAD_REQUESTS``, ``BAD_RESPONSES``, ``GOOD_HEADERS``,
``BAD_HEADERS``, ``AUTH`` and ``QUERIES`` (see ``close.py`` for each); every case
names its provider first. A provider without a module adds no cases: its own contract
tests may hold them instead (``test_twilio_contract.py``). Checks that concern one
vendor alone are in ``tests/contract/test_<vendor>_contract.py``.
"""

from __future__ import annotations

import base64
import copy
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.contract import openapi_contract as contract

_HERE = Path(__file__).resolve().parent


def cases(name: str) -> list[Any]:
    """The cases ``name`` of every registered provider that has a module here."""
    found: list[Any] = []
    for provider in contract.PROVIDERS:
        module = provider.replace("-", "_")
        if (_HERE / f"{module}.py").is_file():
            found += getattr(importlib.import_module(f"{__name__}.{module}"), name, [])
    return found


def sample_body(provider: str, file_name: str) -> Any:
    """A deep copy of one golden body, safe to mutate."""
    path = contract.contract_dir(provider) / "samples" / file_name
    return json.loads(path.read_text(encoding="utf-8"))


def mutated(provider: str, file_name: str, change: Callable[[Any], object]) -> Any:
    """A golden body with exactly one change applied, so only that change can fail it."""
    body = copy.deepcopy(sample_body(provider, file_name))
    change(body)
    return body


def drop(key: str) -> Callable[[dict[str, Any]], Any]:
    """A change that removes ``key``."""
    return lambda body: body.pop(key)


def basic(user_and_password: str) -> str:
    """An HTTP Basic ``Authorization`` value."""
    return "Basic " + base64.b64encode(user_and_password.encode()).decode()


def full_sample_numbers(provider: str) -> int:
    """Check that every number in ``provider``'s response samples carries every field
    its ``PhoneNumber`` schema documents (full objects are what the emulators copy; a
    field dropped there would go unnoticed); returns how many numbers were checked."""
    fields = set(contract.load_spec(provider)["components"]["schemas"]["PhoneNumber"]["properties"])
    checked = 0
    for sample in contract.iter_samples(provider):
        data = sample.body.get("data", sample.body) if sample.kind == "response" else None
        for number in data if isinstance(data, list) else [data]:
            if isinstance(number, dict) and "id" in number:
                assert fields - set(number) == set(), sample.name
                checked += 1
    return checked


#: The vendors' own documentation excerpts the samples were taken from (not always
#: available: the tests that read them skip without them).
SEEDS = Path("/work/shared/seeds")


def seed_json_objects(name: str) -> list[Any]:
    """Every JSON object printed in the seed excerpt ``name`` (``001``...), in order."""
    text = next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")
    decoder, found, index = json.JSONDecoder(), [], 0
    while (index := text.find("{", index)) != -1:
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            index += 1
            continue
        found.append(value)
        index = end
    return found
