"""GET /openapi.json: a valid OpenAPI 3.1 document, the routes exactly, and schemathesis
run against it (bounded) finds no server error and no undocumented status."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.routing import Mount, Route

from phonerouting.server import create_app
from phonerouting.server.demo import demo_config
from tests.server.conftest import Api

pytestmark = pytest.mark.timeout(300)


async def test_the_document_is_valid_openapi_3_1(api: Api) -> None:
    response = await api.get("/openapi.json", who=None)
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def _routes(routes: Any, prefix: str = "") -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in routes:
        if (route.name or "").startswith("console."):
            continue  # the web console's pages (phonerouting.console): HTML, not the API
        if isinstance(route, Mount):
            found |= _routes(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((method.lower(), prefix + route.path))
    return found


async def test_every_route_is_documented_and_every_documented_path_is_a_route(api: Api) -> None:
    doc = (await api.get("/openapi.json", who=None)).json()
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == _routes(api.app.routes)


# ---------------------------------------------------------------- schemathesis

_DEMO = demo_config(
    Path(tempfile.mkdtemp(prefix="phonerouting-schemathesis-")) / "store.sqlite",
    numbers=4,
    wait_for_inventory=True,
    refresh_max_age=None,
)
_APP = create_app(_DEMO.config)
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)
_HEADERS = {"Authorization": f"Bearer {_DEMO.tokens['admin']}"}


_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_schemathesis_finds_no_server_error_or_undocumented_status() -> None:
    # One test drives every operation through its Hypothesis strategy, rather than
    # `@schema.parametrize()`: under pytest-xdist the parametrized form collapsed into
    # a single item that exercised one operation, and the coverage check below then
    # depended on test order across workers.
    seen: defaultdict[tuple[str, str], set[int]] = defaultdict(set)
    for operation in schema.get_all_operations():

        @given(case=operation.ok().as_strategy())
        @settings(
            max_examples=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            response = case.call_and_validate(headers=_HEADERS, checks=_CHECKS)
            seen[(case.method.lower(), case.path)].add(response.status_code)

        check()

    # The token was accepted, so the cases exercised the endpoints themselves.
    documented = {(m, p) for p, ops in schema.raw_schema["paths"].items() for m in ops}
    # Schemathesis leaves out the path it read the document from.
    documented.discard(("get", "/openapi.json"))
    seen_documented = {key: statuses for key, statuses in seen.items() if key in documented}
    assert set(seen_documented) == documented
    # Each operation got past the token check (an answer other than 401).
    assert all(statuses - {401} for statuses in seen_documented.values()), seen_documented
    assert any(status < 300 for statuses in seen.values() for status in statuses)
