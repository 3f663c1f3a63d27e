"""The command line's options: --version, help, refused options, --timeout and
--max-retries, --dry-run, confirmation and --yes, errors naming their account."""

from __future__ import annotations

import argparse
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from phonerouting import testing
from phonerouting._version import __version__
from phonerouting.cli import build_parser, main
from tests.cli.conftest import SCRIPT, Cli

Served = tuple[Cli, dict[str, testing.Emulator]]


def test_version_is_fast_and_rich_stays_out_of_the_library() -> None:
    done = subprocess.run(
        [str(SCRIPT), "--version"], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout == f"phonerouting {__version__}\n"
    code = (
        # httpx loads rich itself for its own command line when click is installed
        # (httpx._main): kept out, so what is checked is what phonerouting imports.
        "import sys; sys.modules['click'] = None\n"
        "import phonerouting, phonerouting.migration\n"
        "assert 'rich' not in sys.modules, 'import phonerouting loaded rich'\n"
        "from phonerouting.cli import main\n"
        "main(['--version'])\n"
        "assert 'rich' not in sys.modules, '--version loaded rich'\n"
    )
    subprocess.run([sys.executable, "-c", code], timeout=30, check=True, capture_output=True)


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found += _parsers(child)
    return found


def test_every_option_has_help_and_no_markup() -> None:
    parsers = _parsers(build_parser())
    progs = {p.prog for p in parsers}
    assert {f"phonerouting migrate {a}" for a in ("plan", "apply", "verify", "rollback")} <= progs
    for parser in parsers:
        assert parser.description, parser.prog
        assert "`" not in parser.description, parser.prog
        for action in parser._actions:
            if action.help == argparse.SUPPRESS:
                continue
            assert action.help, (parser.prog, action.dest)
            assert "`" not in action.help, (parser.prog, action.dest)
    for words in (["migrate", "apply", "--help"], ["demo", "--help"]):
        done = subprocess.run(
            [str(SCRIPT), *words], capture_output=True, text=True, timeout=30, check=True
        )
        assert "`" not in done.stdout
    demo_help = subprocess.run(
        [str(SCRIPT), "demo", "--help"], capture_output=True, text=True, timeout=30
    ).stdout
    assert "numbers in the Linq v2 account (default 300)" in " ".join(demo_help.split())


@pytest.mark.parametrize(
    ("words", "refused"),
    [
        (["migrate", "plan", "--from", "a", "--to", "b", "--journal", "x", "--force"], "--journal"),
        (["migrate", "verify", "--from", "a", "--to", "b", "--concurrency", "3"], "--concurrency"),
        (["migrate", "rollback", "--to", "b", "--journal", "j", "--from", "a"], "--from"),
        (["migrate", "apply", "--from", "a", "--to", "b", "--journal", "j", "--all"], "--all"),
        (["providers", "--timeout", "3"], "--timeout"),
        (["list", "new", "--dry-run"], "--dry-run"),
    ],
)
def test_options_that_do_not_apply_are_refused(
    words: list[str], refused: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(words)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"unrecognized arguments: {refused}" in err
    command = words[:2] if words[0] == "migrate" else words[:1]
    assert err.startswith(f"phonerouting {' '.join(command)}: error: ")


def test_timeout_and_max_retries_on_the_command_line(served: Served) -> None:
    cli, emus = served
    new = emus["new"]
    new.faults.server_error(500, count=1, method="GET")
    assert cli.run("list", "new", "--max-retries", "0").code == 1
    new.faults.server_error(500, count=1, method="GET")
    assert cli.run("list", "new").code == 0  # the default retries absorb one 500

    # The flag overrides the accounts file.
    config = cli.folder / "phonerouting.toml"
    config.write_text(
        config.read_text().replace("[accounts.new]\n", "[accounts.new]\nmax_retries = 0\n")
    )
    new.faults.server_error(500, count=1, method="GET")
    assert cli.run("list", "new").code == 1
    new.faults.server_error(500, count=1, method="GET")
    assert cli.run("list", "new", "--max-retries", "1").code == 0

    new.faults.delay(5, count=1, method="GET")
    slow = cli.run("list", "new", "--timeout", "0.2", "--max-retries", "0")
    assert slow.code == 1
    assert "timeout" in slow.err.lower()
    for bad in ("0", "-1", "nan", "soon"):
        assert cli.run("list", "new", "--timeout", bad).code == 2


def test_set_and_clear_dry_run_send_nothing(served: Served) -> None:
    cli, emus = served
    crm = emus["crm"]
    number = next(iter(crm.numbers.values()))  # type: ignore[attr-defined]
    number.label = "Old desk"
    crm.clear_requests()
    shown = cli.run("set", "crm", number.id, "--label", "Front desk", "--dry-run")
    assert shown.code == 0, shown.err
    assert shown.out.splitlines() == [
        f"dry run: would change {number.number} ({number.id}) on close:",
        '  label: "Old desk" -> "Front desk"',
        f'  request: PUT /phone_number/{number.id}/ {{"label": "Front desk"}}',
        "nothing was sent",
    ]
    cleared = cli.run("clear", "crm", number.number, "label", "--dry-run", "--json")
    assert cleared.code == 0, cleared.err
    data = json.loads(cleared.out)
    assert data["dry_run"] is True
    assert data["changes"] == {"label": {"before": "Old desk", "after": None}}
    assert [r["method"] for r in data["requests"]] == ["PUT"]
    assert {r.method for r in crm.requests} == {"GET"}  # read, never written
    assert number.label == "Old desk"
    # What the provider cannot do is refused in a dry run too.
    refused = cli.run("set", "new", "+12025550100", "--label", "x", "--dry-run")
    assert refused.code in (1, 2)


def _apply_args(*extra: str) -> tuple[str, ...]:
    return ("migrate", "apply", "--from", "old", "--to", "new", "--journal", "j.sqlite", *extra)


def test_writing_many_numbers_off_a_terminal_needs_yes(served: Served) -> None:
    cli, emus = served
    refused = cli.run(*_apply_args())
    assert refused.code == 2
    assert refused.out == ""
    assert refused.err == (
        "phonerouting: error: migrate apply: apply: write 30 number(s) on target account "
        "new (linq-v3): add --yes to confirm (there is no terminal to ask on); nothing was "
        "written\n"
    )
    assert emus["new"].count("PUT") == 0
    assert not (cli.folder / "j.sqlite").exists()
    assert cli.run(*_apply_args("--yes")).code == 0

    rollback = ("migrate", "rollback", "--to", "new", "--journal", "j.sqlite")
    before = emus["new"].count("PUT")
    refused = cli.run(*rollback)
    assert refused.code == 2
    assert "rollback: restore 30 number(s) on target account new (linq-v3): add --yes" in (
        refused.err
    )
    assert emus["new"].count("PUT") == before
    assert cli.run(*rollback, "--yes").code == 0


def _on_a_terminal(cli: Cli, args: tuple[str, ...], answer: bytes) -> tuple[int, str, str]:
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [str(SCRIPT), *args],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=cli.env,
        cwd=cli.folder,
    )
    os.close(slave)
    terminal = b""
    while b"[y/N] " not in terminal:
        chunk = os.read(master, 4096)
        assert chunk, terminal
        terminal += chunk
    os.write(master, answer)
    assert process.stdout is not None
    out = process.stdout.read().decode()
    code = process.wait(timeout=60)
    try:
        while chunk := os.read(master, 65536):
            terminal += chunk
    except OSError:
        pass
    os.close(master)
    return code, out, terminal.decode(errors="replace")


def test_on_a_terminal_apply_asks_first(served: Served) -> None:
    cli, emus = served
    code, out, terminal = _on_a_terminal(cli, _apply_args(), b"n\n")
    assert code == 1
    assert out.startswith("plan linq-v2 -> linq-v3: 30 matched, 30 to write")
    assert "apply: write 30 number(s) on target account new (linq-v3)? [y/N] " in terminal
    assert "not confirmed; nothing was written" in terminal
    assert emus["new"].count("PUT") == 0

    code, out, terminal = _on_a_terminal(cli, _apply_args(), b"y\n")
    assert code == 0, terminal
    assert out.count("plan linq-v2 -> linq-v3") == 1  # shown once, before the question
    assert "30 written" in out
    assert emus["new"].count("PUT") == 30


def test_errors_over_two_accounts_name_the_account_and_its_role(served: Served) -> None:
    cli, _ = served
    env = dict(cli.env, TEST_NEW_SECRET="key-wrong-9999")
    bad_target = Cli(cli.folder, env).run("migrate", "plan", "--from", "old", "--to", "new")
    assert bad_target.code == 1
    assert bad_target.err.startswith(
        "phonerouting: error: migrate plan: target account new (linq-v3): "
    )
    assert bad_target.err.count("linq-v3") == 1
    env = dict(cli.env, TEST_OLD_SECRET="key-wrong-9999")
    bad_source = Cli(cli.folder, env).run(
        "migrate", "plan", "--from", "old", "--to", "new", "--json"
    )
    error = json.loads(bad_source.err)["error"]
    assert (error["account"], error["role"], error["type"]) == (
        "old",
        "source",
        "AuthenticationError",
    )


def test_a_missing_key_names_the_account_once(served: Served) -> None:
    cli, _ = served
    env = {k: v for k, v in cli.env.items() if k != "LINQ_API_V3_API_KEY"}
    missing = Cli(cli.folder, env).run("list", "linq-v3")
    assert missing.code == 2
    assert missing.err.count("linq-v3") == 1, missing.err
    assert "LINQ_API_V3_API_KEY" in missing.err


def _demo(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if "KEY" not in k and "TOKEN" not in k}
    return subprocess.run(
        [str(SCRIPT), "demo", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=folder,
        check=False,
    )


def test_demo_names_a_journal_that_exists_or_says_it_was_temporary(tmp_path: Path) -> None:
    temporary = _demo(tmp_path, "--numbers", "12")
    assert temporary.returncode == 0, temporary.stderr
    line = next(x for x in temporary.stdout.splitlines() if x.startswith("apply: journal"))
    assert "(temporary: deleted when the demo ends)" in line
    kept = tmp_path / "demo.sqlite"
    done = _demo(tmp_path, "--numbers", "12", "--journal", str(kept), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["journal"] == str(kept.resolve())
    assert kept.is_file()
    again = _demo(tmp_path, "--journal", str(kept))
    assert again.returncode == 2
    assert "already exists" in again.stderr


def test_a_number_without_its_country_code_is_said_so(served: Served) -> None:
    cli, emus = served
    missing = cli.run("show", "old", "312-246-1528")
    assert missing.code == 2
    assert missing.err == (
        "phonerouting: error: show old 312-246-1528: 312-246-1528 looks like a phone number "
        "without its country code; give it with one (e.g. +1 312-246-1528), or give the "
        "vendor's id\n"
    )
    assert emus["old"].requests == []
    # Digits alone may be a linq-v2 id: looked up as one.
    first = next(iter(emus["old"].numbers.values()))  # type: ignore[attr-defined]
    assert cli.run("show", "old", str(first.id)).code == 0


def test_with_json_the_question_and_plan_go_to_the_terminal(served: Served) -> None:
    cli, emus = served
    code, out, terminal = _on_a_terminal(cli, _apply_args("--json"), b"yes\n")
    assert code == 0, terminal
    assert json.loads(out)["written"] == 30  # stdout: the report, nothing else
    assert "plan linq-v2 -> linq-v3: 30 matched" in terminal
    assert emus["new"].count("PUT") == 30
