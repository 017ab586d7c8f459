"""The command line: exact output, exit codes, JSON shapes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from search.cli import main
from search.layout import current_generation, writer_lock
from tests.conftest import ROOT, SEED, WITHOUT_ROOT_READS, cli, index_from_records, page


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    src = tmp_path / "archive"
    src.mkdir()
    (src / SEED.name).write_bytes(SEED.read_bytes())
    (src / "other.txt").write_text(page(title="Wheat harvest", body=["Farmers harvest wheat."]))
    (src / "broken.txt").write_bytes(b"\x00\x01binary")
    return src


def test_build_prints_summary_and_skips(runner: CliRunner, archive: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    result = runner.invoke(main, ["index", "build", str(archive), "--index", str(index)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"Build of {index}: 2 articles read in ")
    assert lines[0].endswith("the index now holds 2.")
    assert lines[1] == "indexed 2, updated 0, unchanged 0, removed 0, skipped 1"
    assert lines[2] == "Skipped:"
    assert lines[3] == f"  {archive / 'broken.txt'}: binary file (contains NUL bytes)"


def test_build_strict_fails_and_keeps_the_index(
    runner: CliRunner, archive: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    result = runner.invoke(
        main, ["index", "build", str(archive), "--index", str(index), "--strict"]
    )
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: 1 file or article skipped and --strict was given: the index was left as it was"
    )
    result = runner.invoke(main, ["index", "stats", "--index", str(index)])
    assert result.exit_code == 1
    assert "no index at" in result.output


def test_update_and_stats_json(runner: CliRunner, archive: Path, tmp_path: Path) -> None:
    index = str(tmp_path / "index")
    assert runner.invoke(main, ["index", "build", str(archive), "--index", index]).exit_code == 0
    (archive / "other.txt").unlink()
    result = runner.invoke(main, ["index", "update", str(archive), "--index", index])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == (
        "indexed 0, updated 0, unchanged 1, removed 1, skipped 1"
    )
    result = runner.invoke(main, ["index", "stats", "--json", "--index", index])
    stats = json.loads(result.output)
    assert stats["articles"] == 1
    assert stats["skipped"] == [
        {"path": str(archive / "broken.txt"), "reason": "binary file (contains NUL bytes)"}
    ]
    assert stats["last_run"]["kind"] == "update"
    assert stats["date_from"] == stats["date_to"] == "2023-04-29"
    assert stats["sections"] == [{"value": "Top News", "count": 1}]
    text = runner.invoke(main, ["index", "stats", "--index", index]).output
    assert "Articles:   1\n" in text
    assert "Published:  2023-04-29 to 2023-04-29\n" in text


def test_rebuild_uses_the_recorded_sources(
    runner: CliRunner, archive: Path, tmp_path: Path
) -> None:
    index = str(tmp_path / "index")
    runner.invoke(main, ["index", "build", str(archive), "--index", index])
    (archive / "new.txt").write_text(page(title="Brand new"))
    result = runner.invoke(main, ["index", "rebuild", "--index", index])
    assert result.exit_code == 0, result.output
    assert "the index now holds 3." in result.output


def test_second_writer_is_refused_in_one_line(
    runner: CliRunner, archive: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    with writer_lock(index):
        result = runner.invoke(main, ["index", "build", str(archive), "--index", str(index)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert result.output.startswith(f"Error: the index at {index} is being written by another")
    assert "Traceback" not in result.output


def test_parse_shows_every_field(runner: CliRunner) -> None:
    result = runner.invoke(main, ["parse", str(SEED)])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "id:              seed"
    assert lines[2] == "title:           Taliban seek to prove legitimacy through anti-IS campaign"
    assert "published:       2023-04-29" in lines
    assert "section:         Top News" in lines
    assert "source:          Asian Lite News" in lines
    assert "body:            14 paragraphs" in lines
    assert "previous_title:  Wheat shortage hits Pakistan in unprecedented levels" in lines


def test_parse_json(runner: CliRunner) -> None:
    result = runner.invoke(main, ["parse", "--json", str(SEED)])
    data = json.loads(result.output)
    assert data["title"] == "Taliban seek to prove legitimacy through anti-IS campaign"
    assert data["published"] == "2023-04-29" and data["crawled"] == "2025-03-10"
    assert data["reading_minutes"] == 2 and len(data["body"]) == 14
    assert data["related"] == ["Neighbours urge Taliban to form inclusive govt"]
    assert data["next_title"] == "Medicines or Exercise?"


def test_parse_a_bad_file(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("no date here\n\njust words\n")
    result = runner.invoke(main, ["parse", str(bad)])
    assert result.exit_code == 1
    assert result.output == (
        f"skipped {bad}: no publication date that can be read near the top of the page\n"
    )


def test_query_text_and_json(runner: CliRunner, archive: Path, tmp_path: Path) -> None:
    index = str(tmp_path / "index")
    runner.invoke(main, ["index", "build", str(archive), "--index", index])
    result = runner.invoke(main, ["query", "taliban", "--index", index])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("1 result for 'taliban', 1-1 (")
    assert lines[2] == "1. Taliban seek to prove legitimacy through anti-IS campaign  [seed]"
    assert lines[3] == "   2023-04-29, Top News, Asian Lite News"
    assert "Years:    2023 (1)" in lines
    data = json.loads(runner.invoke(main, ["query", "taliban", "--json", "--index", index]).output)
    assert data["total"] == 1
    assert data["results"][0]["id"] == "seed"
    assert data["results"][0]["published"] == "2023-04-29"
    assert "<mark>Taliban</mark>" in data["results"][0]["snippet"]
    assert data["facets"]["year"] == [{"value": "2023", "label": "2023", "count": 1}]
    assert data["facets"]["month"] == [{"value": "2023-04", "label": "April 2023", "count": 1}]
    assert set(data) >= {"query", "total", "page", "per_page", "took_ms", "results", "facets",
                         "suggestion", "notes"}  # fmt: skip
    typo = runner.invoke(main, ["query", "taliben", "--index", index]).output
    assert "Did you mean: taliban" in typo


STORY_BODY = (
    "Cocoa growers in Ivory Coast said heavy rains had delayed the main crop harvest, and "
    "exporters warned that shipments to Europe would fall short of contracts this month. "
    "Traders in London said the delay had lifted futures to a four month high on Tuesday."
)


def test_query_in_the_terminal_says_stories_versions_and_tags(
    runner: CliRunner, tmp_path: Path
) -> None:
    records = [
        {"id": f"copy{i}", "title": "Rains delay Ivory Coast cocoa harvest",
         "published": f"1987-03-0{i + 2}", "body": STORY_BODY, "topics": ["cocoa"],
         "places": ["ivory-coast", "uk"]}
        for i in range(3)
    ] + [{"id": "other", "title": "Cocoa stocks", "published": "1987-04-01",
          "body": "Cocoa stocks in Amsterdam warehouses rose.", "topics": ["cocoa"]}]  # fmt: skip
    index = str(index_from_records(tmp_path, records))
    out = runner.invoke(main, ["query", "cocoa", "--index", index])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].startswith("2 stories, 4 articles for 'cocoa', 1-2 ("), lines[0]
    versions = [line for line in lines if "more version" in line]
    assert len(versions) == 1 and versions[0].startswith("   + 2 more versions of this story")
    story = versions[0].split("--story ")[1].rstrip(")")
    assert "Topics:   cocoa (4)" in lines
    assert "Places:   ivory-coast (3), uk (3)" in lines
    either = ["query", "cocoa", "--tag", "place=nowhere", "--tag", "place=uk", "--index", index]
    assert runner.invoke(main, either).output.startswith("1 story, 3 articles for 'cocoa'")
    alone = runner.invoke(main, ["query", "cocoa", "--story", story, "--index", index])
    assert alone.exit_code == 0, alone.output
    assert alone.output.splitlines()[0].startswith("3 results for 'cocoa', 1-3 (")
    assert "more version" not in alone.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--page", "0"], "Error: page: must be a whole number, 1 or more"),
        (["--per-page", "500"], "Error: per_page: must be a whole number from 1 to 100"),
        (
            ["--from", "someday"],
            "Error: from: 'someday' is not a date: try 1987, March 1987, 3 March 1987 or "
            "1987-03-03",
        ),
        (["--from", "2024", "--to", "2023"], "Error: from: 2024-01-01 is after to=2023-12-31"),
        (["--sort", "best"], "Error: Invalid value for '--sort'"),
        (["--match", "some"], "Error: Invalid value for '--match'"),
    ],
)
def test_query_errors_are_one_line(
    runner: CliRunner, seed_index: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(main, ["query", "taliban", "--index", str(seed_index), *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_query_match_any(runner: CliRunner, seed_index: Path) -> None:
    args = ["query", "taliban zebrafish", "--index", str(seed_index)]
    assert runner.invoke(main, args).output.startswith("0 results for 'taliban zebrafish' (")
    result = runner.invoke(main, [*args, "--match", "any"])
    assert result.exit_code == 0
    assert result.output.startswith("1 result for 'taliban zebrafish', 1-1 (")
    data = json.loads(runner.invoke(main, [*args, "--match", "any", "--json"]).output)
    assert data["match"] == "any" and data["total"] == 1


def test_query_without_index(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["query", "x", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: no index at {tmp_path / 'none'}: build one with `news-search index build PATH`\n"
    )


def test_index_from_environment(runner: CliRunner, seed_index: Path) -> None:
    result = runner.invoke(
        main, ["query", "taliban", "--json"], env={"NEWS_SEARCH_INDEX": str(seed_index)}
    )
    assert json.loads(result.output)["total"] == 1


def _commands(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        out.append(((*prefix, name), cmd))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, (*prefix, name)))
    return out


@pytest.mark.parametrize(
    ("path", "command"), _commands(main), ids=lambda x: " ".join(x) if isinstance(x, tuple) else ""
)
def test_every_command_and_option_has_help(
    runner: CliRunner, path: tuple[str, ...], command: click.Command
) -> None:
    assert command.help and command.help.strip(), path
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{' '.join(path)} {param.opts}"
    result = runner.invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage: main " + " ".join(path) in result.output


def test_check_healthy_then_damaged(runner: CliRunner, archive: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    built = runner.invoke(main, ["index", "build", str(archive), "--index", str(index), "--json"])
    report = json.loads(built.output)
    assert (report["kind"], report["indexed"], len(report["skipped"])) == ("build", 2, 1)
    result = runner.invoke(main, ["index", "check", "--index", str(index)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:6] == [
        "ok    opens    gen-000001: 2 articles in 1 segment",
        "ok    summary  2 articles, as recorded",
        "ok    stored   2 articles readable, ids unique",
        "ok    stories  0 stories with copies, 0 articles in them (stories-1.json)",
        "ok    canary   2 of 2 articles found again by title",
        "ok    writer   no build or update is running",
    ]
    assert lines[6].startswith(f"{index}: healthy (checked in ")
    with writer_lock(index):
        held = runner.invoke(main, ["index", "check", "--index", str(index), "--json"])
    data = json.loads(held.output)
    assert held.exit_code == 0 and data["ok"] is True
    assert "a build or update is running (pid" in data["checks"][-1]["detail"]
    # The summary disagrees with the index: check fails, exit 1.
    summary = index / "current" / "news-search.json"
    summary.write_text(summary.read_text().replace('"articles": 2', '"articles": 3'))
    result = runner.invoke(main, ["index", "check", "--index", str(index)])
    assert result.exit_code == 1
    assert "FAIL  summary  the summary says 3 articles, the index holds 2" in result.output
    assert result.output.splitlines()[-1].startswith(f"{index}: NOT healthy")


# ------------------------------------------- no article lost, no failure hidden


@pytest.mark.parametrize("unlistable", ["b", "b/deep"])
def test_update_keeps_the_articles_of_a_folder_it_cannot_list(
    tmp_path: Path, unlistable: str
) -> None:
    src = tmp_path / "archive"
    for sub, title in (("a", "Alpha story"), ("b", "Beta story"), ("b/deep", "Deep story")):
        (src / sub).mkdir(parents=True)
        (src / sub / f"{title.split()[0].lower()}.txt").write_text(page(title=title))
    index = tmp_path / "index"
    assert cli("index", "build", str(src), "--index", str(index)).returncode == 0
    folder = src / unlistable
    folder.chmod(0)
    try:
        if (
            subprocess.run([*WITHOUT_ROOT_READS, "ls", str(folder)], capture_output=True).returncode
            == 0
        ):
            pytest.skip("cannot drop root's power to read an unreadable folder here (setpriv)")
        r = cli("index", "update", str(src), "--index", str(index), honour_permissions=True)
    finally:
        folder.chmod(0o755)
    kept = 1 if unlistable == "b" else 2
    lines = r.stdout.splitlines()
    assert r.returncode == 3, r.stderr
    assert lines[1:] == [
        f"indexed 0, updated 0, unchanged {kept}, removed 0, skipped 1 (1 could not be read)",
        "Skipped:",
        f"  {folder}: folder cannot be read (Permission denied)",
    ]
    assert r.stderr == "Error: 1 path could not be read; what the index held from it was kept\n"
    stats = json.loads(cli("index", "stats", "--json", "--index", str(index)).stdout)
    assert stats["articles"] == 3 and stats["last_run"]["unreadable"] == [str(folder)]
    # Readable again, the next update is complete and exits 0.
    r = cli("index", "update", str(src), "--index", str(index))
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.splitlines()[1] == "indexed 0, updated 0, unchanged 3, removed 0, skipped 0"


def test_a_path_that_does_not_exist_is_a_usage_error(
    runner: CliRunner, archive: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    assert (
        runner.invoke(main, ["index", "build", str(archive), "--index", str(index)]).exit_code == 0
    )
    before = sorted(os.listdir(current_generation(index)))
    nope = tmp_path / "nope"
    for command in ("build", "update"):
        r = runner.invoke(main, ["index", command, str(archive), str(nope), "--index", str(index)])
        assert r.exit_code == 2
        assert r.output == f"Error: Invalid value for 'PATHS...': Path '{nope}' does not exist.\n"
    assert current_generation(index).name == "gen-000001"
    assert sorted(os.listdir(current_generation(index))) == before


def test_a_run_that_reads_no_article_fails_and_creates_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "broken.txt").write_bytes(b"\x00\x01binary")
    index = tmp_path / "index"
    r = runner.invoke(main, ["index", "build", str(src), "--index", str(index)])
    assert r.exit_code == 1
    assert r.output == (
        "Error: the build read no articles (1 skipped): no index was created; check the paths "
        "(a folder not mounted?), or pass --allow-empty to create an empty index\n"
    )
    assert not (index / "current").exists() and not list(index.glob("gen-*"))
    r = runner.invoke(main, ["index", "build", str(src), "--index", str(index), "--allow-empty"])
    assert r.exit_code == 0 and "the index now holds 0." in r.output
    r = runner.invoke(main, ["index", "update", str(src), "--index", str(index)])
    assert r.exit_code == 1
    assert r.output == (
        f"Error: the update read no articles (1 skipped): the index at {index} (0 articles) "
        "was left as it was; check the paths (a folder not mounted?), or pass --allow-empty "
        "to remove what is gone\n"
    )
    r = runner.invoke(main, ["index", "update", str(src), "--index", str(index), "--allow-empty"])
    assert r.exit_code == 0, r.output


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``news-search export | head -1``: the reader stops; we end at once, silently, 0."""
    src = tmp_path / "big.jsonl"
    with open(src, "w") as f:
        for i in range(3000):
            f.write(json.dumps({"id": f"a{i}", "title": f"Story {i}", "published": "2023-01-01",
                                "body": f"Paragraph {i} " + "words " * 40}) + "\n")  # fmt: skip
    index = tmp_path / "index"
    assert cli("index", "build", str(src), "--index", str(index)).returncode == 0
    for command in (["export", "--body"], ["query", "story", "--per-page", "100", "--json"]):
        p = subprocess.Popen(
            [sys.executable, "-m", "search.cli", *command, "--index", str(index)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert p.stdout is not None and p.stderr is not None
        assert p.stdout.readline()
        p.stdout.close()
        err = p.stderr.read()
        p.stderr.close()
        assert (p.wait(timeout=60), err) == (0, b""), command


def test_date_order_is_recorded_reused_and_reported(
    runner: CliRunner, archive: Path, tmp_path: Path
) -> None:
    index = str(tmp_path / "index")

    def run(*args: str) -> dict[str, object]:
        r = runner.invoke(main, [*args, "--index", index, "--json"])
        assert r.exit_code == 0, r.output
        return json.loads(r.output)  # type: ignore[no-any-return]

    assert run("index", "build", str(archive), "--date-order", "mdy")["date_order"] == "mdy"
    assert run("index", "stats")["date_order"] == "mdy"
    text = runner.invoke(main, ["index", "stats", "--index", index]).output
    assert "Dates:      mdy (how 05/04/2023 in pages is read)\n" in text
    assert run("index", "update", str(archive))["date_order"] == "mdy"  # as the index was built
    assert run("index", "rebuild")["date_order"] == "mdy"
    assert run("index", "build", str(archive))["date_order"] == "dmy"  # the default
    bad = runner.invoke(main, ["index", "build", str(archive), "--date-order", "ymd"])
    assert bad.exit_code == 2 and "'ymd' is not one of 'dmy', 'mdy'" in bad.output


def test_date_order_decides_an_ambiguous_page_date(runner: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(page(title="Ambiguous date", published="05/04/2023"))
    for order, day in (("dmy", "2023-04-05"), ("mdy", "2023-05-04")):
        index = str(tmp_path / order)
        r = runner.invoke(
            main, ["index", "build", str(src), "--date-order", order, "--index", index]
        )
        assert r.exit_code == 0, r.output
        assert (
            json.loads(runner.invoke(main, ["index", "stats", "--json", "--index", index]).output)[
                "date_from"
            ]
            == day
        )


def test_unknown_json_lines_keys_are_noted_and_strict_fails(
    runner: CliRunner, tmp_path: Path
) -> None:
    src = tmp_path / "export.jsonl"
    src.write_text(
        json.dumps({"id": "a", "title": "T", "published": "2023-01-01", "text": "Body",
                    "headline": "H"}) + "\n",
    )  # fmt: skip
    index = str(tmp_path / "index")
    r = runner.invoke(main, ["index", "build", str(src), "--index", index])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[1:] == [
        "indexed 1, updated 0, unchanged 0, removed 0, skipped 0",
        "Notes:",
        f"  {src}: unknown keys ignored: text (did you mean body?), headline (did you mean title?)",
    ]
    report = json.loads(runner.invoke(main, ["index", "update", str(src), "--index", index,
                                              "--json"]).output)  # fmt: skip
    assert report["notes"] == [{"path": str(src), "message": "unknown keys ignored: text (did "
                                "you mean body?), headline (did you mean title?)"}]  # fmt: skip
    stats = runner.invoke(main, ["index", "stats", "--index", index]).output
    assert f"  note {src}: unknown keys ignored: text (did you mean body?)" in stats
    src.write_text(src.read_text() + json.dumps({"id": "b", "title": "T2", "published": "2023-01-02",
                                                 "summary": "S"}) + "\n")  # fmt: skip
    r = runner.invoke(main, ["index", "update", str(src), "--index", index, "--strict"])
    assert r.exit_code == 1
    assert r.output.splitlines()[-1] == (
        "Error: 1 note on what was not used and --strict was given: the index was left as it was"
    )
    assert (
        json.loads(runner.invoke(main, ["index", "stats", "--json", "--index", index]).output)[
            "articles"
        ]
        == 1
    )
