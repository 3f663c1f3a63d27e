"""The service benchmark still runs end to end, on each store (tiny sizes; timings are
not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(200)
@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_quick_service_benchmark_applies_its_change_set_on_each_store(
    store: str, request: pytest.FixtureRequest
) -> None:
    args = ["--store", request.getfixturevalue("postgres_url")] if store == "postgresql" else []
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "server.py"), "--quick", "--rounds", "1", *args],
        capture_output=True,
        text=True,
        timeout=190,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    document = done.stdout[: done.stdout.index("\n\n| measurement")]
    results = json.loads(document)
    (only,) = results["change_set"]["rounds"]
    assert (only["state"], only["numbers_written"], only["library_report_ok"]) == (
        "applied",
        50,
        True,
    )
    assert results["numbers"] == 396
    assert "| change set of 50 (applied;" in done.stdout
