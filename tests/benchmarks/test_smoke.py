"""The benchmark script still runs end to end (tiny sizes; timings are not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(180)
def test_quick_benchmark_reports_all_five_comparisons(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(out.read_text())
    assert set(results) == {"machine", "latency", "bulk", "migration", "import", "memory"}
    assert set(results["latency"]["median_us"]) == {"phonerouting", "bare httpx", "linq-python"}
    assert results["bulk"]["requests"] == 200
    assert results["migration"]["numbers"] == 100
    assert [r["numbers"] for r in results["memory"]["runs"]] == [1000, 2000]
    for section in ("latency", "bulk", "import", "memory"):
        assert isinstance(results[section]["met"], bool)
    assert "| 1. one forwarding update" in done.stdout
