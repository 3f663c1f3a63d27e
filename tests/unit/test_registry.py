"""Third-party providers: `register_provider`, the ``phonerouting.providers`` entry-point
group, and a registered provider working through connect, the accounts file, the
emulators, the feature matrix and the command line.

The provider under test is the complete example of docs/writing-a-provider.md, so the
docs' example is what is proven to work.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from scripts.feature_matrix import render

import phonerouting as pr
from phonerouting import registry, testing
from phonerouting.adapters.linq_v3 import LinqV3Adapter
from phonerouting.registry import ENTRY_POINT_GROUP
from tests.support import Cli, write_accounts

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "writing-a-provider.md"
MODULE = "acme_routing"
BUILTIN_ADAPTERS = [
    f"phonerouting.adapters.{m}" for m in ("linq_v2", "linq_v3", "agentmessage", "close", "twilio")
]


def _provider_source() -> str:
    """The docs' provider module: the page's first python block."""
    return re.findall(r"^```python\n(.*?)^```", PAGE.read_text(), re.S | re.M)[0]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the docs' provider as an installed package: its module and a
    dist-info declaring the entry point, as pip would leave them."""
    folder = tmp_path_factory.mktemp("site")
    (folder / f"{MODULE}.py").write_text(_provider_source())
    info = folder / "acme_routing-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-routing\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nacme = {MODULE}:PROVIDER\n")
    return folder


@pytest.fixture(scope="module")
def acme(package: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(MODULE, package / f"{MODULE}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def registered(acme: ModuleType) -> Iterator[ModuleType]:
    pr.register_provider("acme", acme.AcmeAdapter, emulator=acme.AcmeEmulator)
    try:
        yield acme
    finally:
        registry._unregister("acme")
    assert "acme" not in pr.providers()


def test_builtin_names_stay_as_they_were() -> None:
    # The four of before keep their names, in their order; Twilio and Telnyx came after.
    assert pr.PROVIDERS == ("linq-v2", "linq-v3", "agentmessage", "close", "twilio", "telnyx")
    assert pr.providers() == pr.PROVIDERS


@pytest.mark.parametrize(
    ("name", "adapter", "message"),
    [
        ("Acme", "ok", "provider name 'Acme' must be lower-case letters"),
        ("1acme", "ok", "provider name '1acme' must be lower-case letters"),
        ("", "ok", "provider name '' must be lower-case letters"),
        ("acme", object(), "must be a phonerouting.adapters.base.Adapter subclass or instance"),
        ("acme", LinqV3Adapter, "declares name = 'linq-v3'; they must be the same"),
        ("linq-v3", LinqV3Adapter, "provider 'linq-v3' is already registered"),
    ],
)
def test_register_provider_refuses(
    name: str, adapter: object, message: str, acme: ModuleType
) -> None:
    chosen = acme.AcmeAdapter if adapter == "ok" else adapter
    with pytest.raises(pr.ConfigurationError) as caught:
        pr.register_provider(name, chosen)  # type: ignore[arg-type]
    assert message in caught.value.message
    assert pr.providers() == pr.PROVIDERS


def test_a_name_is_registered_once_and_an_emulator_must_be_a_class(registered: Any) -> None:
    with pytest.raises(pr.ConfigurationError, match="'acme' is already registered"):
        pr.register_provider("acme", registered.AcmeAdapter)
    registry._unregister("acme")
    with pytest.raises(pr.ConfigurationError, match=r"must be a phonerouting\.testing\.Emulator"):
        pr.register_provider("acme", registered.AcmeAdapter, emulator="AcmeEmulator")
    pr.register_provider("acme", registered.AcmeAdapter(), emulator=registered.AcmeEmulator)


def test_a_registered_provider_connects_and_lists_last(registered: Any) -> None:
    assert pr.providers() == (*pr.PROVIDERS, "acme")
    with pytest.raises(pr.ConfigurationError) as caught:
        pr.connect("nope", api_key="k")
    assert "choose one of: linq-v2, linq-v3, agentmessage, close, twilio, telnyx, acme" in (
        caught.value.message
    )

    emu = testing.emulator("acme", 2, seed=3)
    record = emu.add_number("+12025550142")  # type: ignore[attr-defined]
    with pr.connect("acme", api_key=emu.api_key, transport=emu.transport()) as client:
        assert client.provider == "acme"
        assert client.get_number(record["id"]).number == "+12025550142"
        after = client.update_routing(
            record["id"], pr.RoutingUpdate(forwarding_number="+1 202 555 0199")
        )
    assert after.forwarding_number == "+12025550199"
    sent = emu.requests[-1]
    assert (sent.method, sent.path, sent.json) == (
        "PATCH",
        f"/v1/numbers/{record['id']}",
        {"forward_to": "+12025550199"},
    )
    assert sent.headers["authorization"] == f"Bearer {emu.api_key}"


async def test_a_registered_provider_connects_async(registered: Any) -> None:
    emu = testing.emulator("acme", 3, seed=3)
    async with pr.connect_async(
        "acme", api_key=emu.api_key, transport=emu.async_transport()
    ) as client:
        numbers = [n.number async for n in client.list_numbers()]
    assert numbers == [r["e164"] for r in emu.numbers.values()]  # type: ignore[attr-defined]
    assert [(r.method, r.path) for r in emu.requests] == [("GET", "/v1/numbers")]


def test_a_registered_provider_reads_its_key_variable_and_refuses_before_sending(
    registered: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"sent {request.method} {request.url}")

    monkeypatch.delenv("ACME_API_KEY", raising=False)
    with pytest.raises(pr.ConfigurationError, match="ACME_API_KEY") as caught:
        pr.connect("acme", transport=httpx.MockTransport(refuse))
    assert caught.value.provider == "acme"
    client = pr.connect("acme", api_key="acme_k1", transport=httpx.MockTransport(refuse))
    with client, pytest.raises(pr.UnsupportedFieldError) as unsupported:
        client.update_routing("n_1", pr.RoutingUpdate(label="x"))
    assert unsupported.value.field == "label"


def test_an_account_names_a_registered_provider(
    registered: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from phonerouting.accounts import load_accounts, resolve_account

    emu = testing.emulator("acme", 2, seed=4)
    monkeypatch.setenv("ACME_KEY_PROD", emu.api_key)
    config = tmp_path / "accounts.toml"
    config.write_text('[accounts.prod]\nprovider = "acme"\nkey_env = "ACME_KEY_PROD"\n')
    account = load_accounts(config)["prod"]
    with account.connect(transport=emu.transport()) as client:
        assert len(list(client.list_numbers())) == 2
    # Named by its provider name, an account reads the adapter's own variable.
    assert resolve_account("acme", config).key_env == "ACME_API_KEY"


def test_an_unregistered_name_is_refused_in_an_accounts_file(tmp_path: Path) -> None:
    from phonerouting.accounts import load_accounts

    config = tmp_path / "accounts.toml"
    config.write_text('[accounts.prod]\nprovider = "acme"\nkey_env = "ACME_KEY_PROD"\n')
    with pytest.raises(pr.ConfigurationError, match="provider must be one of linq-v2"):
        load_accounts(config)


def test_a_provider_without_an_emulator(acme: Any) -> None:
    pr.register_provider("acme", acme.AcmeAdapter)
    try:
        with pytest.raises(ValueError, match="'acme' was registered without an emulator"):
            testing.emulator("acme")
    finally:
        registry._unregister("acme")


def test_the_feature_matrix_has_a_column_per_provider(registered: Any) -> None:
    page = render()
    assert (
        "| normalized field | `linq-v2` | `linq-v3` | `agentmessage` | `close` | `twilio` "
        "| `telnyx` "
        "| `acme` |" in page
    )
    assert "| `forwarding_number` | ✓ | ✓ | — | ✓ | — | ✓ | ✓ |" in page
    assert "| `label` | — | — | ✓ | ✓ | ✓ | — | — |" in page
    assert "| `acme` | `ACME_API_KEY` | `https://api.acme.example/v1` |" in page


def _python(code: str, package: Path) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(package), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_entry_points_load_lazily_and_one_provider_never_imports_another(
    package: Path,
) -> None:
    out = _python(
        f"""
        import sys
        import phonerouting as pr
        from phonerouting import testing

        adapters = {BUILTIN_ADAPTERS!r}
        assert pr.providers() == (*pr.PROVIDERS, "acme"), pr.providers()
        assert "{MODULE}" not in sys.modules, "listing the providers imported one"

        emu = testing.emulator("close", 1)
        with pr.connect("close", api_key=emu.api_key, transport=emu.transport()) as c:
            list(c.list_numbers())
        assert "{MODULE}" not in sys.modules, "using close imported acme"
        assert [m for m in adapters if m in sys.modules] == [adapters[3]]

        emu = testing.emulator("acme", 2)
        with pr.connect("acme", api_key=emu.api_key, transport=emu.transport()) as c:
            print(len(list(c.list_numbers())))
        assert "{MODULE}" in sys.modules
        assert [m for m in adapters if m in sys.modules] == [adapters[3]]
        """,
        package,
    )
    assert out == "2\n"


def test_using_an_entry_point_provider_first_imports_no_builtin_adapter(package: Path) -> None:
    _python(
        f"""
        import sys
        import phonerouting as pr
        from phonerouting import testing

        emu = testing.emulator("acme", 1)
        with pr.connect("acme", api_key=emu.api_key, transport=emu.transport()) as c:
            assert len(list(c.list_numbers())) == 1
        loaded = [m for m in {BUILTIN_ADAPTERS!r} if m in sys.modules]
        assert loaded == [], loaded
        """,
        package,
    )


def test_an_entry_point_cannot_take_a_builtin_name(tmp_path: Path) -> None:
    info = tmp_path / "evil-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nclose = evil_module:Nope\nBad_Name = evil_module:Nope\n"
    )
    out = _python(
        """
        import phonerouting as pr
        from phonerouting.adapters.close import CloseAdapter
        from phonerouting.registry import adapter_for

        print(pr.providers() == pr.PROVIDERS, type(adapter_for("close")) is CloseAdapter)
        """,
        tmp_path,
    )
    assert out == "True True\n"


def test_the_command_line_uses_an_entry_point_provider(
    package: Path, registered: Any, tmp_path: Path
) -> None:
    emu: testing.Emulator = registered.AcmeEmulator(3, seed=9, api_key="acme_cli_key_01")
    record = emu.add_number("+12025550142")  # type: ignore[attr-defined]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHONEROUTING")}
    env["PYTHONPATH"] = str(package)
    with emu.serve() as base_url:
        write_accounts(tmp_path, {"prod": ("acme", base_url, emu.api_key)}, env)
        cli = Cli(tmp_path, env)

        listed = cli.run("providers", "--json")
        assert listed.code == 0, listed.err
        acme_row = json.loads(listed.out)[-1]
        assert (acme_row["provider"], acme_row["key_env"]) == ("acme", "ACME_API_KEY")

        numbers = cli.run("list", "prod", "--json")
        assert numbers.code == 0, numbers.err
        assert len(json.loads(numbers.out)) == 4

        changed = cli.run("set", "prod", "+12025550142", "--forwarding-number", "+12025550199")
        assert changed.code == 0, changed.err
        assert record["forward_to"] == "+12025550199"

        refused = cli.run("set", "prod", record["id"], "--label", "x")
        assert refused.code != 0
        assert "label" in refused.err
        assert emu.count("PATCH") == 1

    served = cli.popen("emulate", "--provider", "acme", "--port", "0", "--numbers", "2")
    try:
        assert served.stdout is not None
        assert re.fullmatch(r"http://127\.0\.0\.1:[0-9]+/v1\n", served.stdout.readline())
    finally:
        served.terminate()
        served.wait(timeout=10)
