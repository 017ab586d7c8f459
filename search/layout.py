"""The index folder on disk: its generations, its ``current`` link, its lock, its summary.

An index location holds::

    current -> gen-000007     the live generation (a symbolic link, replaced atomically)
    gen-000007/               a complete index (the backend's files), news-search.json
                              (its summary) and stories-N.json (the story groups of
                              table of contents N)
    gen-000006/               the previous generation, kept for readers still using it
    .lock                     the single-writer lock (flock) and its holder's pid

Writers (search.indexing) and readers (the backend's store) both use this module;
neither imports the other. The control files (``.lock``, ``current``, summaries, story
groups and their temporaries) are never followed through links (see search.control).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import stat
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from search.control import clear, link_detail, open_control, read_json, refuse, write_atomically
from search.errors import IndexCorrupt, IndexLocked, IndexMissing, NewsSearchError, UnsafeIndex

__all__ = [
    "BUILD_PREFIX",
    "CURRENT",
    "GEN_PREFIX",
    "LOCK_FILE",
    "SUMMARY_FILE",
    "TMP_LINK",
    "current_generation",
    "day_date",
    "day_number",
    "fsync_dir",
    "generation_number",
    "live_or_none",
    "points_to",
    "prune_generations",
    "read_summary",
    "switch_to",
    "write_summary",
    "writer_holding",
    "writer_lock",
]

SUMMARY_FILE = "news-search.json"
CURRENT = "current"
LOCK_FILE = ".lock"
GEN_PREFIX = "gen-"
BUILD_PREFIX = ".build-"
#: The new ``current`` link, made beside it and renamed over it.
TMP_LINK = CURRENT + ".tmp"
#: What ``current`` may point to: a generation folder in the index folder itself.
GEN_NAME = re.compile(r"gen-[0-9]{6,}")


# ----------------------------------------------------------------------- locking


@contextlib.contextmanager
def writer_lock(location: Path) -> Iterator[None]:
    """Hold the index's single-writer lock, or raise :class:`IndexLocked` at once.

    The lock is an ``flock`` on ``.lock``: the kernel releases it when its holder dies,
    so a lock left by a killed process is never in the way. The refusal names the holder
    as the kernel knows it (``/proc/locks``); the pid is also written in the file, for
    people. A ``.lock`` that is a link (or a second name of another file) is refused
    before anything is written: it is never followed.
    """
    location.mkdir(parents=True, exist_ok=True)
    fd = open_control(location / LOCK_FILE, os.O_RDWR | os.O_CREAT)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # The kernel names the holder; the pid in the file may not be written yet.
            pid = writer_holding(location)
            holder = f"pid {pid}" if pid is not None else "unknown pid"
            raise IndexLocked(str(location), holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
        prepare_folder(location)
        yield
    finally:
        os.close(fd)


def writer_holding(location: Path) -> int | None:
    """The pid of the process holding the writer lock now, or None (read from
    ``/proc/locks``, so asking never gets in a writer's way)."""
    try:
        st = os.lstat(location / LOCK_FILE)  # a link's target is not our lock
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF" (major:minor:inode)
        parts = line.split()
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[-4].isdigit():
            with contextlib.suppress(ValueError):
                major, minor, inode = parts[-3].split(":")
                if (int(major, 16), int(minor, 16), int(inode)) == (
                    os.major(st.st_dev),
                    os.minor(st.st_dev),
                    st.st_ino,
                ):
                    return int(parts[-4])
    return None


def prepare_folder(location: Path) -> None:
    """Under the lock, before anything is read or written: refuse control files that
    are links, and remove what writers that died left (we hold the lock, so it is no
    running writer's): half-written builds, a ``current.tmp`` of any kind, and
    generations never switched to (numbered above the live one, or not folders)."""
    live = live_or_none(location)
    for p in location.glob(BUILD_PREFIX + "*"):
        clear(p)
    clear(location / TMP_LINK)
    for p in location.glob(GEN_PREFIX + "*"):
        if live is not None and p.name == live.name:
            continue
        if not stat.S_ISDIR(os.lstat(p).st_mode) or (
            live is not None and generation_number(p) > generation_number(live)
        ):
            clear(p)
    if live is None:
        return
    # A generation holds only files we and Whoosh wrote: none is a link. (Whoosh opens
    # its MAIN_WRITELOCK with O_CREAT, which would create what a link there names.)
    for p in live.iterdir():
        if p.name.endswith(".json.tmp") or (
            p.name.startswith("columns-") and p.name.endswith(".tmp")
        ):
            clear(p)  # our temporaries, left by a writer that died
        elif p.is_symlink():
            raise refuse(p, link_detail(p))


# -------------------------------------------------------------------- generations


def current_generation(location: Path) -> Path:
    """The directory of the live generation, or raise :class:`IndexMissing` (none yet),
    :class:`IndexCorrupt` (it is gone) or :class:`UnsafeIndex` (``current`` is not a
    link to a generation folder of this index folder)."""
    link = location / CURRENT
    try:
        name = os.readlink(link)
    except FileNotFoundError:
        raise IndexMissing(str(location)) from None
    except OSError as e:
        if e.errno == errno.EINVAL:  # there, but not a link
            raise refuse(link, "is not a symbolic link") from None
        raise IndexMissing(str(location)) from e
    if not GEN_NAME.fullmatch(name):
        raise refuse(link, f"points outside the index folder (to {name})")
    target = location / name
    try:
        mode = os.lstat(target).st_mode
    except OSError:
        mode = 0
    if stat.S_ISLNK(mode):
        raise refuse(target, link_detail(target))
    if not stat.S_ISDIR(mode):
        raise IndexCorrupt(str(location), f"'{CURRENT}' points to a missing {name}")
    return target


def generation_number(p: Path) -> int:
    try:
        return int(p.name[len(GEN_PREFIX) :])
    except ValueError:
        return 0


def switch_to(location: Path, new_gen: Path) -> None:
    tmp_link = location / TMP_LINK
    clear(tmp_link)
    os.symlink(new_gen.name, tmp_link)  # never follows: fails if the name is taken
    os.replace(tmp_link, location / CURRENT)  # replaces the link itself, atomically
    fsync_dir(location)


def points_to(location: Path, gen: Path) -> bool:
    try:
        return os.readlink(location / CURRENT) == gen.name
    except OSError:
        return False


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prune_generations(location: Path, keep: Sequence[Path]) -> None:
    keep_names = {p.name for p in keep}
    for p in location.glob(GEN_PREFIX + "*"):
        if p.name not in keep_names:
            clear(p)


def read_summary(gen_dir: Path) -> dict[str, Any]:
    """The summary a build or update left in a generation (empty if none; a link is
    refused with :class:`UnsafeIndex`, never read)."""
    data = read_json(gen_dir / SUMMARY_FILE)
    return data if isinstance(data, dict) else {}


def write_summary(gen_dir: Path, summary: dict[str, Any]) -> None:
    data = json.dumps(summary, indent=2, sort_keys=True).encode("utf-8")
    write_atomically(gen_dir / SUMMARY_FILE, data)


def live_or_none(loc: Path) -> Path | None:
    """The live generation; None when there is none that can be read (a build replaces
    it); a folder that is refused stays refused."""
    try:
        return current_generation(loc)
    except UnsafeIndex:
        raise
    except NewsSearchError:
        return None


# -------------------------------------------------------------------------- days


def day_number(d: date) -> int:
    """The day number the columns use: the proleptic Gregorian ordinal."""
    return d.toordinal()


def day_date(n: int) -> date:
    return date.fromordinal(n)
