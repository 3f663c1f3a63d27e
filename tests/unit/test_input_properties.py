"""Property tests: any input either normalizes or raises ValidationError, and invalid
input never sends a request."""

from __future__ import annotations

import re

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import phonerouting as pr
from phonerouting.inputs import normalize_e164

E164 = re.compile(r"\+[1-9][0-9]{6,14}")
ID_SHAPES = {
    "linq-v2": re.compile(r"[0-9]{1,19}"),
    "linq-v3": re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    "agentmessage": re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    "close": re.compile(r"phon_[A-Za-z0-9]+"),
}
UPDATE_FOR = {
    "linq-v2": pr.RoutingUpdate(forwarding_number="+12025559999"),
    "linq-v3": pr.RoutingUpdate(forwarding_number="+12025559999"),
    "agentmessage": pr.RoutingUpdate(label="x"),
    "close": pr.RoutingUpdate(label="x"),
}

phone_like = st.one_of(
    st.text(),
    st.text(alphabet="+0123456789 ()-.", max_size=25),
    st.from_regex(r"\+1[2-9][0-9]{2}[2-9][0-9]{6}", fullmatch=True),
)
id_like = st.one_of(
    st.text(),
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.from_regex(r"phon_[A-Za-z0-9]{43}", fullmatch=True),
    st.from_regex(r"[0-9]{1,19}", fullmatch=True),
    st.text(alphabet="phon_/.%?#0123456789abc", max_size=20),
    st.integers(),
)


@given(phone_like)
def test_any_string_is_e164_or_a_validation_error(text: str) -> None:
    try:
        result = normalize_e164(text, "forwarding_number")
    except pr.ValidationError as error:
        assert error.field == "forwarding_number"
    else:
        assert E164.fullmatch(result)
        assert normalize_e164(result, "forwarding_number") == result


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(503)


@pytest.mark.parametrize("provider", list(ID_SHAPES))
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number_id=id_like)
def test_any_id_is_refused_unsent_or_reaches_only_its_own_path(
    provider: str, number_id: str | int
) -> None:
    recorder = Recorder()
    client = pr.connect(
        provider, api_key="k", transport=httpx.MockTransport(recorder), max_retries=0
    )
    try:
        client.update_routing(number_id, UPDATE_FOR[provider])
    except pr.ValidationError as error:
        assert error.field == "number_id"
        assert error.provider == provider
        assert recorder.requests == []
    except pr.ServerError:
        (request,) = recorder.requests
        segments = request.url.path.split("/")
        assert ID_SHAPES[provider].fullmatch(segments[-1] or segments[-2])
        assert ".." not in request.url.path
    finally:
        client.close()


@pytest.mark.parametrize("provider", list(ID_SHAPES))
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=phone_like)
def test_find_number_sends_nothing_for_an_invalid_number(provider: str, number: str) -> None:
    recorder = Recorder()
    client = pr.connect(
        provider, api_key="k", transport=httpx.MockTransport(recorder), max_retries=0
    )
    try:
        client.find_number(number)
    except pr.ValidationError as error:
        assert error.provider == provider
        assert recorder.requests == []
    except pr.ServerError:
        assert len(recorder.requests) == 1
    finally:
        client.close()
