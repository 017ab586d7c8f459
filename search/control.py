"""The index folder's control files, opened without following links.

A writer of the index folder opens, truncates and replaces a few files of its own: the
lock (``.lock``), the ``current`` link and its temporary, each generation's summary and
story groups and their temporaries. A link planted under one of those names (or a hard
link: a second name of a file elsewhere) would make us truncate or read whatever it
points to. So these files are opened with ``O_NOFOLLOW``, must be plain files with one
name, and are never written in place: a temporary is created exclusively (``O_EXCL``
never follows a link either) and renamed over the old file (a rename replaces a link,
it does not write through it). What is not so is refused with :class:`UnsafeIndex`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from search.errors import UnsafeIndex

__all__ = ["clear", "link_detail", "open_control", "read_json", "refuse", "write_atomically"]

_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC


def _name(path: Path) -> str:
    """``gen-000001/news-search.json`` or ``.lock``: the path inside the index folder."""
    return f"{path.parent.name}/{path.name}" if path.parent.name.startswith("gen-") else path.name


def _location(path: Path) -> str:
    return str(path.parent.parent if path.parent.name.startswith("gen-") else path.parent)


def refuse(path: Path, why: str) -> UnsafeIndex:
    return UnsafeIndex(_location(path), f"{_name(path)} {why}")


def link_detail(path: Path) -> str:
    try:
        return f"is a symbolic link (to {os.readlink(path)})"
    except OSError:
        return "is a symbolic link"


def open_control(path: Path, flags: int, mode: int = 0o644) -> int:
    """A descriptor of the control file ``path`` (created if ``flags`` say so), or raise
    :class:`UnsafeIndex` if it is a link, not a plain file, or has another name."""
    try:
        fd = os.open(path, flags | _FLAGS, mode)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise refuse(path, link_detail(path)) from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise refuse(path, "is not a plain file")
        if st.st_nlink != 1:
            raise refuse(path, f"has {st.st_nlink} names (a hard link to a file elsewhere)")
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_json(path: Path) -> Any:
    """The JSON in the control file ``path``; None if it is missing or unreadable as JSON
    (a link is refused, not read)."""
    try:
        fd = open_control(path, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        return None
    with open(fd, encoding="utf-8", closefd=True) as f:
        try:
            return json.load(f)
        except (ValueError, UnicodeDecodeError):
            return None


def clear(path: Path) -> None:
    """Remove ``path`` whatever it is, never what a link points to (a left-over temporary)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace the control file ``path`` with ``data``: a reader sees the old or the new
    file whole, and nothing a link planted here points to is written."""
    tmp = path.with_name(path.name + ".tmp")
    clear(tmp)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _FLAGS, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, path)


@contextlib.contextmanager
def folder_written_atomically(final: Path) -> Iterator[Path]:
    """A temporary folder (``<final>.tmp``) to write into; when the block ends, every
    file in it is fsynced and the folder renamed to ``final`` (replacing it): a reader
    sees all of it or none. If the block raises, the temporary is removed."""
    tmp = final.with_name(final.name + ".tmp")
    clear(tmp)
    tmp.mkdir()
    try:
        yield tmp
        for p in tmp.iterdir():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
        clear(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def prune_numbered(parent: Path, prefix: str, keep: set[int]) -> None:
    """Remove ``parent``'s entries named ``<prefix><N>`` for N not in ``keep``, and
    their temporaries (``<prefix><N>.tmp``)."""
    for p in parent.glob(prefix + "*"):
        number = p.name[len(prefix) :]
        if number.endswith(".tmp") or not number.isdigit() or int(number) not in keep:
            with contextlib.suppress(OSError):
                clear(p)
