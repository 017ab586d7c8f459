"""A real gunicorn on a free loopback port: HTTP, access log, clean stop, Schemathesis."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.conftest import ROOT, SEED, index_from_records
from tests.live import Server
from tests.test_web import ARTICLES


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_from_records(
        tmp_path_factory.mktemp("live"), ARTICLES, {SEED.name: SEED.read_bytes()}
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, index: Path) -> Iterator[Server]:
    srv = Server(index, tmp_path_factory.mktemp("logs") / "server.log")
    yield srv
    assert srv.stop() == 0, srv.log.read_text()
    log = srv.log.read_text()
    assert "Traceback" not in log


def test_search_over_http(server: Server) -> None:
    r = requests.get(server.url + "/api/search", params={"q": "taliban"}, timeout=10)
    assert r.status_code == 200
    assert r.json()["results"][0]["id"] == SEED.stem
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    page = requests.get(server.url + "/", params={"q": "taliban"}, timeout=10)
    assert page.status_code == 200 and "<mark>Taliban</mark>" in page.text
    css = requests.get(server.url + "/static/style.css", timeout=10)
    assert css.status_code == 200 and "mark" in css.text


def test_errors_over_http(server: Server) -> None:
    r = requests.get(server.url + "/api/search", params={"page": "0"}, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_parameter"
    r = requests.delete(server.url + "/api/search", timeout=10)
    assert r.status_code == 405


def test_a_query_at_the_size_limit_over_http(server: Server) -> None:
    """A 4,000-character question passes gunicorn's request line, and the page it gives
    can be left by its links: the browser sends its URL back as Referer."""
    question = ("what's the taliban's view, on coffee prices? " * 100)[:4000]
    params = {"q": question, "match": "any"}
    r = requests.get(server.url + "/api/search", params=params, timeout=10)
    assert len(r.request.url or "") > 4094  # gunicorn's default limit for a request line
    assert r.status_code == 200 and r.json()["total"] >= 1, r.text[:200]
    page = requests.get(server.url + "/", params=params, timeout=10)
    assert page.status_code == 200
    again = requests.get(server.url + "/", params={**params, "page": "1"},
                         headers={"Referer": page.url}, timeout=10)  # fmt: skip
    assert again.status_code == 200, again.text[:200]
    over = requests.get(server.url + "/api/search", params={"q": question + "x"}, timeout=10)
    assert over.status_code == 400 and "4,000 characters" in over.json()["error"]["message"]


def _log_record(server: Server, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first JSON log line the server wrote that satisfies ``predicate``."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for line in server.log.read_text().splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if predicate(record):
                    return record
        time.sleep(0.1)
    raise AssertionError(f"no such log line in:\n{server.log.read_text()}")


def test_access_log_is_one_json_line_per_request(server: Server) -> None:
    r = requests.get(
        server.url + "/api/search", params={"q": "logged"}, headers={"X-Request-Id": "t-123"},
        timeout=10,
    )  # fmt: skip
    assert r.headers["X-Request-Id"] == "t-123"
    record = _log_record(server, lambda d: d.get("request_id") == "t-123")
    assert record["event"] == "request" and record["level"] == "info"
    assert (record["method"], record["path"], record["query"], record["status"]) == (
        "GET", "/api/search", "q=logged", 200,
    )  # fmt: skip
    assert isinstance(record["ms"], float) and 0 <= record["ms"] < 10_000
    # An error's id is in its JSON envelope, its header and its log line.
    bad = requests.get(server.url + "/api/search", params={"per_page": "x"}, timeout=10)
    rid = bad.json()["error"]["request_id"]
    assert rid == bad.headers["X-Request-Id"] and len(rid) == 16
    assert _log_record(server, lambda d: d.get("request_id") == rid)["status"] == 400


@pytest.fixture(scope="module")
def api_schema(server: Server) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(server.url + "/api/openapi.json")


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
# (Schemathesis leaves out the document's own path.)
OPERATIONS = ["GET /api/search", "GET /api/export", "GET /api/articles/{id}", "GET /api/health",
              "GET /feed", "GET /api/docs"]  # fmt: skip


@pytest.mark.parametrize("label", OPERATIONS)
def test_api_conforms_to_its_openapi(api_schema: schemathesis.BaseSchema, label: str) -> None:
    """No 5xx for any input; every response (errors included) matches the document.

    (Driven through Hypothesis directly: Schemathesis' pytest plugin does not run
    under pytest 9.)"""
    operations = {op.ok().label: op.ok() for op in api_schema.get_all_operations()}
    assert set(operations) == set(OPERATIONS)
    tried = []

    @given(case=operations[label].as_strategy())
    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)  # fmt: skip
    def run(case: schemathesis.Case) -> None:
        tried.append(case)
        # Not "positive data acceptance": a schema-valid 2023-02-30 is still no date.
        case.call_and_validate(checks=CHECKS)

    run()
    assert tried


@pytest.mark.parametrize(
    ("host", "port", "message"),
    [
        ("127.0.0.1", None, r"Error: 127\.0\.0\.1:{port} is in use: stop what listens there, "
                            r"or choose another --port"),
        ("192.0.2.1", 0, r"Error: cannot listen on 192\.0\.2\.1:0: Cannot assign requested address"),
    ],
)  # fmt: skip
def test_serve_where_it_cannot_listen_fails_at_once_in_one_line(
    server: Server, index: Path, host: str, port: int | None, message: str
) -> None:
    """Not after gunicorn's five tries a second apart: a supervisor or a newcomer learns
    at once why, in one line, with a non-zero exit. (The port in use is the fixture
    server's own.)"""
    port = server.port if port is None else port
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "search.cli", "serve", "--index", str(index), "--host", host,
         "--port", str(port), "--workers", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    took = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert re.fullmatch(message.format(port=port) + r"\n", done.stderr), done.stderr
    assert done.stdout == ""
    assert took < 4, f"took {took:.1f} s"
    assert requests.get(server.url + "/api/health", timeout=10).status_code == 200


def test_every_line_of_the_log_is_a_json_object(index: Path, tmp_path: Path) -> None:
    """gunicorn's own lines (start, worker boot, signal, shutdown) are JSON like the
    app's access and error lines: one object per line, from start to stop."""
    srv = Server(index, tmp_path / "server.log", workers=1)
    requests.get(srv.url + "/api/search", params={"q": "taliban"}, timeout=10)
    requests.get(srv.url + "/api/search", params={"page": "0"}, timeout=10)
    assert srv.stop() == 0
    lines = srv.log.read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert all(isinstance(r, dict) and {"ts", "level", "logger", "pid"} <= set(r) for r in records)
    said = {(r["logger"], r.get("message", r.get("event"))) for r in records}
    for start in ("Starting gunicorn", "Booting worker with pid"):
        assert any(g == "gunicorn.error" and str(m).startswith(start) for g, m in said), start
    assert ("gunicorn.error", "Shutting down: Master") in said
    assert [r["status"] for r in records if r["logger"] == "news_search.access"][-2:] == [200, 400]


def test_a_revalidation_over_http_is_a_304_without_a_body(server: Server) -> None:
    first = requests.get(server.url + "/api/search", params={"q": "taliban"}, timeout=10)
    etag = first.headers["ETag"]
    again = requests.get(server.url + "/api/search", params={"q": "taliban"},
                         headers={"If-None-Match": etag}, timeout=10)  # fmt: skip
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    assert again.headers["Access-Control-Allow-Origin"] == "*"


def test_a_worker_reads_the_index_and_lexicon_before_its_first_request(server: Server) -> None:
    """The first "did you mean" on a worker took 0.55-0.72 s (the lexicon's first read);
    each worker now reads it as it boots, before it accepts (bench/README.md)."""
    requests.get(server.url + "/api/search", params={"q": "talibam"}, timeout=10)
    text = server.log.read_text()
    whole = text.splitlines() if text.endswith("\n") else text.splitlines()[:-1]  # being written
    records = [json.loads(line) for line in whole]
    warmed = [r for r in records if r.get("event") == "warmed"]
    assert len(warmed) == 2 and all(r["generation"].startswith("gen-") for r in warmed)
    for w in warmed:  # each worker said so before it answered anything
        first = next(r for r in records if r.get("event") == "request" and r["pid"] == w["pid"])
        assert records.index(w) < records.index(first)
