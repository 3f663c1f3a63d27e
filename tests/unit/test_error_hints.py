"""An error's advice in the library's terms or the command line's."""

from __future__ import annotations

from phonerouting.errors import ConfigurationError, RoutingError


def test_describe_uses_the_cli_hint_only_when_asked() -> None:
    error = ConfigurationError(
        "bad concurrency", hint="Pass concurrency=4.", cli_hint="Use --concurrency 4."
    )
    assert str(error) == "bad concurrency. Pass concurrency=4."
    assert error.describe() == "bad concurrency. Pass concurrency=4."
    assert error.describe(cli=True) == "bad concurrency. Use --concurrency 4."


def test_describe_falls_back_to_the_library_hint() -> None:
    error = RoutingError("boom", hint="Do this.")
    assert error.cli_hint is None
    assert error.describe(cli=True) == "boom. Do this."
