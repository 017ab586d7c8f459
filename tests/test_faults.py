"""Faults injected for real: a damaged index, a full disk, unreadable and vanishing files,
two writers at once. Kills during builds and updates are in test_kills.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from search.backends.whoosh.store import IndexStore
from search.indexing import build, list_files, update
from search.layout import current_generation
from search.querying import search
from tests.conftest import cli, page
from tests.live import Server


def _articles(src: Path, n: int, word: str = "story") -> None:
    src.mkdir(parents=True, exist_ok=True)
    with open(src / "records.jsonl", "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"r{i}", "title": f"Record {i} {word}",
                                "published": f"2022-{1 + i % 12:02d}-01",
                                "body": f"Body of record {i} about {word}."}) + "\n")  # fmt: skip


# ---------------------------------------------------------------- damaged index


def _truncate_a_segment(location: Path) -> None:
    seg = max(current_generation(location).glob("*.seg"), key=lambda p: p.stat().st_size)
    os.truncate(seg, seg.stat().st_size // 2)


def _delete_the_toc(location: Path) -> None:
    for toc in current_generation(location).glob("_MAIN_*.toc"):
        toc.unlink()


DAMAGE = {"truncated segment": _truncate_a_segment, "deleted table of contents": _delete_the_toc}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_index_is_reported_in_one_line_and_rebuilt(tmp_path: Path, damage: str) -> None:
    src = tmp_path / "src"
    _articles(src, 50)
    location = tmp_path / "index"
    build([src], location)
    DAMAGE[damage](location)

    for command in (["index", "stats"], ["query", "story"], ["index", "check"]):
        r = cli(*command, "--index", str(location))
        assert r.returncode == 1, (command, r.stdout, r.stderr)
        message = (r.stderr + r.stdout).strip().splitlines()
        assert "Traceback" not in r.stderr
        assert any(
            "cannot be read" in line and "news-search index rebuild" in line for line in message
        ), message
    assert cli("index", "check", "--index", str(location)).stdout.startswith("FAIL  opens")

    # The server starts on it, answers 503 with the envelope, and recovers without a restart.
    server = Server(location, tmp_path / "server.log", wait_for=503)
    try:
        for path in ("/api/health", "/api/search?q=story"):
            r = requests.get(server.url + path, timeout=10)
            assert r.status_code == 503
            error = r.json()["error"]
            assert error["code"] == "index_unavailable" and "index rebuild" in error["message"]
            assert error["request_id"] == r.headers["X-Request-Id"]
        r = requests.get(server.url + "/?q=story", timeout=10)
        assert r.status_code == 503 and "index rebuild" in r.text
        rebuilt = cli("index", "rebuild", "--index", str(location), "--quiet")
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert requests.get(server.url + "/api/health", timeout=10).status_code == 200
        assert requests.get(server.url + "/api/search?q=story", timeout=10).json()["total"] == 50
    finally:
        assert server.stop() == 0
    assert "Traceback" not in server.log.read_text()
    assert cli("index", "check", "--index", str(location)).returncode == 0


def test_index_damaged_under_a_running_server(tmp_path: Path) -> None:
    """The table of contents vanishes while the server runs: searches go on from memory,
    health tells the load balancer the truth, and a rebuild is picked up."""
    src = tmp_path / "src"
    _articles(src, 30)
    location = tmp_path / "index"
    build([src], location)
    server = Server(location, tmp_path / "server.log", workers=1)  # one worker: it has loaded it
    try:
        for _ in range(3):
            assert requests.get(server.url + "/api/search?q=story", timeout=10).status_code == 200
        _delete_the_toc(location)
        time.sleep(1.1)  # past the retry interval of a worker that saw it already
        for _ in range(6):
            r = requests.get(server.url + "/api/search?q=story", timeout=10)
            assert r.status_code == 200 and r.json()["total"] == 30
            h = requests.get(server.url + "/api/health", timeout=10)
            assert h.status_code == 503 and "no table of contents" in h.json()["error"]["message"]
        assert cli("index", "rebuild", "--index", str(location), "-q").returncode == 0
        time.sleep(1.1)
        for _ in range(6):
            assert requests.get(server.url + "/api/health", timeout=10).status_code == 200
    finally:
        assert server.stop() == 0


# -------------------------------------------------------------------- full disk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs mounted by the test (CI runs as root)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)  # fmt: skip
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.parametrize("procs", [1, 2])
def test_full_disk_fails_cleanly_and_leaves_the_live_index(
    tmp_path: Path, small_disk: Path, procs: int
) -> None:
    location = small_disk / "index"
    small = tmp_path / "small-src"
    _articles(small, 20, "alpha")
    build([small], location)
    before = search("alpha", index=IndexStore(location)).total
    big = tmp_path / "big-src"
    _articles(big, 20_000, "beta")  # ~10 MB of index: more than the disk has
    r = cli("index", "build", str(big), "--index", str(location), "--quiet", "--procs",
            str(procs))  # fmt: skip
    assert r.returncode == 1
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("Error: no space left on device") and "unchanged" in line, line
    assert not list(location.glob(".build-*")), "the partial build was not cleaned up"
    assert [p.name for p in location.glob("gen-*")] == ["gen-000001"]
    assert search("alpha", index=IndexStore(location)).total == before == 20
    assert cli("index", "check", "--index", str(location)).returncode == 0
    # An update that runs out of space leaves the live generation as it was too,
    # without the half-written segment.
    files_before = sorted(os.listdir(current_generation(location)))
    r = cli("index", "update", str(big), "--index", str(location), "--quiet")
    assert sorted(os.listdir(current_generation(location))) == files_before
    assert r.returncode == 1 and r.stderr.startswith("Error: no space left on device"), r.stderr
    assert search("alpha", index=IndexStore(location)).total == 20
    assert search("beta", index=IndexStore(location)).total == 0
    assert cli("index", "check", "--index", str(location)).returncode == 0


# ---------------------------------------------------------- files that misbehave


def test_unreadable_and_looping_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text(page(title="Readable story"), encoding="utf-8")
    secret = src / "secret.txt"
    secret.write_text(page(title="Secret story"), encoding="utf-8")
    secret.chmod(0)
    (src / "loop").symlink_to(src)  # a folder that contains itself
    (src / "a").mkdir()
    (src / "a" / "b").symlink_to(src / "a")
    (src / "a" / "again.txt").symlink_to(src / "good.txt")  # the same file by another name
    (src / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    location = tmp_path / "index"
    r = cli("index", "build", str(src), "--index", str(location), "--json", honour_permissions=True)
    # Built, but two paths could not be read: exit 3, saying so.
    assert r.returncode == 3, r.stderr
    assert r.stderr == "Error: 2 paths could not be read; what the index held from them was kept\n"
    report = json.loads(r.stdout)
    reasons = {Path(s["path"]).name: s["reason"] for s in report["skipped"]}
    assert set(reasons) == {"secret.txt", "loop", "b", "dangling.txt"}, reasons
    assert "Permission denied" in reasons["secret.txt"]
    assert sorted(Path(p).name for p in report["unreadable"]) == ["dangling.txt", "secret.txt"]
    assert "No such file" in reasons["dangling.txt"]
    assert (
        reasons["loop"]
        == reasons["b"]
        == "a folder already read by another path (a link or a loop)"
    )
    assert report["indexed"] == 1
    assert search("story", index=IndexStore(location)).total == 1  # nothing twice


def test_files_that_vanish_between_listing_and_reading(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(5):
        (src / f"{i}.txt").write_text(page(title=f"Story number {i}"), encoding="utf-8")
    files, _ = list_files([src])
    (src / "2.txt").unlink()
    location = tmp_path / "index"
    report = build([src], location, files=files)
    assert [(Path(s.path).name, "No such file" in s.reason) for s in report.skipped] == [
        ("2.txt", True)
    ]
    assert report.indexed == 4
    # In an update, an article whose file vanished mid-run is kept until a run sees it gone.
    (src / "2.txt").write_text(page(title="Story number 2"), encoding="utf-8")
    assert update([src], location).indexed == 1
    files, _ = list_files([src])
    (src / "3.txt").unlink()
    report = update([src], location, files=files)
    assert [Path(s.path).name for s in report.skipped] == ["3.txt"] and report.removed == 0
    assert search("story", index=IndexStore(location)).total == 5
    report = update([src], location)
    assert report.removed == 1 and search("story", index=IndexStore(location)).total == 4


# ------------------------------------------------------------------ two writers


def test_two_updates_at_the_same_moment(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _articles(src, 3000, "alpha")
    location = tmp_path / "index"
    build([src], location)
    _articles(src, 3000, "omega")  # every article changed: the update rewrites them all
    (src / "new.txt").write_text(page(title="Freshly added story"), encoding="utf-8")
    start = threading.Barrier(2)
    results: list[subprocess.CompletedProcess[str]] = []

    def run() -> None:
        start.wait()
        results.append(cli("index", "update", str(src), "--index", str(location), "--quiet"))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.returncode for r in results) == [0, 1], [r.stderr for r in results]
    (done,) = [r for r in results if r.returncode == 0]
    (refused,) = [r for r in results if r.returncode == 1]
    (line,) = refused.stderr.strip().splitlines()
    assert re.search(r"being written by another process \(pid \d+\)", line), line
    assert "indexed 1, updated 3,000, unchanged 0, removed 0" in done.stdout
    # No lost update: everything the update read is in; a second run finds nothing to do.
    store = IndexStore(location)
    assert search("omega", index=store).total == 3000 and search("alpha", index=store).total == 0
    assert search('"freshly added"', index=store).total == 1
    again = cli("index", "update", str(src), "--index", str(location), "--quiet")
    assert "indexed 0, updated 0, unchanged 3,001, removed 0" in again.stdout


def test_a_missing_source_folder_never_empties_the_archive(tmp_path: Path) -> None:
    """A source folder that is not there is a usage error (exit 2); one that is there but
    empty (an unmounted disk's mount point) reads no article, which fails (exit 1): neither
    a build nor an update takes the archive's articles away because of it."""
    src = tmp_path / "mnt" / "archive"
    _articles(src, 40)
    location = tmp_path / "index"
    build([src], location)
    src.rename(tmp_path / "elsewhere")  # gone
    for command in ("build", "update"):
        r = cli("index", command, str(src), "--index", str(location), "--quiet")
        assert (r.returncode, r.stdout) == (2, ""), r.stderr
        assert r.stderr == f"Error: Invalid value for 'PATHS...': Path '{src}' does not exist.\n"
    src.mkdir()  # "unmounted": the mount point is there, empty
    r = cli("index", "build", str(src), "--index", str(location), "--quiet")
    assert r.returncode == 1
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("Error: the build read no articles (0 skipped)")
    assert "(40 articles) was kept" in line
    assert "--allow-empty" in line and not list(location.glob(".build-*"))
    r = cli("index", "update", str(src), "--index", str(location), "--json")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("Error: the update read no articles (0 skipped)")
    assert search("record", index=IndexStore(location)).total == 40
    # Asked for explicitly, an empty build does replace it.
    r = cli("index", "build", str(src), "--index", str(location), "--quiet", "--allow-empty")
    assert r.returncode == 0 and search("record", index=IndexStore(location)).total == 0
