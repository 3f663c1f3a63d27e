"""Check HTTP traffic against the vendor contracts in ``providers/<name>/openapi.yaml``.

The same checks serve three kinds of test: the golden samples in
``providers/<name>/samples/``, every request an adapter builds, and every response an
emulator returns. Each ``validate_*`` function finds the documented operation for a
concrete request line (a full URL or a path, with or without the server's base path,
query string ignored), validates the JSON body against that operation's schema and
raises :class:`AssertionError` naming the provider, operation, status and the failing
location when it does not match. They return the matched :class:`Operation`.

Import it as ``from tests.contract.openapi_contract import validate_request`` (the
repository runs pytest with ``--import-mode=importlib`` and ``pythonpath = ["."]``).

Samples are named ``<operationId>.<status>[.<variant>].json`` (a response body) or
``<operationId>.request[.<variant>].json`` (a request body); :func:`iter_samples`
reads them and :func:`check_sample` validates one against its operation.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import yaml
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped]
from jsonschema.protocols import Validator  # type: ignore[import-untyped]
from openapi_schema_validator import OAS30Validator, OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

from tests import profiles

__all__ = [
    "PROVIDERS",
    "PROVIDERS_DIR",
    "Operation",
    "Sample",
    "check_sample",
    "contract_dir",
    "example_path",
    "find_operation",
    "iter_samples",
    "load_spec",
    "operation_by_id",
    "operations",
    "validate_query",
    "validate_request",
    "validate_response",
]

#: ``providers/`` at the repository root, found from this file so any cwd works.
PROVIDERS_DIR = Path(__file__).resolve().parents[2] / "providers"
#: The providers with a profile (registry keys, CLI, docs, folder names), whose
#: contracts the suite checks.
PROVIDERS = profiles.PROVIDERS
#: Test providers' documents (name → folder holding openapi.yaml), see `add_document`.
_EXTRA_DOCUMENTS: dict[str, Path] = {}


def add_document(provider: str, folder: Path) -> None:
    """Validate ``provider`` (a test provider, not a shipped vendor) against
    ``folder/openapi.yaml``."""
    _EXTRA_DOCUMENTS[provider] = folder


_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_PARAM = re.compile(r"\{([^{}]+)\}")
_SAMPLE_NAME = re.compile(
    r"^(?P<operation>[a-z][a-z0-9_]*)"
    r"\.(?:(?P<request>request)|(?P<status>[1-5][0-9]{2}))"
    r"(?:\.(?P<variant>[a-z0-9][a-z0-9_]*))?\.json$"
)
_MAX_ERRORS_SHOWN = 8

Pointer = tuple[str, ...]


@dataclass(frozen=True)
class Operation:
    """One documented operation, plus the path parameters of the request that matched it."""

    provider: str
    method: str
    path_template: str
    operation_id: str
    path_params: Mapping[str, str] = field(default_factory=dict)

    @property
    def pointer(self) -> Pointer:
        """Where the operation object sits in the OpenAPI document."""
        return ("paths", self.path_template, self.method.lower())

    def describe(self) -> str:
        """``provider operationId (METHOD /template)``, for messages."""
        return f"{self.provider} {self.operation_id} ({self.method} {self.path_template})"


@dataclass(frozen=True)
class Sample:
    """One golden body from ``providers/<provider>/samples/``."""

    provider: str
    path: Path
    operation_id: str
    kind: str  # "request" or "response"
    status: int | None
    variant: str | None
    body: Any

    @property
    def name(self) -> str:
        """``provider/file name``, a readable test id."""
        return f"{self.provider}/{self.path.name}"


# ---------------------------------------------------------------------------- loading


def _check_provider(provider: str) -> None:
    if provider not in PROVIDERS and provider not in _EXTRA_DOCUMENTS:
        raise AssertionError(f"unknown provider {provider!r}; known: {', '.join(PROVIDERS)}")


def contract_dir(provider: str) -> Path:
    """The folder of ``provider``'s ``openapi.yaml`` and ``samples/``: the one its
    profile names, else ``providers/<provider>/``."""
    _check_provider(provider)
    if provider in _EXTRA_DOCUMENTS:
        return _EXTRA_DOCUMENTS[provider]
    found = profiles.PROFILES.get(provider)
    if found is not None and found.contract_dir is not None:
        return found.contract_dir
    return PROVIDERS_DIR / provider


@cache
def load_spec(provider: str) -> dict[str, Any]:
    """The parsed ``providers/<provider>/openapi.yaml`` (cached: do not mutate it)."""
    folder = contract_dir(provider)
    with (folder / "openapi.yaml").open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    return spec


def _is_oas30(spec: Mapping[str, Any]) -> bool:
    return str(spec.get("openapi", "")).startswith("3.0")


def _resolve(provider: str, node: Any, pointer: Pointer) -> tuple[Any, Pointer]:
    """Follow local ``$ref`` chains; return the target and its own pointer."""
    spec = load_spec(provider)
    seen: set[str] = set()
    while isinstance(node, Mapping) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
            raise AssertionError(f"{provider}: cannot resolve $ref {ref!r} at {pointer}")
        seen.add(ref)
        pointer = tuple(
            unquote(part).replace("~1", "/").replace("~0", "~") for part in ref[2:].split("/")
        )
        node = spec
        for part in pointer:
            node = node[part]
    return node, pointer


def _node(provider: str, pointer: Pointer) -> Any:
    node: Any = load_spec(provider)
    for part in pointer:
        node = node[part]
    return node


# --------------------------------------------------------------------------- matching


@cache
def _templates(provider: str) -> tuple[tuple[str, re.Pattern[str], tuple[str, ...], int], ...]:
    """Each path template as (template, regex, parameter names, literal length)."""
    compiled = []
    for template in load_spec(provider).get("paths", {}):
        pieces = _PARAM.split(template)
        literals, names = pieces[0::2], tuple(pieces[1::2])
        regex = "".join(
            re.escape(literal) + ("([^/]+)" if index < len(names) else "")
            for index, literal in enumerate(literals)
        )
        compiled.append(
            (template, re.compile(regex), names, sum(len(literal) for literal in literals))
        )
    return tuple(compiled)


@cache
def _base_paths(provider: str) -> tuple[str, ...]:
    """The path part of each server URL (``/api/partner``), longest first."""
    bases = {urlsplit(server.get("url", "")).path.rstrip("/") for server in _servers(provider)}
    return tuple(sorted((base for base in bases if base), key=len, reverse=True))


def _servers(provider: str) -> list[dict[str, Any]]:
    return list(load_spec(provider).get("servers") or [])


def _request_path(path: str) -> str:
    """The path of a URL or request target: query and fragment dropped, ``/`` first."""
    concrete = urlsplit(path).path
    return concrete if concrete.startswith("/") else "/" + concrete


def find_operation(provider: str, method: str, path: str) -> Operation:
    """The documented operation serving ``method path``, with its path parameters checked.

    ``path`` may be a full URL (any host: the real API or an emulator), a path with the
    server's base path (``/api/partner/v3/...``) or one relative to it (``/v3/...``).
    The query string is ignored. Raises AssertionError when no template matches, the
    method is not documented for it, or a path parameter breaks its schema.
    """
    _check_provider(provider)
    concrete = _request_path(path)
    candidates = [concrete]
    candidates += [
        concrete[len(base) :] for base in _base_paths(provider) if concrete.startswith(base + "/")
    ]

    best: tuple[int, str, dict[str, str]] | None = None
    for candidate in candidates:
        for template, regex, names, weight in _templates(provider):
            match = regex.fullmatch(candidate)
            if match and (best is None or weight > best[0]):
                values = {
                    name: unquote(value) for name, value in zip(names, match.groups(), strict=True)
                }
                best = (weight, template, values)
    if best is None:
        documented = ", ".join(_templates_listing(provider))
        bases = " or ".join(_base_paths(provider)) or "none"
        raise AssertionError(
            f"{provider}: no documented path matches {concrete!r} "
            f"(server base path: {bases}; documented: {documented})"
        )

    _, template, values = best
    path_item = load_spec(provider)["paths"][template]
    operation_obj = path_item.get(method.lower())
    if method.lower() not in _METHODS or not isinstance(operation_obj, Mapping):
        allowed = ", ".join(m.upper() for m in _METHODS if m in path_item)
        raise AssertionError(
            f"{provider}: {method.upper()} {template} is not documented (documented methods: "
            f"{allowed})"
        )
    operation = Operation(
        provider=provider,
        method=method.upper(),
        path_template=template,
        operation_id=str(operation_obj.get("operationId", f"{method.upper()} {template}")),
        path_params=values,
    )
    problems = []
    for name, value in values.items():
        parameter = _parameters(operation, "path").get(name)
        if parameter is None:
            problems.append(f"path parameter {name!r} is not declared")
            continue
        problems += _parameter_problems(operation, parameter, value)
    if problems:
        raise AssertionError(
            f"{operation.describe()}: path {concrete!r} breaks the contract: " + "; ".join(problems)
        )
    return operation


def _templates_listing(provider: str) -> list[str]:
    return [template for template, *_ in _templates(provider)]


def operations(provider: str) -> list[Operation]:
    """Every documented operation of ``provider``, in document order."""
    found = []
    for template, path_item in load_spec(provider).get("paths", {}).items():
        for method in _METHODS:
            operation_obj = path_item.get(method)
            if isinstance(operation_obj, Mapping):
                found.append(
                    Operation(
                        provider=provider,
                        method=method.upper(),
                        path_template=template,
                        operation_id=str(operation_obj.get("operationId", "")),
                    )
                )
    return found


def operation_by_id(provider: str, operation_id: str) -> Operation:
    """The operation whose ``operationId`` is ``operation_id``."""
    for operation in operations(provider):
        if operation.operation_id == operation_id:
            return operation
    known = ", ".join(operation.operation_id for operation in operations(provider))
    raise AssertionError(f"{provider}: no operation {operation_id!r} (documented: {known})")


def example_path(operation: Operation) -> str:
    """The operation's path (relative to the server URL) filled with documented examples."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        parameter = _parameters(operation, "path").get(name)
        if parameter is None:
            raise AssertionError(f"{operation.describe()}: path parameter {name!r} not declared")
        schema, _ = _resolve(operation.provider, parameter[0].get("schema", {}), ())
        example = parameter[0].get("example", schema.get("example"))
        if example is None:
            raise AssertionError(f"{operation.describe()}: path parameter {name!r} has no example")
        return quote(str(example), safe="")

    return _PARAM.sub(fill, operation.path_template)


# ------------------------------------------------------------------------- parameters


def _parameters(operation: Operation, location: str) -> dict[str, tuple[dict[str, Any], Pointer]]:
    """Parameters in ``location`` (path, query, header), operation-level overriding."""
    found: dict[str, tuple[dict[str, Any], Pointer]] = {}
    path_item_pointer: Pointer = ("paths", operation.path_template)
    for owner in (path_item_pointer, operation.pointer):
        for index, raw in enumerate(_node(operation.provider, owner).get("parameters") or []):
            parameter, pointer = _resolve(
                operation.provider, raw, (*owner, "parameters", str(index))
            )
            if parameter.get("in") == location:
                found[parameter["name"]] = (parameter, pointer)
    return found


def _coerce(value: str, schema: Mapping[str, Any]) -> Any:
    """A path, query or header string as the JSON value its schema's type expects."""
    kind = schema.get("type")
    try:
        if kind == "integer" and re.fullmatch(r"[+-]?[0-9]+", value.strip()):
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def _parameter_problems(
    operation: Operation, parameter: tuple[dict[str, Any], Pointer], value: str
) -> list[str]:
    obj, pointer = parameter
    schema, _ = _resolve(operation.provider, obj.get("schema", {}), (*pointer, "schema"))
    errors = _errors(operation.provider, (*pointer, "schema"), _coerce(value, schema))
    return [f"{obj['in']} parameter {obj['name']}={value!r}: {_describe(e)}" for e in errors]


# ------------------------------------------------------------------------- validators


@cache
def _registry(provider: str) -> tuple[Registry, str]:
    spec = load_spec(provider)
    uri = f"urn:phonerouting:providers:{provider}:openapi.yaml"
    specification = DRAFT4 if _is_oas30(spec) else DRAFT202012
    resource: Resource[Any] = specification.create_resource(spec)
    return Registry().with_resource(uri, resource), uri


@cache
def _validator(provider: str, pointer: Pointer) -> Validator:
    """A validator for the schema at ``pointer``; its ``$ref``s resolve in the whole document."""
    registry, uri = _registry(provider)
    fragment = "".join(
        "/" + quote(part.replace("~", "~0").replace("/", "~1"), safe="") for part in pointer
    )
    cls = OAS30Validator if _is_oas30(load_spec(provider)) else OAS31Validator
    validator: Validator = cls(
        {"$ref": f"{uri}#{fragment}"}, registry=registry, format_checker=cls.FORMAT_CHECKER
    )
    return validator


def _errors(provider: str, pointer: Pointer, instance: Any) -> list[ValidationError]:
    errors = _validator(provider, pointer).iter_errors(instance)
    return sorted(errors, key=lambda error: (error.json_path, error.message))


def _describe(error: ValidationError) -> str:
    if error.context:
        deepest = best_match(error.context)
        return f"{error.message} (closest: at {deepest.json_path}: {deepest.message})"
    return str(error.message)


def _schema_name(provider: str, pointer: Pointer) -> str:
    """The schema's ``$ref`` (or its ``allOf`` refs), else its JSON pointer."""
    node = _node(provider, pointer)
    if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        return str(node["$ref"])
    parts = node.get("allOf") if isinstance(node, Mapping) else None
    if isinstance(parts, list) and all(
        isinstance(part, Mapping) and "$ref" in part for part in parts
    ):
        return " + ".join(str(part["$ref"]) for part in parts)
    return "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in pointer)


def _check_body(provider: str, pointer: Pointer, body: Any, what: str) -> None:
    errors = _errors(provider, pointer, body)
    if not errors:
        return
    lines = [f"{what} does not match the contract (schema {_schema_name(provider, pointer)}):"]
    lines += [f"  at {error.json_path}: {_describe(error)}" for error in errors[:_MAX_ERRORS_SHOWN]]
    if len(errors) > _MAX_ERRORS_SHOWN:
        lines.append(f"  ... and {len(errors) - _MAX_ERRORS_SHOWN} more")
    shown = json.dumps(body, sort_keys=True)
    lines.append(f"  body: {shown if len(shown) <= 600 else shown[:600] + '...'}")
    raise AssertionError("\n".join(lines))


def _json_media(content: Mapping[str, Any]) -> str | None:
    for media in content:
        base = media.split(";")[0].strip().lower()
        if base == "application/json" or base.endswith("+json"):
            return str(media)
    return None


_FORM_MEDIA = "application/x-www-form-urlencoded"


def _form_media(content: Mapping[str, Any]) -> str | None:
    for media in content:
        if media.split(";")[0].strip().lower() == _FORM_MEDIA:
            return str(media)
    return None


def decode_body(headers: Mapping[str, str], content: bytes) -> tuple[Any, dict[str, str] | None]:
    """A request's body as ``(json_body, form_body)`` by its declared content type:
    a form-encoded body as its pairs, anything else as JSON (``None`` for none)."""
    kind = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if kind.split(";")[0].strip().lower() == _FORM_MEDIA:
        return None, dict(parse_qsl(content.decode(), keep_blank_values=True))
    return (json.loads(content) if content else None), None


# --------------------------------------------------------------------------- requests


def validate_request(
    provider: str,
    method: str,
    path: str,
    json_body: Any = None,
    *,
    headers: Mapping[str, str] | None = None,
    form_body: Mapping[str, str] | None = None,
) -> Operation:
    """Check a request: documented path and method, path parameters, JSON or
    form-encoded (``form_body``) body.

    ``json_body=None`` and ``form_body=None`` mean "no body". With ``headers``, also
    check that one of the operation's security requirements is met (the right auth
    header, well formed).
    The query string is not checked here; see :func:`validate_query`.
    """
    operation = find_operation(provider, method, path)
    what = f"{operation.describe()} request body"
    request_body = _node(provider, operation.pointer).get("requestBody")
    if json_body is not None and form_body is not None:
        raise AssertionError(f"{operation.describe()}: a JSON body and a form body at once")
    if request_body is None:
        sent = json_body if form_body is None else form_body
        if sent is not None:
            raise AssertionError(f"{operation.describe()} takes no request body, got {sent!r}")
    else:
        body_obj, body_pointer = _resolve(
            provider, request_body, (*operation.pointer, "requestBody")
        )
        if form_body is not None:
            media = _form_media(body_obj.get("content", {}))
            if media is None:
                raise AssertionError(f"{operation.describe()} documents no form request body")
            schema = (*body_pointer, "content", media, "schema")
            _check_body(provider, schema, dict(form_body), what)
        elif json_body is None:
            if body_obj.get("required"):
                raise AssertionError(f"{operation.describe()} requires a JSON request body")
        else:
            media = _json_media(body_obj.get("content", {}))
            if media is None:
                raise AssertionError(f"{operation.describe()} documents no JSON request body")
            _check_body(provider, (*body_pointer, "content", media, "schema"), json_body, what)
    if headers is not None:
        _check_auth(operation, headers)
    return operation


def validate_query(provider: str, method: str, path: str) -> Operation:
    """Check the query string of ``path`` against the operation's query parameters.

    Every parameter must be documented and match its schema (``limit=0`` fails where
    the minimum is 1); required ones must be present.
    """
    operation = find_operation(provider, method, path)
    documented = _parameters(operation, "query")
    problems = []
    present = set()
    for name, value in parse_qsl(urlsplit(path).query, keep_blank_values=True):
        present.add(name)
        parameter = documented.get(name)
        if parameter is None:
            known = ", ".join(sorted(documented)) or "none"
            problems.append(f"query parameter {name!r} is not documented (documented: {known})")
            continue
        problems += _parameter_problems(operation, parameter, value)
    for name, (declared, _) in documented.items():
        if declared.get("required") and name not in present:
            problems.append(f"required query parameter {name!r} is missing")
    if problems:
        raise AssertionError(
            f"{operation.describe()}: query breaks the contract: " + "; ".join(problems)
        )
    return operation


def _check_auth(operation: Operation, headers: Mapping[str, str]) -> None:
    spec = load_spec(operation.provider)
    operation_obj = _node(operation.provider, operation.pointer)
    requirements = operation_obj.get("security", spec.get("security")) or []
    if not requirements:
        return
    lowered = {str(name).lower(): str(value) for name, value in headers.items()}
    alternatives = []
    for requirement in requirements:
        problems = [
            problem
            for scheme in requirement
            if (problem := _scheme_problem(operation.provider, scheme, lowered))
        ]
        if not problems:
            return
        alternatives.append(" and ".join(problems))
    raise AssertionError(
        f"{operation.describe()}: no documented authentication in the request headers: "
        + "; or ".join(alternatives)
    )


def _scheme_problem(provider: str, name: str, headers: Mapping[str, str]) -> str | None:
    schemes = load_spec(provider).get("components", {}).get("securitySchemes", {})
    scheme, _ = _resolve(provider, schemes.get(name, {}), ())
    kind = scheme.get("type")
    if kind == "apiKey" and scheme.get("in") == "header":
        header = str(scheme["name"])
        return None if headers.get(header.lower(), "").strip() else f"{name}: no {header} header"
    if kind == "http":
        authorization = headers.get("authorization", "")
        expected = str(scheme.get("scheme", "")).lower()
        prefix, _, credentials = authorization.partition(" ")
        if prefix.lower() != expected or not credentials.strip():
            return f"{name}: Authorization is not '{expected.capitalize()} <credentials>'"
        if expected == "basic":
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return f"{name}: Basic credentials are not base64 of 'user:password'"
            user, colon, _ = decoded.partition(":")
            if not colon or not user:
                return f"{name}: Basic credentials are not base64 of 'user:password'"
        return None
    return None  # other kinds (query keys, OAuth flows) are not checked from headers


# -------------------------------------------------------------------------- responses


def _response_key(operation: Operation, status: int) -> str:
    responses = _node(operation.provider, operation.pointer).get("responses", {})
    for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
        if key in responses:
            return key
    documented = ", ".join(str(key) for key in responses)
    raise AssertionError(
        f"{operation.describe()}: status {status} is not documented (documented: {documented})"
    )


def validate_response(
    provider: str,
    method: str,
    path: str,
    status: int,
    json_body: Any,
    *,
    headers: Mapping[str, str] | None = None,
) -> Operation:
    """Check a response: its status is documented for the operation, its body matches.

    The status picks ``"404"``, then ``"4XX"``, then ``"default"``. With ``headers``,
    the documented response headers are checked too: required ones present (names are
    case-insensitive) and every documented one well formed.
    """
    operation = find_operation(provider, method, path)
    key = _response_key(operation, status)
    response, pointer = _resolve(
        provider,
        _node(provider, operation.pointer)["responses"][key],
        (*operation.pointer, "responses", key),
    )
    what = f"{operation.describe()} {status} response body"
    media = _json_media(response.get("content") or {})
    if media is None:
        if json_body not in (None, "", b""):
            raise AssertionError(f"{operation.describe()}: {status} documents no JSON body")
    else:
        _check_body(provider, (*pointer, "content", media, "schema"), json_body, what)
    if headers is not None:
        _check_headers(operation, status, response, pointer, headers)
    return operation


def _check_headers(
    operation: Operation,
    status: int,
    response: Mapping[str, Any],
    pointer: Pointer,
    headers: Mapping[str, str],
) -> None:
    lowered = {str(name).lower(): str(value) for name, value in headers.items()}
    problems = []
    for name, raw in (response.get("headers") or {}).items():
        if name.lower() == "content-type":  # OpenAPI: described by content, not here
            continue
        header, header_pointer = _resolve(operation.provider, raw, (*pointer, "headers", name))
        value = lowered.get(name.lower())
        if value is None:
            if header.get("required"):
                problems.append(f"required header {name} is missing")
            continue
        schema, _ = _resolve(operation.provider, header.get("schema", {}), ())
        for error in _errors(
            operation.provider, (*header_pointer, "schema"), _coerce(value, schema)
        ):
            problems.append(f"header {name}={value!r}: {_describe(error)}")
    if problems:
        raise AssertionError(
            f"{operation.describe()} {status} response headers break the contract: "
            + "; ".join(problems)
        )


# ---------------------------------------------------------------------------- samples


def iter_samples(provider: str) -> list[Sample]:
    """Every sample of ``provider``, sorted by file name.

    A file whose name does not follow the convention raises AssertionError, so a typo
    cannot silently drop a sample from the checks.
    """
    samples = []
    for path in sorted((contract_dir(provider) / "samples").glob("*.json")):
        match = _SAMPLE_NAME.fullmatch(path.name)
        if match is None:
            raise AssertionError(
                f"{provider}: sample {path.name!r} is not named "
                "<operation>.<status>[.<variant>].json or <operation>.request[.<variant>].json"
            )
        with path.open(encoding="utf-8") as handle:
            body = json.load(handle)
        status = match.group("status")
        samples.append(
            Sample(
                provider=provider,
                path=path,
                operation_id=match.group("operation"),
                kind="request" if match.group("request") else "response",
                status=int(status) if status else None,
                variant=match.group("variant"),
                body=body,
            )
        )
    return samples


def check_sample(sample: Sample) -> Operation:
    """Validate one sample against its operation's request or response schema."""
    operation = operation_by_id(sample.provider, sample.operation_id)
    path = example_path(operation)
    if sample.kind == "request":
        body = _node(sample.provider, operation.pointer).get("requestBody", {})
        content = _resolve(sample.provider, body, operation.pointer)[0].get("content", {})
        if _form_media(content) is not None and _json_media(content) is None:
            # A form-encoded body's sample holds its pairs, as a JSON object of strings.
            return validate_request(sample.provider, operation.method, path, form_body=sample.body)
        return validate_request(sample.provider, operation.method, path, sample.body)
    assert sample.status is not None
    return validate_response(sample.provider, operation.method, path, sample.status, sample.body)
