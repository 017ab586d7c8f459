"""Take the results away: every match (not a page) as CSV or JSON Lines, streamed, from
the engine, the API and the CLI, in the order the search ranks them."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from search.articles import Article
from search.cli import main
from search.documents import get_article
from search.errors import InvalidParameter
from search.export import EXPORT_FIELDS, JSONL_FIELDS, export, export_lines
from search.querying import search
from tests.conftest import SEED, assert_error, index_from_records
from tests.test_web import ARTICLES
from web import create_app

#: 300 wheat articles: more than a page, more than per_page's 100.
RECORDS = ARTICLES + [
    {"id": f"x{i}", "title": f"Wheat, \"quoted\"\nline {i}", "published": f"2019-{1 + i % 12:02d}-02",
     "section": "Agri, culture", "standfirst": "=SUM(A1) said, \"wheat\"",
     "body": f"Wheat field {i}, with commas; and a\nnewline."}
    for i in range(270)
]  # fmt: skip


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_from_records(tmp_path_factory.mktemp("export"), RECORDS)


@pytest.mark.parametrize("sort", ["relevance", "recent", "newest", "oldest"])
def test_export_is_every_match_in_search_order(index_dir: Path, sort: str) -> None:
    result = export("wheat", sort=sort, index=index_dir)
    rows = list(result.rows)
    assert result.total == len(rows) == 300
    first_page = search("wheat", sort=sort, per_page=100, index=index_dir)
    assert [r["id"] for r in rows[:100]] == [h.id for h in first_page.hits]
    assert len({r["id"] for r in rows}) == 300
    assert tuple(rows[0]) == (*EXPORT_FIELDS, *JSONL_FIELDS)  # CSV takes the columns


def test_csv_round_trips_commas_quotes_and_newlines(index_dir: Path) -> None:
    text = "".join(export_lines(export("wheat", section="Agri, culture", body=True,
                                       index=index_dir), "csv"))  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == 270
    row = next(r for r in rows if r["id"] == "x7")
    assert row["title"] == 'Wheat, "quoted"\nline 7'
    assert row["standfirst"] == '\'=SUM(A1) said, "wheat"'  # a formula, neutralised
    assert row["body"] == "Wheat field 7, with commas; and a\nnewline."
    assert row["section"] == "Agri, culture" and row["page_url"] == "/articles/x7"
    assert row["url"] == ""  # no original address in these records


def test_empty_export_and_bad_format(index_dir: Path) -> None:
    assert list(export_lines(export("nothingmatches", index=index_dir), "csv")) == [
        ",".join(EXPORT_FIELDS) + "\r\n"
    ]
    with pytest.raises(InvalidParameter, match="format: must be one of csv, jsonl"):
        export_lines(export("wheat", index=index_dir), "xml")


def test_api_streams_csv_and_jsonl(client: FlaskClient) -> None:
    r = client.get("/api/export?q=wheat&sort=oldest&format=jsonl")
    assert r.status_code == 200 and r.is_streamed
    assert r.mimetype == "application/x-ndjson"
    assert r.headers["X-Total-Count"] == "300"
    assert r.headers["Content-Disposition"] == 'attachment; filename="news-search.jsonl"'
    rows = [json.loads(line) for line in r.get_data(as_text=True).splitlines()]
    assert len(rows) == 300 and rows[0]["published"] <= rows[-1]["published"]
    csv_r = client.get("/api/export?q=wheat&from=2020&to=2020")
    assert csv_r.mimetype == "text/csv" and csv_r.headers["X-Total-Count"] == "30"
    assert len(list(csv.DictReader(io.StringIO(csv_r.get_data(as_text=True))))) == 30


@pytest.mark.parametrize("query", ["format=xml", "body=maybe", "sort=best", "from=nope",
                                   "half_life=0&sort=recent", "q=" + "x" * 4001,
                                   "match=some"])  # fmt: skip
def test_api_export_bad_parameters_are_400(client: FlaskClient, query: str) -> None:
    assert_error(client.get("/api/export?" + query), 400, "invalid_parameter")


def test_cli_export(index_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "wheat.jsonl"
    result = runner.invoke(main, ["export", "wheat", "--format", "jsonl", "--sort", "newest",
                                  "-o", str(out), "--index", str(index_dir)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and result.stderr == f"300 articles exported to {out}.\n"
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["published"] for r in rows] == sorted((r["published"] for r in rows), reverse=True)
    stdout = runner.invoke(main, ["export", "coffee", "--index", str(index_dir)])
    lines = stdout.stdout.splitlines()
    assert lines[0] == ",".join(EXPORT_FIELDS) and len(lines) == 3
    assert stdout.stderr == "2 articles exported.\n"
    bad = runner.invoke(main, ["export", "x", "--half-life", "0", "--sort", "recent",
                               "--index", str(index_dir)])  # fmt: skip
    assert bad.exit_code == 1
    assert bad.stderr == "Error: half_life: must be a number of days from 1 to 36,600\n"


#: Articles that use every field of the JSON Lines format.
VARIED = [
    {"id": "v1", "title": "Café prices “soar” in Zürich", "published": "2023-04-29",
     "crawled": "2025-03-10", "reading_minutes": 3, "section": "Économie",
     "source": "Le \"Temps\"", "standfirst": "Prices, quoted: \"up\"; 10% — again",
     "body": ["First paragraph, with ünïcode.", "Second \"quoted\" paragraph."],
     "related": ["A related headline", "Another, with a comma"],
     "previous_title": "Yesterday's story", "next_title": "Tomorrow's story",
     "topics": ["coffee", "prices"], "places": ["switzerland"], "people": ["jane doe"],
     "orgs": ["ico"], "exchanges": ["six"],
     "url": 'https://example.com/2023/04/cafe?x=1&y="q"'},
    {"id": "v2", "title": "Plain one", "published": "1987-03-02", "body": "Only a body."},
    {"id": "v3", "title": "Linked only", "published": "2001-09-11", "url": "http://example.org/v3",
     "section": "World"},
]  # fmt: skip


@pytest.fixture(scope="module")
def varied_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_from_records(
        tmp_path_factory.mktemp("varied"), VARIED, {SEED.name: SEED.read_bytes()}
    )


def _all_articles(location: Path) -> dict[str, Article]:
    ids = [h.id for h in search("", per_page=100, index=location).hits]
    return {i: get_article(i, index=location).article for i in ids}


def test_jsonl_export_built_again_is_the_same_archive(varied_index: Path, tmp_path: Path) -> None:
    out = tmp_path / "again" / "export.jsonl"
    out.parent.mkdir()
    r = CliRunner().invoke(main, ["export", "--format", "jsonl", "--body", "-o", str(out),
                                  "--index", str(varied_index)])  # fmt: skip
    assert r.exit_code == 0 and r.stderr == f"4 articles exported to {out}.\n", r.output
    again = tmp_path / "again-index"
    r = CliRunner().invoke(main, ["index", "build", str(out), "--index", str(again), "--strict"])
    assert r.exit_code == 0, r.output  # --strict: no skip and no note (nothing unknown)
    before, after = _all_articles(varied_index), _all_articles(again)
    assert sorted(before) == sorted(after) == ["seed", "v1", "v2", "v3"]
    for art_id, a in before.items():
        b = after[art_id]
        assert dataclasses.replace(b, path=a.path) == a, art_id  # every field but where it lives
        assert b.content_hash == a.content_hash
    v1 = after["v1"]
    assert v1.url == 'https://example.com/2023/04/cafe?x=1&y="q"' and v1.orgs == ("ico",)
    assert before["seed"].related and before["seed"].next_title  # the page's furniture too


def test_original_url_on_the_page_in_the_api_and_in_the_export(varied_index: Path) -> None:
    client = create_app({"TESTING": True, "INDEX": str(varied_index)}).test_client()
    html = client.get("/articles/v1").get_data(as_text=True)
    assert (
        '<a href="https://example.com/2023/04/cafe?x=1&amp;y=&#34;q&#34;" '
        'rel="noopener noreferrer nofollow">Read the original</a>'
    ) in html
    assert "Read the original" not in client.get("/articles/v2").get_data(as_text=True)
    article = client.get("/api/articles/v3").get_json()
    assert (article["url"], article["original_url"]) == ("/articles/v3", "http://example.org/v3")
    assert client.get("/api/articles/v2").get_json()["original_url"] is None
    hits = client.get("/api/search?q=title:linked").get_json()["results"]
    assert [(h["url"], h["original_url"]) for h in hits] == [
        ("/articles/v3", "http://example.org/v3")
    ]
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert "original_url" in schemas["Hit"]["properties"]
    assert "original_url" in schemas["Article"]["properties"]
    rows = list(
        csv.DictReader(io.StringIO(client.get("/api/export?q=title:linked").get_data(as_text=True)))
    )
    assert [(r["url"], r["page_url"]) for r in rows] == [("http://example.org/v3", "/articles/v3")]
