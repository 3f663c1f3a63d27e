"""The benchmark script still runs end to end (tiny sizes; timings are not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


# Bounded, with room for a machine several times oversubscribed: bare httpx, one of the
# three bulk contenders, runs at a few dozen requests a second there.
@pytest.mark.timeout(330)
def test_quick_benchmark_reports_all_five_comparisons(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=320,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(out.read_text())
    assert set(results) == {
        "machine",
        "library_work",
        "latency",
        "bulk",
        "migration",
        "reads",
        "rate_limit",
        "import",
        "memory",
    }
    assert set(results["latency"]["median_us"]) == {"phonerouting", "bare httpx", "linq-python"}
    assert results["bulk"]["requests"] == 200
    assert set(results["bulk"]["median_per_second"]) == {
        "phonerouting",
        "bare aiohttp",
        "bare httpx",
    }
    assert {"ratio_vs_aiohttp", "ratio_vs_httpx"} <= set(results["bulk"])
    assert results["migration"]["numbers"] == 100
    # Compare before write: one GET per number where the vendor has one, and far less
    # than one listing per number where it has none.
    assert results["reads"]["close"]["extra_requests_per_number"] == 1.0
    assert 0 < results["reads"]["linq-v3"]["extra_requests_per_number"] < 0.1
    for run in results["rate_limit"]["providers"]["close"].values():
        assert run["retries"] == run["rate_limited_seen_by_vendor"]
    # The memory probe measures its own process: a listing always grows it, so a zero
    # would mean the baseline was taken from the wrong process (as ru_maxrss once was).
    for run in results["memory"]["runs"]:
        assert run["growth_mb"] > 0
        assert run["peak_mb"] > run["growth_mb"]
    assert [r["numbers"] for r in results["memory"]["runs"]] == [1000, 2000]
    assert all(run["raw_read_only"] for run in results["memory"]["runs"])
    for section in ("latency", "bulk", "migration", "import", "memory"):
        assert isinstance(results[section]["met"], bool)
    for section in ("latency", "bulk", "migration"):
        assert isinstance(results[section]["emulator_is_bottleneck"], bool)
    assert set(results["library_work"]) >= {"sync_us", "async_us"}
    assert "| 1. one forwarding update" in done.stdout
    assert "Machine: " in done.stdout
    # Every comparison gets a line saying what its numbers mean.
    for n in range(1, 6):
        assert f"* {n}. " in done.stdout
