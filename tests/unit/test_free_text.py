"""Text that would change what a reader sees is refused on write: control characters,
bidi controls and line breaks, in labels and URLs, named by their code point."""

from __future__ import annotations

import pytest

import phonerouting as pr
from phonerouting.inputs import BIDI_CONTROLS

TEXT_FIELDS = ("label", "inbound_url", "status_url", "voicemail_greeting_url")

# (what goes in, the character the error names, where it sits).
FORBIDDEN = [
    ("\x1b[2J\x1b[31mPWNED\x1b[0m\nfake line\r", "U+001B", 0),  # clears a screen, forges rows
    ("fake\nline", "U+000A", 4),
    ("carriage\rreturn", "U+000D", 8),
    ("nul\x00", "U+0000", 3),
    ("del\x7f", "U+007F", 3),
    ("c1\x85", "U+0085", 2),
    ("sep\u2028line", "U+2028 (LINE SEPARATOR)", 3),
    ("par\u2029a", "U+2029 (PARAGRAPH SEPARATOR)", 3),
    ("Front\u202edesk", "U+202E (RIGHT-TO-LEFT OVERRIDE)", 5),
    ("lrm\u200e", "U+200E (LEFT-TO-RIGHT MARK)", 3),
    ("alm\u061c", "U+061C (ARABIC LETTER MARK)", 3),
    ("iso\u2066late", "U+2066 (LEFT-TO-RIGHT ISOLATE)", 3),
]


def _valued(field: str, text: str) -> str:
    return f"https://example.com/{text}" if field.endswith("_url") else text


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize(("text", "named", "position"), FORBIDDEN)
def test_invisible_or_layout_characters_are_refused_by_code_point(
    field: str, text: str, named: str, position: int
) -> None:
    value = _valued(field, text)
    offset = len(value) - len(text)
    with pytest.raises(pr.ValidationError) as caught:
        pr.RoutingUpdate(**{field: value})
    error = caught.value
    assert (error.field, error.status) == (field, None)
    assert error.message == (
        f"{field} must not contain control characters, bidi controls or line breaks; "
        f"it holds {named} at position {position + offset}"
    )


@pytest.mark.parametrize("control", sorted(BIDI_CONTROLS))
def test_every_bidi_control_is_refused(control: str) -> None:
    with pytest.raises(pr.ValidationError, match=f"U\\+{ord(control):04X}"):
        pr.RoutingUpdate(label=f"Support{control}")


@pytest.mark.parametrize(
    "label",
    [
        "Front desk",
        "Réception — 2ᵉ étage",
        "שירות לקוחות",  # right-to-left script itself is fine
        "客服",
        "ok 👍🏽 👨\u200d👩\u200d👧",  # zero-width joiners build emoji: kept
        "tab\tstop".replace("\t", " "),
    ],
)
def test_ordinary_text_of_any_script_is_accepted(label: str) -> None:
    assert pr.RoutingUpdate(label=label).label == label


def test_a_url_with_a_space_is_still_refused_as_such() -> None:
    with pytest.raises(pr.ValidationError) as caught:
        pr.RoutingUpdate(inbound_url="https://example.com/a b")
    assert caught.value.message == "inbound_url must not contain spaces"
