"""A real gunicorn on a free loopback port: HTTP, access log, clean stop, Schemathesis."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.conftest import SEED, index_from_records
from tests.live import Server
from tests.test_web import ARTICLES


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    index = index_from_records(
        tmp_path_factory.mktemp("live"), ARTICLES, {SEED.name: SEED.read_bytes()}
    )
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
OPERATIONS = ["GET /api/search", "GET /api/export", "GET /api/articles/{id}", "GET /api/health"]


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
