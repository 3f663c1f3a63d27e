"""How the command line reports what went wrong: one line on stderr (one JSON object
with ``--json``), and the exit code.

Exit codes: 0 success; 1 some numbers failed, differ or changed since the plan, or a
vendor refused; 2 a usage or configuration error, a refused confirmation, or output that
cannot be written; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any

import attrs

from phonerouting.cli.display import escape
from phonerouting.errors import ConfigurationError, RoutingError, ValidationError

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "Side",
    "UsageError",
    "exit_code",
    "mark_side",
    "print_failure",
    "print_routing_error",
    "side_of",
]

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """A usage error found after parsing, in the command line's own words (exit 2)."""


@attrs.frozen
class Side:
    """The account an error came from, in a command over two accounts."""

    #: ``"source"`` or ``"target"``.
    role: str
    account: str
    provider: str

    def label(self) -> str:
        """How the error line names the account: once, with its role and provider."""
        if self.account == self.provider:
            return f"{self.role} account {self.account}"
        return f"{self.role} account {self.account} ({self.provider})"


_SIDE_ATTRIBUTE = "_phonerouting_cli_side"


def mark_side(error: RoutingError, side: Side) -> None:
    """Record on ``error`` which account of the command it came from (the first says)."""
    if side_of(error) is None:
        setattr(error, _SIDE_ATTRIBUTE, side)


def side_of(error: BaseException) -> Side | None:
    """The account `mark_side` recorded on ``error``, if any."""
    side = getattr(error, _SIDE_ATTRIBUTE, None)
    return side if isinstance(side, Side) else None


def exit_code(error: RoutingError) -> int:
    """2 for what the user must fix before anything is sent, else 1."""
    if isinstance(error, ConfigurationError):
        return EXIT_USAGE
    if isinstance(error, ValidationError) and error.status is None:
        return EXIT_USAGE
    return EXIT_PARTIAL


def _one_line(message: str) -> str:
    # One line, whatever a vendor put in its message: whitespace runs become one space,
    # and what is left that a terminal would act on is escaped.
    return escape(" ".join(message.split()))


def print_failure(
    subject: str, as_json: bool, kind: str, message: str, fields: dict[str, Any]
) -> None:
    """Print one failure: ``phonerouting: error: SUBJECT: MESSAGE``, or with ``--json``
    one JSON object ``{"error": {"type", "command", "message", ...fields}}``."""
    message = " ".join(message.split())
    try:
        if as_json:
            payload = {"type": kind, "command": subject, "message": message, **fields}
            sys.stderr.write(json.dumps({"error": payload}, default=str) + "\n")
        else:
            sys.stderr.write(f"phonerouting: error: {escape(subject)}: {_one_line(message)}\n")
        sys.stderr.flush()
    except OSError:
        pass  # stderr itself is gone: the exit code still says it


def _message(error: RoutingError, subject_accounts: tuple[str, ...], side: Side | None) -> str:
    text = error.describe(cli=True)
    head = f"{error.provider}: " if error.provider else ""
    # Name the account (and its provider) once: drop the provider head when the line
    # already says it, through the side's label or an account named after the provider.
    if head and text.startswith(head) and (side is not None or error.provider in subject_accounts):
        text = text[len(head) :]
    if side is not None:
        text = f"{side.label()}: {text}"
    return text


def print_routing_error(
    subject: str,
    subject_accounts: tuple[str, ...],
    as_json: bool,
    verbose: bool,
    error: RoutingError,
) -> None:
    """Print a library error in the command line's terms (`RoutingError.describe` with
    ``cli=True``), naming the account it came from once."""
    side = side_of(error)
    fields: dict[str, Any] = {
        name: getattr(error, name)
        for name in ("provider", "status", "code", "request_id", "doc_url", "retry_after")
    }
    fields["details"] = dict(error.details)
    if isinstance(error, ValidationError):
        fields["field"] = error.field
    if side is not None:
        fields["account"], fields["role"] = side.account, side.role
    print_failure(
        subject, as_json, type(error).__name__, _message(error, subject_accounts, side), fields
    )
    if verbose and not as_json:
        lines = [f"  type: {type(error).__name__}"]
        for name in ("provider", "status", "code", "request_id", "doc_url"):
            lines.append(f"  {name}: {escape(str(getattr(error, name)))}")
        for key, value in error.details.items():
            lines.append(f"  details.{escape(key)}: {escape(str(value))}")
        if error.retry_after is not None:
            lines.append(f"  retry_after: {error.retry_after:g}")
        with contextlib.suppress(OSError):
            sys.stderr.write("\n".join(lines) + "\n")
