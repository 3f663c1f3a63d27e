"""The store benchmark still runs end to end on both stores (tiny sizes; timings are
not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(200)
def test_quick_store_benchmark_measures_every_operation_on_both_stores(
    postgres_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "store.py"),
            "--quick",
            "--url",
            postgres_url,
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=190,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(out.read_text())
    assert set(results) == {"sqlite", "postgresql"}
    operations = {
        "record_write",
        "get_number",
        "query_numbers_page_100",
        "query_numbers_label_search",
        "append_audit",
        "claim_and_update_job",
        "take_lease",
        "get_session",
    }
    for measured in results.values():
        assert set(measured) == {"numbers", "replace_inventory_s", *operations}
        assert all(measured[op]["p50_us"] > 0 for op in operations)
    assert "| record_write |" in done.stdout
