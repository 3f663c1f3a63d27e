"""The generic suites run over every registered provider with a profile: each provider
has one, a provider without one is reported (never skipped in silence), and a
third-party provider registered with an emulator and a profile (``tests.pair_provider``)
is picked up by the generic suites with no test module naming it."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

import phonerouting as pr
from phonerouting import registry, testing
from tests import profiles
from tests.bare_plugin import BareAdapter, BareEmulator
from tests.pair_provider import PairAdapter, PairEmulator

ROOT = Path(__file__).resolve().parents[2]


def test_every_registered_provider_has_a_profile() -> None:
    # A provider without a profile would run through none of the generic suites: this
    # is where that is reported, with what to add.
    assert profiles.MISSING == {}
    assert set(profiles.PROVIDERS) == set(pr.providers())


@pytest.mark.parametrize("provider", registry.PROVIDERS)
def test_each_built_in_profile_lives_with_its_emulator(provider: str) -> None:
    found = testing.profile(provider)
    assert found.provider == provider
    assert registry.emulator_class(provider).profile is found  # type: ignore[union-attr]
    emu = testing.emulator(provider, 1)
    # The emulator's own credentials (its key and, for Twilio, its Account SID).
    expected = registry.adapter_for(provider).authenticate(emu.client_credentials())
    assert found.auth_headers(emu) == expected


class _NoEmulatorAdapter(PairAdapter):
    name: ClassVar[str] = "no-emulator"


@pytest.fixture
def unprofiled() -> Iterator[None]:
    pr.register_provider("bare", BareAdapter, emulator=BareEmulator)
    pr.register_provider("no-emulator", _NoEmulatorAdapter)
    try:
        yield
    finally:
        registry._unregister("bare")
        registry._unregister("no-emulator")


@pytest.mark.usefixtures("unprofiled")
def test_a_provider_without_a_profile_is_reported_with_what_to_add() -> None:
    with pytest.raises(testing.MissingProfileError) as bare:
        testing.profile("bare")
    assert str(bare.value) == (
        "the emulator of provider 'bare' (BareEmulator) has no profile, so the generic test "
        "suites cannot run over it: set its class attribute profile to a "
        "phonerouting.testing.ProviderProfile (see docs/writing-a-provider.md)"
    )
    with pytest.raises(testing.MissingProfileError) as none:
        testing.profile("no-emulator")
    assert str(none.value) == (
        "provider 'no-emulator' has no emulator, so the generic test suites cannot run "
        "over it: register it with emulator=<an Emulator subclass> whose profile is a "
        "phonerouting.testing.ProviderProfile"
    )
    found, missing = profiles._collect()
    assert set(missing) == {"bare", "no-emulator"}
    assert "bare" not in found
    assert missing["bare"] == str(bare.value)


def test_a_profile_of_another_provider_is_refused() -> None:
    class Borrowed(PairEmulator):
        provider: ClassVar[str] = "borrowed"

    class BorrowedAdapter(PairAdapter):
        name: ClassVar[str] = "borrowed"

    pr.register_provider("borrowed", BorrowedAdapter, emulator=Borrowed)
    try:
        with pytest.raises(testing.MissingProfileError, match="names provider 'pair'"):
            testing.profile("borrowed")
    finally:
        registry._unregister("borrowed")


def _pytest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # `-n 0`: the inner run reports its own counts (deselected included) in one process.
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-q", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _passed(output: str) -> dict[str, int]:
    last = output.strip().splitlines()[-1]
    return {kind: int(n) for n, kind in re.findall(r"(\d+) (\w+)", last)}


#: The generic suites run over ``pair`` (modules, so a new one is added here).
GENERIC = (
    "tests/contract/test_adapters_contract.py",
    "tests/contract/test_emulator_answers_contract.py",
    "tests/contract/test_emulators_contract.py",
    "tests/emulators",
    "tests/reliability",
)
#: What of them cannot run over a provider registered in this process only, and why.
NOT_IN_PROCESS = {
    # The console script runs in a child process, which knows the installed providers
    # (entry points) only, not one registered at run time by a plugin.
    "test_a_key_pasted_as_key_env_is_never_printed": "a child process",
}
SELECT = "pair and not " + " and not ".join(NOT_IN_PROCESS)


@pytest.mark.timeout(300)
def test_a_registered_third_party_provider_runs_through_the_generic_suites() -> None:
    listed = _pytest("-p", "tests.pair_plugin", "--collect-only", *GENERIC)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    ids = [
        line
        for line in listed.stdout.splitlines()
        if "pair" in line and not any(name in line for name in NOT_IN_PROCESS)
    ]
    expected = {
        "tests/contract/test_adapters_contract.py::"
        "test_every_request_the_adapter_builds_is_in_the_contract[pair]",
        "tests/contract/test_adapters_contract.py::"
        "test_every_success_sample_parses[pair/get.200.json]",
        "tests/contract/test_adapters_contract.py::"
        "test_every_error_sample_becomes_the_typed_error[pair/update.404.json]",
        "tests/contract/test_emulator_answers_contract.py::"
        "test_emulator_answer_is_in_the_contract[pair-update-401-bad-key]",
        "tests/contract/test_emulator_answers_contract.py::"
        "test_emulator_answer_is_in_the_contract[pair-update-200-cleared]",
        "tests/contract/test_emulator_answers_contract.py::"
        "test_every_documented_response_is_produced_by_some_case[pair]",
        "tests/contract/test_emulator_answers_contract.py::"
        "test_emulator_answer_matches_its_golden_sample[pair/list.429.json]",
        "tests/contract/test_emulators_contract.py::"
        "test_client_scenarios_stay_inside_the_contract[pair]",
        "tests/emulators/test_common.py::test_ids_are_vendor_shaped[pair]",
        "tests/emulators/test_faults.py::test_429_reports_whole_seconds_rounded_up[2.5-3-pair]",
        "tests/emulators/test_rate_limit.py::"
        "test_the_limiters_429_is_the_vendors_with_the_wait_rounded_up[pair]",
        "tests/emulators/test_server.py::test_an_emulator_exception_is_a_logged_vendor_500[pair]",
        "tests/reliability/test_faults.py::test_429_storm_with_retry_after_then_success[pair-sync-update]",
        "tests/reliability/test_secrets.py::test_the_key_never_leaks_from_the_clients[pair-async]",
        "tests/reliability/test_bad_input.py::test_unsupported_fields_send_nothing[pair]",
        "tests/reliability/test_hostile_responses.py::"
        "test_missing_fields_and_wrong_types_are_unexpected[pair]",
    }
    assert expected <= set(ids), sorted(set(expected) - set(ids))
    ran = _pytest("-p", "tests.pair_plugin", "-k", SELECT, *GENERIC)
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    counts = _passed(ran.stdout)
    assert counts["passed"] == len(ids)
    assert set(counts) == {"passed", "deselected"}  # nothing failed, skipped or errored


def test_a_provider_without_a_profile_fails_the_run_by_name() -> None:
    ran = _pytest(
        "-p",
        "tests.bare_plugin",
        "tests/unit/test_profiles.py::test_every_registered_provider_has_a_profile",
    )
    assert ran.returncode == 1
    assert "'bare'" in ran.stdout
    assert "has no profile" in ran.stdout
