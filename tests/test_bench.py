"""The benchmark scripts stay runnable: they import the engine's current API and parse."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize(
    "script",
    ["make_corpus.py", "run.py", "long_queries.py", "load.py", "soak.py", "relevance/run.py"],
)
def test_bench_script_help(script: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage:")


def test_bench_query_set_loads() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import queries  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    loaded = queries.load(ROOT / "bench" / "queries.txt")
    assert len(loaded) == 560
    assert sum(1 for q in loaded if q.date_from) == 280
