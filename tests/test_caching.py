"""ETags of the index's state, Cache-Control, and 304s that cost no search."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import brotli
import pytest
from flask.testing import FlaskClient

from search.indexing import update
from tests.conftest import index_from_records
from web import caching, create_app

RECORDS = [
    {"id": f"c{i}", "title": f"Coffee report {i}", "published": f"2023-0{1 + i % 9}-10",
     "section": "Markets", "body": f"Coffee prices moved in week {i}."}
    for i in range(12)
]  # fmt: skip

CACHED = [
    ("/api/search?q=coffee", "public, max-age=60"),
    ("/?q=coffee", "public, max-age=60"),
    ("/feed?q=coffee", "public, max-age=60"),
    ("/api/articles/c1", "public, max-age=300"),
    ("/articles/c1?q=coffee", "public, max-age=300"),
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_from_records(tmp_path_factory.mktemp("caching"), RECORDS)


@pytest.mark.parametrize(("url", "cache_control"), CACHED)
def test_answers_carry_the_index_state_and_revalidate_to_304(
    client: FlaskClient, url: str, cache_control: str
) -> None:
    first = client.get(url)
    assert first.status_code == 200 and first.headers["Cache-Control"] == cache_control
    etag = first.headers["ETag"]
    # The index's state and this code's: an upgrade that changes a page changes its tag.
    assert etag.startswith('W/"gen-') and etag.endswith(f'.{caching.VERSION}"')
    assert len(caching.VERSION.split("-")[-1]) == 10
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == cache_control
    other = client.get(url, headers={"If-None-Match": 'W/"gen-000000.1.0"'})
    assert other.status_code == 200 and other.headers["ETag"] == etag  # a stale tag: answered
    star = client.get(url, headers={"If-None-Match": "*"})
    assert star.status_code == 200


def test_an_update_changes_the_tag(tmp_path: Path) -> None:
    index_dir = index_from_records(tmp_path / "own", RECORDS)
    client = create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client()
    etag = client.get("/api/search?q=coffee").headers["ETag"]
    src = tmp_path / "more"
    src.mkdir()
    (src / "one.jsonl").write_text(
        '{"id": "n1", "title": "Coffee news", "published": "2023-09-01", "body": "Coffee."}\n'
    )
    update([src], index_dir)
    fresh = client.get("/api/search?q=coffee", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert fresh.get_json()["total"] == len(RECORDS) + 1


@pytest.mark.parametrize(
    "url", ["/api/search?page=0", "/api/articles/nope", "/api/health", "/api/export?q=coffee",
            "/?q=coffee&from=March"],
)  # fmt: skip
def test_errors_exports_and_health_are_not_cached(client: FlaskClient, url: str) -> None:
    r = client.get(url)
    assert "ETag" not in r.headers and r.headers["Cache-Control"] == "no-store"


def test_a_revalidation_is_answered_without_searching(client: FlaskClient, index_dir: Path) -> None:
    """An app whose every search ends at once (a deadline of a nanosecond) still answers
    a revalidation 304: it never searched."""
    etag = client.get("/api/search?q=coffee").headers["ETag"]
    hasty = create_app({"TESTING": True, "INDEX": str(index_dir), "SEARCH_CPU_SECONDS": 1e-9,
                        "SEARCH_WALL_SECONDS": 1e-9}).test_client()  # fmt: skip
    assert hasty.get("/api/search?q=coffee").status_code == 503
    assert hasty.get("/api/search?q=coffee", headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize(
    ("accept", "encoding", "decode"),
    [
        ("gzip", "gzip", gzip.decompress),
        ("br;q=1.0, gzip;q=0.5", "br", brotli.decompress),
        ("gzip;q=0, identity", None, None),
        ("", None, None),
    ],
)
@pytest.mark.parametrize("url", ["/api/search?q=coffee&per_page=12", "/?q=coffee", "/feed"])
def test_json_html_and_the_feed_are_compressed_for_clients_that_accept_it(
    client: FlaskClient, url: str, accept: str, encoding: str | None, decode: Any
) -> None:
    plain = client.get(url)
    r = client.get(url, headers={"Accept-Encoding": accept})
    assert "Accept-Encoding" in r.headers["Vary"]
    assert r.headers.get("Content-Encoding") == encoding
    assert r.headers["ETag"] == plain.headers["ETag"]  # weak: the same for every encoding
    if decode is not None:
        assert len(r.data) < len(plain.data) / 2
        body = decode(r.data)
        # The same answer (bar the time it took).
        assert re.sub(rb"took_ms\W+[\d.]+|\(\d+ ms\)", b"", body) == re.sub(
            rb"took_ms\W+[\d.]+|\(\d+ ms\)", b"", plain.data
        )


def test_exports_and_small_answers_are_sent_as_they_are(client: FlaskClient) -> None:
    export = client.get("/api/export?q=coffee&format=jsonl", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in export.headers and export.data.count(b"\n") == len(RECORDS)
    health = client.get("/api/health", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in health.headers  # under 1 KB
