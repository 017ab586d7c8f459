"""Shared fixtures: real indexes on disk, built by the engine from real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from search.indexing import build
from web import create_app

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = FIXTURES / "seed.txt"
SHARED = ROOT.parent / "shared"
REUTERS = SHARED / "corpora" / "reuters21578"

#: As root, read permissions mean nothing: drop the capabilities that bypass them.
WITHOUT_ROOT_READS = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def cli(*args: str, honour_permissions: bool = False) -> subprocess.CompletedProcess[str]:
    """``news-search ARGS`` in a new process, as it is run by hand (``honour_permissions``:
    without root's power to read what it may not, so that ``chmod 000`` means it)."""
    prefix = WITHOUT_ROOT_READS if honour_permissions and os.geteuid() == 0 else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "search.cli", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


needs_reuters = pytest.mark.skipif(
    not REUTERS.is_dir(), reason=f"Reuters-21578 is not at {REUTERS} (../shared is absent)"
)


@pytest.fixture(scope="session")
def relevance_bench() -> Iterator[dict[str, ModuleType]]:
    """The relevance benchmark's modules (bench/relevance: corpora, metrics, systems),
    imported from their folder as the benchmark script imports them."""
    folder = str(ROOT / "bench" / "relevance")
    sys.path.insert(0, folder)
    try:
        import corpora  # type: ignore[import-not-found]
        import metrics  # type: ignore[import-not-found]
        import systems  # type: ignore[import-not-found]

        yield {"corpora": corpora, "metrics": metrics, "systems": systems}
    finally:
        sys.path.remove(folder)


def page(
    title: str = "A headline",
    published: str = "29 April 2023",
    body: Iterable[str] = ("A first paragraph of the body.",),
    standfirst: str | None = "A standfirst, reports Test Wire",
    section: str | None = "World",
    today: str | None = "10 March 2025",
    reading: str | None = "2 mins read",
) -> str:
    """An article page in the scraped format."""
    lines = []
    if today:
        lines.append(f"Today: {today}")
    lines.append(published)
    if reading:
        lines.append(reading)
    lines += ["", title, ""]
    if standfirst:
        lines += [standfirst, ""]
    for p in body:
        lines += [p, ""]
    if section:
        lines += [f"Latest from -{section}", "", "A teaser about zanzibar", ""]
    return "\n".join(lines)


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write files (name -> text or bytes; a name may hold folders) under ``folder``."""
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return folder


def index_from_records(
    workdir: Path, records: Iterable[dict[str, Any]], pages: dict[str, bytes] | None = None
) -> Path:
    """Build ``workdir/index`` from JSON Lines records (and article pages), return it."""
    src = workdir / "src"
    src.mkdir(parents=True, exist_ok=True)
    with open(src / "records.jsonl", "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    for name, data in (pages or {}).items():
        (src / name).write_bytes(data)
    location = workdir / "index"
    build([src], location)
    return location


@pytest.fixture
def make_index(tmp_path: Path) -> Callable[..., Path]:
    """Write article pages (name -> text or bytes) and JSON Lines records, build an index."""

    def make(
        pages: dict[str, str | bytes] | None = None,
        records: list[dict[str, Any]] | None = None,
        name: str = "index",
    ) -> Path:
        src = tmp_path / f"{name}-src"
        src.mkdir(exist_ok=True)
        for fname, content in (pages or {}).items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            (src / fname).write_bytes(data)
        if records:
            with open(src / "export.jsonl", "w", encoding="utf-8") as f:
                for r in records:
                    f.write(json.dumps(r) + "\n")
        location = tmp_path / name
        build([src], location)
        return location

    return make


@pytest.fixture(scope="session")
def reuters_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All of Reuters-21578, indexed once per test session."""
    if not REUTERS.is_dir():
        pytest.skip(f"Reuters-21578 is not at {REUTERS} (../shared is absent)")
    location = tmp_path_factory.mktemp("reuters") / "index"
    build([REUTERS], location, "reuters", procs=2)
    return location


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index holding only the seed page."""
    src = tmp_path_factory.mktemp("seed-src")
    (src / SEED.name).write_bytes(SEED.read_bytes())
    location = tmp_path_factory.mktemp("seed") / "index"
    build([src], location)
    return location


@pytest.fixture(scope="module")
def app(index_dir: Path) -> Flask:
    """The app over the module's ``index_dir`` (each web test module defines that)."""
    return create_app({"TESTING": True, "INDEX": str(index_dir)})


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as c:
        yield c


def assert_error(response: TestResponse, status: int, code: str | None = None) -> dict[str, Any]:
    """Every API error: the status, JSON, and exactly the one envelope."""
    assert response.status_code == status
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "request_id"}
    assert body["error"]["status"] == status
    assert body["error"]["request_id"] == response.headers["X-Request-Id"] != "-"
    if code:
        assert body["error"]["code"] == code
    assert body["error"]["message"] and "\n" not in body["error"]["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


#: Words that records made by tests are written with (common news words).
NEWS_WORDS = [
    "oil",
    "price",
    "coffee",
    "cocoa",
    "wheat",
    "grain",
    "bank",
    "rate",
    "trade",
    "deficit",
    "opec",
    "meeting",
]
