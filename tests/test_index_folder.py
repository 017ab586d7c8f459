"""The index folder's control files under attack, for real: links planted under their
names, debris of writers that died, a disk that fills at the switch, an update killed
right after its commit, and two servers side by side.

Faults at an exact moment are injected into a real ``news-search`` process through a
Python audit hook installed before the CLI starts (``sys.addaudithook``): the hook
watches the process's own system calls (a rename, a symlink) and at that moment kills
it with SIGKILL or fills the disk's inodes. Nothing of ours is replaced or mocked.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from search.backends.whoosh.store import IndexStore
from search.layout import current_generation
from search.querying import search
from tests.conftest import ROOT, cli
from tests.live import Server
from tests.test_stories import SEED_TEXT, rescrape

#: What a file outside the index holds; a writer that follows a link would change it.
PRECIOUS = "a file outside the index that no writer may touch\n"
REFUSED = "the index folder's control files are never followed through links"


def _records(src: Path, n: int, word: str = "story") -> None:
    src.mkdir(parents=True, exist_ok=True)
    with open(src / "records.jsonl", "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"r{i}", "title": f"Record {i} {word}",
                                "published": f"2022-{1 + i % 12:02d}-01",
                                "body": f"Body of record {i} about {word}."}) + "\n")  # fmt: skip


def _build(src: Path, location: Path) -> None:
    r = cli("index", "build", str(src), "--index", str(location), "--quiet")
    assert r.returncode == 0, r.stderr


def _one_line(r: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in r.stderr, r.stderr
    (line,) = r.stderr.strip().splitlines()
    return line


def _listing(location: Path) -> list[str]:
    return sorted(os.listdir(location))


def _tree_bytes(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*"))


RUN_CLI = "\nimport runpy\nrunpy.run_module('search.cli', run_name='__main__', alter_sys=True)\n"


def cli_with_hook(hook: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``news-search ARGS`` in a new process with the audit hook ``hook`` installed first."""
    return subprocess.run(
        [sys.executable, "-c", hook + RUN_CLI, *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def kill_after_rename(pattern: str) -> str:
    """A hook that SIGKILLs the process at its first event after it renames a file whose
    new name matches ``pattern`` (the rename itself has happened)."""
    return f"""
import os, re, signal, sys
state = []
def hook(event, args):
    if state == ["renamed"]:
        state.append("killing")
        os.kill(os.getpid(), signal.SIGKILL)
    elif not state and event == "os.rename" and re.search({pattern!r}, str(args[1])):
        state.append("renamed")
sys.addaudithook(hook)
"""


def fill_inodes_at_symlink(name: str, fill: Path) -> str:
    """A hook that, when the process is about to create the symbolic link ``name``,
    creates empty files in ``fill`` until the file system has no inode left."""
    return f"""
import os, sys
done = []
def hook(event, args):
    if event == "os.symlink" and not done and str(args[1]).endswith({name!r}):
        done.append(1)
        i = 0
        try:
            while True:
                os.close(os.open(os.path.join({str(fill)!r}, str(i)), os.O_CREAT | os.O_WRONLY))
                i += 1
        except OSError:
            pass
sys.addaudithook(hook)
"""


# ------------------------------------------------------------------ links refused


@pytest.mark.parametrize("kind", ["symbolic link", "dangling symbolic link", "hard link"])
@pytest.mark.parametrize("existing", [True, False], ids=["built index", "new folder"])
def test_a_lock_that_is_a_link_is_refused_and_its_target_untouched(
    tmp_path: Path, kind: str, existing: bool
) -> None:
    src = tmp_path / "src"
    _records(src, 30)
    location = tmp_path / "index"
    if existing:
        _build(src, location)
        (location / ".lock").unlink()
    else:
        location.mkdir()
    precious = tmp_path / "precious.txt"
    if kind != "dangling symbolic link":
        precious.write_text(PRECIOUS)
    if kind == "hard link":
        os.link(precious, location / ".lock")
        detail = ".lock has 2 names (a hard link to a file elsewhere)"
    else:
        (location / ".lock").symlink_to(precious)
        detail = f".lock is a symbolic link (to {precious})"
    before = _listing(location)
    for command in ("build", "update") if existing else ("build",):
        r = cli("index", command, str(src), "--index", str(location), "--quiet")
        assert (r.returncode, r.stdout) == (1, ""), r.stderr
        assert _one_line(r) == f"Error: the index at {location} is refused: {detail}; {REFUSED}: " \
            "remove it and run again"  # fmt: skip
        if kind == "dangling symbolic link":
            assert not precious.exists(), "the writer created the file the link points to"
        else:
            assert precious.read_text() == PRECIOUS
        assert _listing(location) == before
    check = cli("index", "check", "--index", str(location))
    assert check.returncode == 1
    if existing:  # the index reads; the writer line says why no writer will run
        assert "FAIL  writer   the writer lock .lock is" in check.stdout, check.stdout
        assert search("story", index=IndexStore(location)).total == 30


def _point_current_elsewhere(location: Path, elsewhere: Path) -> Path:
    target = current_generation(elsewhere)
    (location / "current").unlink()
    (location / "current").symlink_to(target)
    return target


def _summary_as_link(location: Path, elsewhere: Path) -> Path:
    summary = current_generation(location) / "news-search.json"
    outside = elsewhere.parent / "summary.json"
    outside.write_bytes(summary.read_bytes())
    summary.unlink()
    summary.symlink_to(outside)
    return outside


def _generation_as_link(location: Path, elsewhere: Path) -> Path:
    gen = current_generation(location)
    os.rename(gen, elsewhere.parent / "moved-gen")
    gen.symlink_to(elsewhere.parent / "moved-gen")
    return elsewhere.parent / "moved-gen"


LINKED = {
    "current points outside": (_point_current_elsewhere, "current points outside the index "
                               "folder (to {target})"),
    "summary is a link": (_summary_as_link, "gen-000001/news-search.json is a symbolic link "
                          "(to {target})"),
    "generation is a link": (_generation_as_link, "gen-000001 is a symbolic link (to {target})"),
}  # fmt: skip


@pytest.mark.parametrize("case", LINKED)
def test_control_files_that_are_links_are_refused_by_writers_and_readers(
    tmp_path: Path, case: str
) -> None:
    src, other = tmp_path / "src", tmp_path / "other-src"
    _records(src, 20, "alpha")
    _records(other, 20, "omega")
    location, elsewhere = tmp_path / "index", tmp_path / "elsewhere" / "index"
    _build(src, location)
    _build(other, elsewhere)
    plant, detail = LINKED[case]
    target = plant(location, elsewhere)
    snapshot = {p: p.lstat().st_mtime_ns for p in target.parent.rglob("*")}
    contents = {p: p.read_bytes() for p in target.parent.rglob("*") if p.is_file()}
    message = f"the index at {location} is refused: {detail.format(target=target)}; {REFUSED}"
    _records(src, 25, "alpha")  # something for an update to do
    for command in (["index", "update", str(src)], ["index", "build", str(src)],
                    ["query", "alpha"], ["index", "stats"]):  # fmt: skip
        r = cli(*command, "--index", str(location))
        assert r.returncode == 1, (command, r.stdout, r.stderr)
        assert _one_line(r).startswith(f"Error: {message}"), (command, r.stderr)
    check = cli("index", "check", "--index", str(location))
    assert check.returncode == 1 and check.stdout.startswith(f"FAIL  opens    {message}")
    # Nothing the links point to was written, renamed or removed.
    assert {p: p.lstat().st_mtime_ns for p in target.parent.rglob("*")} == snapshot
    assert {p: p.read_bytes() for p in target.parent.rglob("*") if p.is_file()} == contents


@pytest.mark.parametrize("name", ["MAIN_WRITELOCK", "_MAIN_1.toc"])
def test_a_link_in_the_live_generation_is_refused_by_writers(tmp_path: Path, name: str) -> None:
    """Whoosh's own files too: its write lock is opened with O_CREAT (a dangling link
    there would create the file it names), its table of contents read through a link."""
    src = tmp_path / "src"
    _records(src, 20)
    location = tmp_path / "index"
    _build(src, location)
    gen = current_generation(location)
    moved = tmp_path / name
    os.rename(gen / name, moved)
    (gen / name).symlink_to(moved if name.endswith(".toc") else tmp_path / "created-by-us")
    _records(src, 21)
    for command in ("update", "build"):
        r = cli("index", command, str(src), "--index", str(location), "--quiet")
        assert r.returncode == 1, r.stderr
        assert _one_line(r).startswith(
            f"Error: the index at {location} is refused: gen-000001/{name} is a symbolic link"
        )
    assert not (tmp_path / "created-by-us").exists()
    assert _listing(location) == [".lock", "current", "gen-000001"]


@pytest.mark.parametrize("name", ["current.tmp", "gen-000001/news-search.json.tmp",
                                  "gen-000001/stories.json.tmp", "gen-000001/stories-1.json.tmp"])  # fmt: skip
def test_temporaries_that_are_links_are_removed_never_followed(tmp_path: Path, name: str) -> None:
    src = tmp_path / "src"
    _records(src, 20)
    location = tmp_path / "index"
    _build(src, location)
    precious = tmp_path / "precious.txt"
    precious.write_text(PRECIOUS)
    (location / name).symlink_to(precious)
    _records(src, 21)
    r = cli("index", "update", str(src), "--index", str(location), "--quiet")
    assert r.returncode == 0, r.stderr
    assert precious.read_text() == PRECIOUS
    assert not (location / name).is_symlink() and not (location / name).exists()
    assert search("story", index=IndexStore(location)).total == 21


# ------------------------------------------------------ debris of dead writers


def _plant(location: Path, kind: str, outside: Path) -> None:
    tmp = location / "current.tmp"
    if kind == "file":
        tmp.write_text("gen-000009")
    elif kind == "folder":
        tmp.mkdir()
        (tmp / "something").write_text("x")
    elif kind == "symbolic link":
        tmp.symlink_to(outside)
    else:
        tmp.symlink_to(location / "gen-nothing")
    # A build that died between renaming its generation into place and the switch (a
    # half-written one: its files are cut short), and one that died while writing.
    half = location / "gen-000007"
    half.mkdir()
    for f in current_generation(location).iterdir():
        if f.is_file():
            (half / f.name).write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    (location / ".build-99999").mkdir()
    (location / ".build-99999" / "_MAIN_1.toc").write_bytes(b"x" * 1000)


@pytest.mark.parametrize("kind", ["file", "folder", "symbolic link", "dangling symbolic link"])
def test_a_stray_current_tmp_and_stale_generations_do_not_stop_a_build(
    tmp_path: Path, kind: str
) -> None:
    src = tmp_path / "src"
    _records(src, 2000, "alpha")
    location = tmp_path / "index"
    _build(src, location)
    outside = tmp_path / "precious.txt"
    outside.write_text(PRECIOUS)
    _plant(location, kind, outside)
    _records(src, 2000, "omega")
    for _ in range(2):  # and the next build finds nothing in its way either
        r = cli("index", "build", str(src), "--index", str(location), "--quiet")
        assert r.returncode == 0, r.stderr
        assert search("omega", index=IndexStore(location)).total == 2000
    assert outside.read_text() == PRECIOUS
    # Only the live generation (numbered on from the live one) and the one before it.
    assert _listing(location) == [".lock", "current", "gen-000002", "gen-000003"]
    assert current_generation(location).name == "gen-000003"
    assert cli("index", "check", "--index", str(location)).returncode == 0


@pytest.fixture
def few_inodes(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs with 2,000 inodes, mounted by the test (CI runs as root)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,nr_inodes=2000", "tmpfs",
                        str(mnt)], capture_output=True, text=True)  # fmt: skip
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_build_that_fails_at_the_switch_leaves_no_copy(tmp_path: Path, few_inodes: Path) -> None:
    """The disk fills (its inodes: every one taken by another writer) at the moment the
    build has renamed its complete generation into place and makes the new link: the
    build fails, says so in one line, and removes its generation."""
    src = tmp_path / "src"
    _records(src, 2000, "alpha")
    location, fill = few_inodes / "index", few_inodes / "fill"
    fill.mkdir()
    _build(src, location)
    before = _listing(location)
    _records(src, 2000, "omega")
    r = cli_with_hook(fill_inodes_at_symlink("current.tmp", fill),
                      "index", "build", str(src), "--index", str(location), "--quiet")  # fmt: skip
    assert len(os.listdir(fill)) > 1000, "the hook did not fill the disk"
    assert r.returncode == 1, r.stderr
    line = _one_line(r)
    assert line.startswith(f"Error: no space left on device while writing the index at {location}")
    assert "the live index is unchanged" in line
    leftover = sum(_tree_bytes(p) for p in location.iterdir() if p.is_dir())
    assert _listing(location) == before == [".lock", "current", "gen-000001"], leftover
    assert search("alpha", index=IndexStore(location)).total == 2000
    for f in fill.iterdir():
        f.unlink()
    _build(src, location)
    assert search("omega", index=IndexStore(location)).total == 2000
    assert _listing(location) == [".lock", "current", "gen-000001", "gen-000002"]


# -------------------------------------------------- story groups and the commit


def _versions(location: Path) -> list[int]:
    """The versions shown per hit for the seed's story."""
    return [h.versions for h in search("taliban", index=IndexStore(location)).hits]


def _stories_files(location: Path) -> list[str]:
    return sorted(p.name for p in current_generation(location).glob("stories*"))


MOMENTS = {
    # The story groups of the new table of contents are written, the commit is not.
    "just before the commit": (r"stories-[0-9]+[.]json$", 1, [0]),
    # Whoosh's commit: the rename of its new table of contents.
    "right after the commit": (r"_MAIN_[0-9]+[.]toc$", 2, [1]),
}


@pytest.mark.parametrize("moment", MOMENTS)
def test_an_update_killed_at_its_commit_leaves_stories_that_agree(
    tmp_path: Path, moment: str
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "seed.txt").write_text(SEED_TEXT, encoding="utf-8")
    location = tmp_path / "index"
    _build(src, location)
    assert _versions(location) == [0]
    (src / "later.txt").write_text(rescrape("13 March 2025"), encoding="utf-8")  # a copy
    pattern, total, versions = MOMENTS[moment]
    r = cli_with_hook(kill_after_rename(pattern), "index", "update", str(src), "--index",
                      str(location), "--quiet")  # fmt: skip
    assert r.returncode == -9, (r.returncode, r.stdout, r.stderr)
    # Killed where it was meant to be: the new article is in (or not) ...
    assert search("taliban", index=IndexStore(location)).total == total
    # ... and the story groups say the same as the documents, with no repair needed.
    assert _versions(location) == versions
    check = cli("index", "check", "--index", str(location))
    assert check.returncode == 0 and "ok    stories  " in check.stdout, check.stdout
    again = cli("index", "update", str(src), "--index", str(location))
    assert again.returncode == 0, again.stderr
    assert _versions(location) == [1]
    assert cli("index", "check", "--index", str(location)).returncode == 0
    # One file of groups for the live table of contents, and at most the one before it.
    assert len(_stories_files(location)) <= 2 and all(
        f.startswith("stories-") for f in _stories_files(location)
    )


def test_story_groups_lost_or_left_stale_are_reported_and_repaired(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "seed.txt").write_text(SEED_TEXT, encoding="utf-8")
    location = tmp_path / "index"
    _build(src, location)
    gen = current_generation(location)
    before = (gen / "stories-1.json").read_bytes()
    (src / "later.txt").write_text(rescrape("13 March 2025"), encoding="utf-8")
    assert cli("index", "update", str(src), "--index", str(location), "-q").returncode == 0
    # The groups of the live table of contents, and of the one before (for a reader
    # that opened it a moment before the commit).
    assert _versions(location) == [1]
    assert _stories_files(location) == ["stories-1.json", "stories-2.json"]

    # Lost: the file of the live table of contents is gone.
    (gen / "stories-2.json").unlink()
    check = cli("index", "check", "--index", str(location))
    assert check.returncode == 1
    assert "FAIL  stories  no story groups for table of contents 2 (stories-2.json is missing)" \
        in check.stdout  # fmt: skip
    # Still searchable, with versions: the columns written at the commit keep the groups.
    assert _versions(location) == [1]
    r = cli("index", "update", str(src), "--index", str(location))
    assert r.returncode == 0 and "indexed 0, updated 0, unchanged 2, removed 0" in r.stdout
    assert _versions(location) == [1]
    assert cli("index", "check", "--index", str(location)).returncode == 0

    # Stale, as an earlier version left them when killed after its commit: an undated
    # stories.json from before the commit that added the copy.
    for f in _stories_files(location):
        (gen / f).unlink()
    (gen / "stories.json").write_bytes(before)
    check = cli("index", "check", "--index", str(location))
    assert check.returncode == 1
    assert "FAIL  stories  the story groups (stories.json) are out of date: 2 articles grouped " \
        "otherwise than their texts say" in check.stdout  # fmt: skip
    assert cli("index", "update", str(src), "--index", str(location), "-q").returncode == 0
    assert _versions(location) == [1] and _stories_files(location) == ["stories-2.json"]
    assert cli("index", "check", "--index", str(location)).returncode == 0


def test_stories_of_an_earlier_version_are_still_read(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "seed.txt").write_text(SEED_TEXT, encoding="utf-8")
    (src / "later.txt").write_text(rescrape("13 March 2025"), encoding="utf-8")
    location = tmp_path / "index"
    _build(src, location)
    gen = current_generation(location)
    os.rename(gen / "stories-1.json", gen / "stories.json")
    assert _versions(location) == [1]
    check = cli("index", "check", "--index", str(location))
    assert check.returncode == 0, check.stdout
    assert "(stories.json, of an earlier version)" in check.stdout


# ------------------------------------------------------------------ two servers


def _unix_socket_paths() -> set[str]:
    with open("/proc/net/unix") as f:
        next(f)
        return {parts[7] for parts in (line.split() for line in f) if len(parts) > 7}


def test_two_servers_side_by_side_share_no_control_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two `serve` on two ports over two index folders, with the same user's runtime
    folder (where gunicorn would put its one control socket): both start and answer,
    and neither opens a socket there for the other to take or remove."""
    runtime, home = tmp_path / "run", tmp_path / "home"
    runtime.mkdir(mode=0o700)
    home.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("HOME", str(home))
    servers = []
    try:
        for word in ("alpha", "omega"):
            src = tmp_path / f"{word}-src"
            _records(src, 10, word)
            _build(src, tmp_path / f"{word}-index")
            servers.append(Server(tmp_path / f"{word}-index", tmp_path / f"{word}.log"))
        for server, word in zip(servers, ("alpha", "omega"), strict=True):
            r = requests.get(server.url + "/api/search", params={"q": word}, timeout=10)
            assert r.status_code == 200 and r.json()["total"] == 10
        created = [str(p) for p in (*runtime.rglob("*"), *home.rglob("*"))]
        sockets = [p for p in _unix_socket_paths() if p.startswith(str(tmp_path))]
        assert created == [] and sockets == [], (created, sockets)
        # One stops; the other is not disturbed.
        assert servers.pop(0).stop() == 0
        r = requests.get(servers[0].url + "/api/search", params={"q": "omega"}, timeout=10)
        assert r.status_code == 200 and r.json()["total"] == 10
    finally:
        for server in servers:
            assert server.stop() == 0
    for word in ("alpha", "omega"):
        log = (tmp_path / f"{word}.log").read_text()
        assert "Traceback" not in log and "control socket" not in log.lower(), log[-2000:]
    assert not any(stat.S_ISSOCK(p.lstat().st_mode) for p in tmp_path.rglob("*"))
