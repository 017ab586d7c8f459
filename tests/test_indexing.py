"""Building and updating real indexes on disk: atomic switch, update by hash, one writer."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from search.backends.whoosh.store import IndexStore
from search.errors import IndexLocked, IndexMissing
from search.indexing import StrictFailure, build, update
from search.layout import current_generation, writer_lock
from search.querying import search
from tests.conftest import ROOT, SEED, page


def totals(location: Path, queries: list[str]) -> list[int]:
    store = IndexStore(location)
    return [search(q, index=store).total for q in queries]


def test_furniture_is_never_indexed(seed_index: Path) -> None:
    store = IndexStore(seed_index)
    for word in ("Zelenskyy", "Hezbollah", "Wheat", "Bagram", "Pentagon", "Medicines"):
        assert search(word, index=store).total == 0, word
    result = search("Taliban", index=store)
    assert result.total == 1
    assert result.hits[0].id == SEED.stem


def test_build_switches_generations_and_keeps_the_previous(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(page(title="Alpha story"), encoding="utf-8")
    location = tmp_path / "index"
    first = build([src], location)
    assert first.indexed == 1 and first.generation == "gen-000001"
    (src / "b.txt").write_text(page(title="Beta story"), encoding="utf-8")
    second = build([src], location)
    assert second.generation == "gen-000002"
    assert current_generation(location).name == "gen-000002"
    third = build([src], location)
    gens = sorted(p.name for p in location.glob("gen-*"))
    assert gens == ["gen-000002", third.generation]  # only the live one and its predecessor
    assert search("story", index=location).total == 2


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match="news-search index build"):
        search("x", index=tmp_path / "nothing")


def test_update_adds_changes_removes_and_skips_unchanged(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "keep.txt").write_text(page(title="Kept story", body=["Unchanged text."]))
    (src / "edit.txt").write_text(page(title="Edited story", body=["Old wording."]))
    (src / "gone.txt").write_text(page(title="Doomed story", body=["Soon deleted."]))
    location = tmp_path / "index"
    build([src], location)
    store = IndexStore(location)
    assert search("story", index=store).total == 3

    (src / "edit.txt").write_text(page(title="Edited story", body=["New wording."]))
    (src / "gone.txt").unlink()
    (src / "new.txt").write_text(page(title="Fresh story", body=["Brand new."]))
    # A re-scrape of an unchanged article: only the scrape date differs.
    (src / "keep.txt").write_text(
        page(title="Kept story", body=["Unchanged text."], today="1 May 2026")
    )
    report = update([src], location)
    assert (report.indexed, report.updated, report.unchanged, report.removed) == (1, 1, 1, 1)
    assert report.articles == 3
    assert search("wording", index=store).hits[0].id == "edit"
    assert search("old", index=store).total == 0
    assert search("new", index=store).total == 2  # "New wording." and "Brand new."
    assert search("doomed", index=store).total == 0

    again = update([src], location)
    assert (again.indexed, again.updated, again.unchanged, again.removed) == (0, 0, 3, 0)


def test_update_leaves_articles_from_other_paths(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "one.txt").write_text(page(title="From folder a"))
    (b / "two.txt").write_text(page(title="From folder b"))
    location = tmp_path / "index"
    build([a, b], location)
    report = update([a], location)
    assert report.removed == 0 and report.unchanged == 1
    assert search("folder", index=location).total == 2


def test_update_keeps_articles_of_files_it_could_not_read(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(page(title="Precious story"))
    (src / "b.txt").write_text(page(title="Another story"))  # an update that reads none fails
    location = tmp_path / "index"
    build([src], location)
    (src / "a.txt").write_bytes(b"\x00garbage")
    report = update([src], location)
    assert report.removed == 0 and len(report.skipped) == 1
    assert search("precious", index=location).total == 1


def test_skips_are_reported_and_strict_changes_nothing(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text(page(title="Good story"))
    (src / "empty.txt").write_text("")
    location = tmp_path / "index"
    report = build([src], location)
    assert report.indexed == 1
    assert [(Path(s.path).name, s.reason) for s in report.skipped] == [("empty.txt", "empty file")]
    (src / "more.txt").write_text(page(title="More story"))
    with pytest.raises(StrictFailure, match="left as it was"):
        build([src], location, strict=True)
    with pytest.raises(StrictFailure):
        update([src], location, strict=True)
    assert search("story", index=location).total == 1
    assert current_generation(location).name == "gen-000001"


def test_parallel_build_equals_serial_build(tmp_path: Path) -> None:
    src = tmp_path / "src.jsonl"
    with open(src, "w") as f:
        for i in range(700):
            f.write(
                f'{{"id": "s{i}", "title": "Story {i} {"alpha" if i % 3 else "beta"}", '
                f'"published": "2023-{1 + i % 12:02d}-01", "body": "Words number {i} gamma."}}\n'
            )
    serial = build([src], tmp_path / "serial", procs=1)
    parallel = build([src], tmp_path / "parallel", procs=2)
    assert serial.articles == parallel.articles == 700
    for q in ("alpha", "beta", "gamma", "story -alpha", "date:2023-05"):
        a = search(q, index=tmp_path / "serial", per_page=100)
        b = search(q, index=tmp_path / "parallel", per_page=100)
        assert a.total == b.total > 0
        assert a.facets == b.facets
        # Equal scores may break ties differently (document numbers differ).
        assert [h.score for h in a.hits] == pytest.approx([h.score for h in b.hits])


def test_duplicate_ids_are_skipped(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    with open(src / "a.jsonl", "w") as f:
        f.write('{"id": "x1", "title": "First", "published": "2023-01-01", "body": "one"}\n')
        f.write('{"id": "x1", "title": "Again", "published": "2023-01-02", "body": "two"}\n')
    report = build([src], tmp_path / "index")
    assert report.indexed == 1
    assert "duplicate id 'x1'" in report.skipped[0].reason


def test_second_writer_is_refused_with_the_holder(tmp_path: Path) -> None:
    location = tmp_path / "index"
    with writer_lock(location):
        with pytest.raises(IndexLocked, match=f"pid {os.getpid()}"):
            build([SEED], location)
        with pytest.raises(IndexLocked, match="another process"):
            update([SEED], location)
    # Released: the next writer proceeds.
    assert build([SEED], location).indexed == 1


def test_lock_of_a_killed_writer_does_not_block(tmp_path: Path) -> None:
    location = tmp_path / "index"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from search.indexing import writer_lock\n"
         "with writer_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(60)",
         str(location)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    with pytest.raises(IndexLocked, match=f"pid {holder.pid}"):
        build([SEED], location)
    holder.kill()
    holder.wait()
    assert build([SEED], location).indexed == 1  # the stale lock is no obstacle


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize(
    ("delay", "procs"), [(0.3, 1), (0.8, 1), (1.5, 1), (2.5, 1), (1.0, 2), (2.0, 2)]
)
def test_build_killed_midway_leaves_the_old_index_answering(
    tmp_path: Path, make_index: Callable[..., Path], delay: float, procs: int
) -> None:
    location = make_index({"seed.txt": SEED.read_bytes()})
    queries = ["taliban", "afghanistan women", '"security council"', "zelenskyy"]
    before = totals(location, queries)
    assert before == [1, 1, 1, 0]
    # A big enough source that the build is still running when it is killed (6,000
    # articles were indexed by two workers in under 2 s on a quiet machine).
    big = tmp_path / "big.jsonl"
    with open(big, "w") as f:
        for i in range(20_000):
            f.write(
                f'{{"id": "b{i}", "title": "Bulk story {i} taliban", "published": "2024-01-01",'
                f' "body": "Filler words about markets and weather number {i}."}}\n'
            )
    proc = subprocess.Popen(
        [sys.executable, "-m", "search.cli", "index", "build", str(big), "--index", str(location),
         "--quiet", "--procs", str(procs)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(delay)
    workers = _children(proc.pid)
    # On a loaded machine the workers may take longer to start than ``delay``: wait for
    # them (the kill must find them running, or the test proves nothing about them).
    started = time.monotonic()
    while procs > 1 and len(workers) < procs and time.monotonic() - started < 30:
        time.sleep(0.05)
        workers = _children(proc.pid)
    assert len(workers) == (procs if procs > 1 else 0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # Indexing processes die with the build; none is left writing.
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers)
    if current_generation(location).name != "gen-000001":
        pytest.fail(f"the build finished within {delay} s; the test needs a bigger source")
    assert totals(location, queries) == before
    # The next build succeeds without manual cleanup and leaves no debris.
    report = build([SEED], location)
    assert report.indexed == 1
    assert not list(location.glob(".build-*"))
    assert totals(location, queries) == before


def test_an_index_of_an_older_schema_is_flagged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    location = tmp_path / "index"
    build([SEED], location)
    summary = current_generation(location) / "news-search.json"
    data = json.loads(summary.read_text())
    data["schema_version"] = 1
    summary.write_text(json.dumps(data))
    with caplog.at_level("WARNING", logger="news_search"):
        IndexStore(location).snapshot()
    assert "built with schema 1" in caplog.text and "news-search index rebuild" in caplog.text


def _h(rel: str) -> str:
    return hashlib.sha1(rel.encode()).hexdigest()[:8]


def _ids(location: Path) -> list[str]:
    return sorted(h.id for h in search("", per_page=100, index=location).hits)


def test_files_with_the_same_name_in_different_folders_are_two_articles(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for month, title in (("04", "April story"), ("05", "May story")):
        (src / "2023" / month).mkdir(parents=True)
        (src / "2023" / month / "index.txt").write_text(page(title=title))
    (src / "unique-name.txt").write_text(page(title="Lone story"))
    location = tmp_path / "index"
    report = build([src], location)
    assert (report.indexed, report.skipped) == (3, [])
    expected = sorted([f"index-{_h('2023/04/index.txt')}", f"index-{_h('2023/05/index.txt')}",
                       "unique-name"])  # fmt: skip
    assert _ids(location) == expected  # a unique name keeps its id: existing URLs stay
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", i) for i in expected)
    assert build([src], location).indexed == 3 and _ids(location) == expected  # stable
    report = update([src], location)
    assert (report.unchanged, report.indexed, report.removed) == (3, 0, 0)
    assert _ids(location) == expected


def test_a_name_that_comes_to_collide_keeps_its_url(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "2023" / "04").mkdir(parents=True)
    (src / "2023" / "04" / "index.txt").write_text(page(title="April story"))
    location = tmp_path / "index"
    build([src], location)
    assert _ids(location) == ["index"]
    (src / "2023" / "05").mkdir()
    (src / "2023" / "05" / "index.txt").write_text(page(title="May story"))
    report = update([src], location)
    assert (report.indexed, report.unchanged, report.skipped) == (1, 1, [])
    expected = ["index", f"index-{_h('2023/05/index.txt')}"]
    assert _ids(location) == expected
    # A later build, and an update of the one folder, give the same ids.
    assert build([src], location).indexed == 2 and _ids(location) == expected
    assert update([src / "2023" / "05"], location).unchanged == 1 and _ids(location) == expected
