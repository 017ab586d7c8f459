"""``news-search parse PATH… [--report]``: what the readers made of a folder, before a build.

The report is checked against folders whose contents we know: hand-written pages with
one defect each, generated pages whose truth the generator gives, JSON Lines, Reuters.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from search.cli import main
from search.parse_report import KEEP_PATHS, ParseReport, report_paths, skip_kind
from search.records import Article
from tests import pagegen
from tests.conftest import (
    REUTERS,
    SEED,
    WITHOUT_ROOT_READS,
    cli,
    needs_reuters,
    page,
    write_files,
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def report_json(runner: CliRunner, *args: str) -> tuple[int, dict[str, Any]]:
    r = runner.invoke(main, ["parse", "--report", "--json", *args])
    return r.exit_code, json.loads(r.output)


def suspects(data: dict[str, Any]) -> dict[str, list[str]]:
    """Each check that found something, and the file names it found."""
    return {
        s["check"]: [Path(i["path"]).name for i in s["items"]]
        for s in data["suspect"]
        if s["count"]
    }


TWO = ["A first paragraph.", "A second paragraph."]


def record(**fields: Any) -> str:
    """A JSON Lines file of one record: where a title is given as it is, not read off a
    page (a page's date, reading-time or label line is never its headline)."""
    base = {"id": "r1", "title": "A headline", "published": "2023-04-29", "body": TWO}
    base |= {"standfirst": "A standfirst.", "section": "World", "source": "Test Wire"}
    return json.dumps(base | fields) + "\n"


# A file for each sign of a misreading, and every sign it shows (good pages show none).
FLAWED: dict[str, tuple[str, str, set[str]]] = {
    "title_is_date": ("jsonl", record(title="Saturday, 29 April 2023"), {"title_is_date"}),
    "title_is_reading_time": ("jsonl", record(title="3 min read"), {"title_is_reading_time"}),
    "title_is_label": ("jsonl", record(title="Don't Miss"), {"title_is_label"}),
    "title_too_long": ("txt", page(title="word " * 60, body=TWO), {"title_too_long"}),
    # One paragraph under the headline, not credited: the body, and no standfirst.
    "no_standfirst": (
        "txt",
        page(standfirst=None, body=["The only paragraph."]),
        {"no_standfirst", "one_paragraph_body"},
    ),
    "no_body": ("jsonl", record(body=[]), {"no_body"}),
    "one_paragraph_body": ("txt", page(body=["Only one paragraph."]), {"one_paragraph_body"}),
    "date_in_future": (
        "txt",
        page(published="29 April 2999", today=None, body=TWO),
        {"date_in_future"},
    ),
    "date_before_1900": (
        "txt",
        page(published="29 April 1850", today="10 March 1890", body=TWO),
        {"date_before_1900"},
    ),
    "published_after_crawled": (
        "txt",
        page(published="29 April 2023", today="1 March 2023", body=TWO),
        {"published_after_crawled"},
    ),
}
GOOD = page(body=TWO)


@pytest.mark.parametrize("name", sorted(FLAWED))
def test_each_sign_of_a_misreading_is_found_with_its_path(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    ext, text, signs = FLAWED[name]
    # Two good pages, so that their section and source are not "seen only once".
    write_files(tmp_path, {"good1.txt": GOOD, "good2.txt": GOOD, f"{name}.{ext}": text})
    code, data = report_json(runner, str(tmp_path))
    assert code == 0 and data["read"] == 3
    assert suspects(data) == {sign: [f"{name}.{ext}"] for sign in signs}


def test_a_section_or_source_seen_once_is_named_with_its_page(
    runner: CliRunner, tmp_path: Path
) -> None:
    write_files(
        tmp_path,
        {
            "a.txt": page(section="World", body=TWO),
            "b.txt": page(section="World", body=TWO),
            "c.txt": page(section="Wrold", standfirst="A standfirst, reports Tset Wire", body=TWO),
        },
    )
    code, data = report_json(runner, str(tmp_path))
    assert code == 0
    assert suspects(data) == {"lone_section": ["c.txt"], "lone_source": ["c.txt"]}
    assert data["sections"] == [{"name": "World", "count": 2}, {"name": "Wrold", "count": 1}]
    assert data["sources"] == [{"name": "Test Wire", "count": 2}, {"name": "Tset Wire", "count": 1}]


def test_the_text_report_of_a_folder(runner: CliRunner, tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "a.txt": page(published="3 May 2021", body=["One.", "Two."]),
            "b.txt": page(published="2 June 2022", today="4 June 2022", reading=None),
            "c.txt": b"\x00\x01\x02binary",
            "d.txt": "no date at all\n\nwords\n",
        },
    )
    r = runner.invoke(main, ["parse", "--report", str(tmp_path)])
    assert r.exit_code == 0
    reason = "no publication date that can be read near the top of the page"
    assert r.output.splitlines() == [
        "4 files: 2 articles read, 2 skipped",
        "",
        "Skipped",
        f"        1  {skip_kind(_reason_of(tmp_path / 'c.txt'))}",
        f"           {tmp_path / 'c.txt'}",
        f"        1  {reason}",
        f"           {tmp_path / 'd.txt'}",
        "",
        "Fields (filled, of 2 articles)",
        "  title                   2   100.0%",
        "  published               2   100.0%",
        "  crawled                 2   100.0%",
        "  reading_minutes         1    50.0%",
        "  section                 2   100.0%",
        "  source                  2   100.0%",
        "  standfirst              2   100.0%",
        "  body                    2   100.0%",
        "  related                 0     0.0%",
        "  previous_title          0     0.0%",
        "  next_title              0     0.0%",
        "  url                     0     0.0%",
        "  topics                  0     0.0%",
        "  places                  0     0.0%",
        "  people                  0     0.0%",
        "  orgs                    0     0.0%",
        "  exchanges               0     0.0%",
        "",
        "Dates",
        "  published       2021-05-03 … 2022-06-02",
        "  crawled         2022-06-04 … 2025-03-10",
        "",
        "Sections (1)",
        "        2  World",
        "",
        "Sources (1)",
        "        2  Test Wire",
        "",
        "Look at these",
        "        1  a one-paragraph body",
        f"           {tmp_path / 'b.txt'}",
    ]


def _reason_of(path: Path) -> str:
    r = CliRunner().invoke(main, ["parse", "--json", str(path)])
    return str(json.loads(r.output)["skipped"][0]["reason"])


def test_skips_are_counted_by_kind_not_by_their_particulars() -> None:
    assert skip_kind("file too large for an article page (6,291,456 bytes)") == (
        "file too large for an article page"
    )
    assert skip_kind("cannot be read (Permission denied)") == "cannot be read"
    assert skip_kind("not JSON Lines (the first 2 lines are not JSON objects)") == "not JSON Lines"
    assert skip_kind("missing required field 'title'") == "missing required field 'title'"


def test_json_lines_records_are_reported_by_line_and_id(runner: CliRunner, tmp_path: Path) -> None:
    good = {"id": "a1", "title": "Oil prices rise", "published": "2023-04-29", "body": "x"}
    lines = [
        json.dumps(good),
        json.dumps({**good, "id": "a2", "standfirst": "A standfirst.", "headline": "x"}),
        json.dumps({"id": "a3", "published": "2023-04-29"}),
        "{not json",
    ]
    (tmp_path / "export.jsonl").write_text("\n".join(lines) + "\n")
    code, data = report_json(runner, str(tmp_path))
    assert code == 0
    assert (data["files"], data["read"], data["skipped"]) == (1, 2, 2)
    where = str(tmp_path / "export.jsonl")
    assert [(s["reason"], s["items"]) for s in data["skip_reasons"]] == [
        ("missing required field 'title'", [{"path": f"{where}:3"}]),
        ("not valid JSON", [{"path": f"{where}:4"}]),
    ]
    assert data["notes"] == {
        "count": 1,
        "items": [
            {"path": where, "message": "unknown keys ignored: headline (did you mean title?)"}
        ],
    }
    assert data["fields"]["standfirst"] == {"filled": 1, "rate": 0.5}
    no_standfirst = next(s for s in data["suspect"] if s["check"] == "no_standfirst")
    assert no_standfirst["items"] == [{"path": where, "id": "a1"}]


def test_paths_kept_per_finding_are_bounded_and_the_count_is_exact(tmp_path: Path) -> None:
    n = KEEP_PATHS + 200
    with open(tmp_path / "many.jsonl", "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"a{i}", "title": "T", "published": "2023-01-01"}) + "\n")
    data = report_paths([tmp_path]).to_dict()
    no_body = next(s for s in data["suspect"] if s["check"] == "no_body")
    assert (no_body["count"], len(no_body["items"]), no_body["truncated"]) == (n, KEEP_PATHS, True)
    r = CliRunner().invoke(main, ["parse", "--report", str(tmp_path)])
    assert f"           … and {n - 10:,} more (--json lists up to {KEEP_PATHS:,})" in r.output


def test_a_report_adds_up_what_the_generator_rendered(tmp_path: Path) -> None:
    if reason := pagegen.corpora_missing():
        pytest.skip(reason)
    rendered = pagegen.random_pages(300, seed=7)
    truth: dict[str, list[dict[str, Any]]] = {"dmy": [], "mdy": []}
    for i, p in enumerate(rendered):
        (tmp_path / p.date_order).mkdir(exist_ok=True)
        (tmp_path / p.date_order / f"p{i:03}.txt").write_bytes(p.data)
        truth[p.date_order].append(p.expected)
    for order, expected in truth.items():
        report = report_paths([tmp_path / order], date_order=order)  # type: ignore[arg-type]
        data = report.to_dict()
        assert (data["files"], data["read"], data["skipped"]) == (len(expected), len(expected), 0)

        def filled(key: str) -> int:
            return sum(1 for e in expected if e[key])  # noqa: B023

        fields = {k: v["filled"] for k, v in data["fields"].items()}
        for key in ("title", "crawled", "reading_minutes", "section", "source", "standfirst"):
            assert fields[key] == filled(key), key
        for key in ("body", "related", "previous_title", "next_title"):
            assert fields[key] == filled(key), key
        published = [e["published"] for e in expected]
        assert data["dates"]["published"] == {
            "first": min(published).isoformat(),
            "last": max(published).isoformat(),
        }
        sections = Counter(e["section"] for e in expected if e["section"])
        assert {s["name"]: s["count"] for s in data["sections"]} == dict(sections)
        counts = {s["check"]: s["count"] for s in data["suspect"]}
        assert counts["no_standfirst"] == len(expected) - filled("standfirst")
        assert counts["one_paragraph_body"] == sum(1 for e in expected if len(e["body"]) == 1)


def test_parse_report_exit_codes(runner: CliRunner, tmp_path: Path) -> None:
    nope = tmp_path / "nope"
    r = runner.invoke(main, ["parse", "--report", str(nope)])
    assert (r.exit_code, r.output) == (
        2,
        f"Error: Invalid value for 'PATHS...': Path '{nope}' does not exist.\n",
    )
    write_files(tmp_path / "junk", {"a.txt": "no date\n\nat all\n"})
    r = runner.invoke(main, ["parse", "--report", str(tmp_path / "junk")])
    assert r.exit_code == 1
    assert r.output.splitlines()[0] == "1 file: 0 articles read, 1 skipped"


def test_a_folder_that_cannot_be_listed_exits_3(tmp_path: Path) -> None:
    write_files(tmp_path / "src" / "a", {"one.txt": page()})
    write_files(tmp_path / "src" / "b", {"two.txt": page()})
    folder = tmp_path / "src" / "b"
    folder.chmod(0)
    try:
        if (
            subprocess.run([*WITHOUT_ROOT_READS, "ls", str(folder)], capture_output=True).returncode
            == 0
        ):
            pytest.skip("cannot drop root's power to read an unreadable folder here (setpriv)")
        r = cli("parse", "--report", "--json", str(tmp_path / "src"), honour_permissions=True)
    finally:
        folder.chmod(0o755)
    assert r.returncode == 3
    assert r.stderr == "Error: 1 path could not be read\n"
    data = json.loads(r.stdout)
    assert (data["read"], data["skipped"], data["unreadable"]) == (1, 1, 1)
    assert data["skip_reasons"] == [
        {
            "reason": "folder cannot be read",
            "count": 1,
            "items": [{"path": str(folder)}],
            "truncated": False,
        }
    ]


def test_parse_without_report_shows_every_article_of_every_path(
    runner: CliRunner, tmp_path: Path
) -> None:
    write_files(tmp_path, {"a.txt": page(title="Alpha"), "b.txt": page(title="Beta"), "c.txt": "x"})
    r = runner.invoke(main, ["parse", str(tmp_path)])
    assert r.exit_code == 0
    assert [line for line in r.output.splitlines() if line.startswith("title:")] == [
        "title:           Alpha",
        "title:           Beta",
    ]
    assert r.output.splitlines()[-1] == (
        f"skipped {tmp_path / 'c.txt'}: no publication date that can be read near the top of the page"
    )
    r = runner.invoke(main, ["parse", "--json", str(tmp_path / "a.txt"), str(tmp_path / "b.txt")])
    data = json.loads(r.output)
    assert [a["title"] for a in data["articles"]] == ["Alpha", "Beta"] and data["skipped"] == []


def test_parse_honours_the_date_order(runner: CliRunner, tmp_path: Path) -> None:
    write_files(tmp_path, {"a.txt": page(published="05/04/2023", today=None)})
    for order, expected in (("dmy", "2023-04-05"), ("mdy", "2023-05-04")):
        r = runner.invoke(main, ["parse", "--json", "--date-order", order, str(tmp_path / "a.txt")])
        assert json.loads(r.output)["published"] == expected


def test_the_report_of_the_seed(runner: CliRunner) -> None:
    code, data = report_json(runner, str(SEED))
    assert code == 0
    assert (data["files"], data["read"], data["skipped"]) == (1, 1, 0)
    assert data["dates"] == {
        "published": {"first": "2023-04-29", "last": "2023-04-29"},
        "crawled": {"first": "2025-03-10", "last": "2025-03-10"},
    }
    assert {k for k, v in data["fields"].items() if v["rate"] == 1.0} == {
        "title", "published", "crawled", "reading_minutes", "section", "source",
        "standfirst", "body", "related", "previous_title", "next_title",
    }  # fmt: skip
    # A folder of one page: its section and source are each seen once, and nothing else.
    assert set(suspects(data)) == {"lone_section", "lone_source"}


@needs_reuters
def test_the_report_of_reuters(runner: CliRunner) -> None:
    code, data = report_json(runner, "--format", "reuters", str(REUTERS))
    assert code == 0
    assert (data["read"], data["skipped"]) == (21578, 0)
    assert data["dates"]["published"] == {"first": "1987-02-26", "last": "1987-10-20"}
    assert data["sources"] == [{"name": "Reuters", "count": 21578}]
    assert data["fields"]["topics"]["filled"] == 11367


def test_the_future_is_counted_from_the_day_of_the_report() -> None:
    a = Article(id="a", path="a.txt", title="T", published=date(2030, 1, 2), body=("x", "y"))
    for today, future in ((date(2030, 1, 1), 1), (date(2030, 1, 2), 0)):
        r = ParseReport(today)
        r.add(a)
        counts = {s["check"]: s["count"] for s in r.to_dict()["suspect"]}
        assert counts["date_in_future"] == future
