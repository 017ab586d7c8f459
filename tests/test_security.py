"""Hostile input reaching HTML, security headers, request ids, and no writes over HTTP."""

from __future__ import annotations

import logging
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import assert_error, index_from_records
from web import create_app
from web.security import SECURITY_HEADERS

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
    "</title><script>alert(4)</script>",
    "javascript:alert(5)",
    "<a href=javascript:alert(6)>x</a>",
    "<iframe src=//evil.example></iframe>",
    '<div style="background:url(x)">',
]

#: Articles whose every field carries a payload, findable by the word "zebra".
ARTICLES = [
    {"id": f"p{i}", "title": f"Zebra {p}", "published": f"2021-0{1 + i % 9}-03",
     "section": f"Sec {p}", "standfirst": f"Stand {p}", "body": f"The zebra said {p} twice."}
    for i, p in enumerate(PAYLOADS)
]  # fmt: skip


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_from_records(tmp_path_factory.mktemp("hostile"), ARTICLES)


class Tags(HTMLParser):
    """Every start tag and its attributes, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_inert(html: str) -> None:
    parser = Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in {"script", "img", "iframe", "object", "embed"}, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name != "style", tag
            if name in {"href", "src", "action", "formaction", "xlink:href"}:
                assert not (value or "").strip().lower().startswith("javascript:"), (tag, value)
    assert "<script" not in html.lower()


def _urls() -> list[str]:
    urls = []
    for p in PAYLOADS:
        q = quote(p, safe="")
        urls += [
            f"/?q={q}",  # the query echoed in the form, notes, the empty state
            f"/?q=zebra+{q}",
            f"/?q=zebbra+{q}",  # "did you mean" with the payload kept
            f"/?q=zebra&section={q}",  # the section filter shown as removable
            f"/?q=title:{q}",  # field syntax, notes
            f"/?from={q}",  # a 400 page naming the bad value
            f"/?q=zebra&sort={q}",
            f"/articles/{q}",  # a 404 page naming the id
        ]
    urls += ["/?q=zebra", "/?q=zebra&per_page=20"] + [f"/articles/p{i}?q=zebra"
                                                      for i in range(len(PAYLOADS))]  # fmt: skip
    return urls


@pytest.mark.parametrize("url", _urls())
def test_payloads_are_inert_in_every_page(client: FlaskClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code in (200, 400, 404), r.status_code
    assert r.content_type.startswith("text/html")
    assert_inert(r.get_data(as_text=True))


def test_payload_text_is_shown_escaped(client: FlaskClient) -> None:
    html = client.get("/?q=zebra&per_page=20").get_data(as_text=True)
    # titles, facet values and snippets carry the payloads as visible text
    assert "Zebra &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Sec &lt;iframe src=//evil.example&gt;&lt;/iframe&gt;" in html
    assert "<mark>zebra</mark> said &lt;script&gt;" in html
    r = client.get("/?from=" + quote("<b>x</b>"))
    assert r.status_code == 400 and "&lt;b&gt;x&lt;/b&gt;" in r.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/", "/?q=zebra", "/articles/p0", "/articles/nope",
                                 "/?page=0", "/api/search?q=zebra", "/api/health",
                                 "/api/nothing", "/static/style.css", "/api/openapi.json",
                                 "/feed?q=zebra"])  # fmt: skip
def test_security_headers_on_every_response(client: FlaskClient, url: str) -> None:
    r = client.get(url)
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, name
    csp = r.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp  # no script at all
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp


@pytest.mark.parametrize(
    "path",
    ["/articles/..%2F..%2F..%2Fetc%2Fpasswd", "/articles/%2Fetc%2Fpasswd",
     "/api/articles/..%2F..%2Fetc%2Fpasswd", "/api/articles/....%2F%2Fetc%2Fpasswd",
     "/articles/%2E%2E%2Fnews-search.json", "/api/articles/..", "/static/..%2F__init__.py",
     "/static/../../pyproject.toml"],
)  # fmt: skip
def test_article_ids_never_reach_the_file_system(client: FlaskClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    text = r.get_data(as_text=True)
    assert "root:" not in text and "schema_version" not in text and "import" not in text


def test_nothing_that_changes_the_index_is_reachable(app: Flask, client: FlaskClient) -> None:
    rules = list(app.url_map.iter_rules())
    assert {m for rule in rules for m in rule.methods or ()} <= {"GET", "HEAD", "OPTIONS"}
    for rule in rules:
        path = rule.rule.replace("<article_id>", "p0").replace("<path:filename>", "style.css")
        for method in ("post", "put", "patch", "delete"):
            r = getattr(client, method)(path)
            assert r.status_code == 405, (method, path)
            if path.startswith("/api"):
                assert_error(r, 405, "method_not_allowed")


def test_request_ids_join_an_error_to_its_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = index_from_records(tmp_path, ARTICLES[:1])
    app = create_app({"TESTING": True, "INDEX": str(index)})

    @app.get("/api/explode")
    def explode() -> str:  # a fault inside a view, as a bug would raise it
        raise ZeroDivisionError("division by zero")

    with caplog.at_level(logging.INFO, logger="news_search"):
        r = app.test_client().get("/api/explode")
    body = assert_error(r, 500, "internal_error")
    rid = body["error"]["request_id"]
    assert rid in body["error"]["message"] and "ZeroDivision" not in body["error"]["message"]
    (error,) = [rec for rec in caplog.records if getattr(rec, "event", "") == "exception"]
    assert error.fields["request_id"] == rid and error.exc_info is not None  # type: ignore[attr-defined]
    assert error.getMessage() == "ZeroDivisionError: division by zero"
    (access,) = [rec for rec in caplog.records if getattr(rec, "event", "") == "request"]
    assert access.fields["request_id"] == rid and access.fields["status"] == 500  # type: ignore[attr-defined]
    # A caller's own id is kept when it is a sane token, replaced when it is not.
    client = app.test_client()
    assert (
        client.get("/api/health", headers={"X-Request-Id": "lb-42"}).headers["X-Request-Id"]
        == "lb-42"
    )
    bad = client.get("/api/health", headers={"X-Request-Id": "x\u00e9<script>"})
    assert (
        bad.headers["X-Request-Id"] != "x\u00e9<script>" and len(bad.headers["X-Request-Id"]) == 16
    )
