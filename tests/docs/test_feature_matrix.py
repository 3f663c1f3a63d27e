"""The committed feature matrix page is exactly what the adapters declare."""

from __future__ import annotations

from scripts.feature_matrix import PAGE, render


def test_committed_matrix_is_current() -> None:
    assert PAGE.read_text(encoding="utf-8") == render(), (
        "docs/feature-matrix.md is stale: run python scripts/feature_matrix.py"
    )


def test_matrix_rows_follow_the_capabilities() -> None:
    page = render()
    assert "| `forwarding_number` | ✓ | ✓ | — | ✓ |" in page
    assert "| `campaign_id` | — | — | ✓ | — |" in page
    assert "| `ring_duration` | — | — | — | ✓ |" in page
