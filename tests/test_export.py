"""Take the results away: every match (not a page) as CSV or JSON Lines, streamed, from
the engine, the API and the CLI, in the order the search ranks them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from search.cli import main
from search.errors import InvalidParameter
from search.export import EXPORT_FIELDS, JSONL_FIELDS, export, export_lines
from search.querying import search
from tests.conftest import index_from_records
from tests.test_web import ARTICLES, assert_error

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
    assert row["standfirst"] == '=SUM(A1) said, "wheat"'
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
