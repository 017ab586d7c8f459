"""A bounded load test: 16 clients for 20 s against `serve --workers 2` on loopback.

It uses the benchmark's own load client (bench/load.py) and query set, prints the
figures, and fails on any error. Speed is measured in bench/, not asserted here.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REUTERS, ROOT
from tests.live import Server
from tests.test_kills import write_source

CLIENTS = 16
SECONDS = 20


def _bench_load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def load_index(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """All of Reuters when ../shared is here (as in CI); else 3,000 generated records."""
    if REUTERS.is_dir():
        location: Path = request.getfixturevalue("reuters_index")
        return location
    from search.indexing import build

    src = tmp_path_factory.mktemp("load-src")
    write_source(src, 3000, "oil")
    location = tmp_path_factory.mktemp("load") / "index"
    build([src], location)
    return location


def test_sixteen_clients_for_twenty_seconds(load_index: Path, tmp_path: Path) -> None:
    load = _bench_load()
    queries = load.load_queries(ROOT / "bench" / "queries.txt")
    server = Server(load_index, tmp_path / "server.log", workers=2)
    try:
        # Each worker opens the index on its first request.
        load.run_phase("warm-up", server.port, "/api/search", queries, CLIENTS, 3, server.proc.pid)
        phase = load.run_phase(
            "/api/search", server.port, "/api/search", queries, CLIENTS, SECONDS, server.proc.pid
        )
    finally:
        code = server.stop()
    summary = phase.summary()
    print("\n" + json.dumps(summary))
    assert code == 0
    assert summary["errors"] == 0, summary["error_examples"]
    assert summary["requests"] >= CLIENTS * 10
    assert len(summary["worker_rss_mb"]) == 2
    assert "Traceback" not in server.log.read_text()
