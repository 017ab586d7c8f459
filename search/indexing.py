"""Write the index: ``build`` (a new generation, switched in atomically) and ``update``.

On disk, an index location holds::

    current -> gen-000007     the live generation (a symbolic link, replaced atomically)
    gen-000007/               a complete Whoosh index + news-search.json (its summary)
    gen-000006/               the previous generation, kept for readers still using it
    .lock                     the single-writer lock (flock) and its holder's pid

A build writes ``.build-<pid>/`` and renames it into place only when it is complete,
so a build killed at any moment leaves the live index exactly as it was; the next
writer removes the leftovers. An update changes the live generation through Whoosh's
own commit, which switches segments by renaming one table-of-contents file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from search.articles import Article, Skip, iter_files, read_path
from search.errors import (
    DiskFull,
    EmptyBuild,
    IndexCorrupt,
    IndexLocked,
    IndexMissing,
    NewsSearchError,
)
from search.schema import SCHEMA_VERSION, ArticleSchema, article_document
from search.segments import write_index
from search.stories import Sketch, cluster, decode, encode, sketch, write_stories

__all__ = [
    "SUMMARY_FILE",
    "RunReport",
    "StrictFailure",
    "build",
    "current_generation",
    "list_files",
    "read_summary",
    "update",
    "writer_holding",
    "writer_lock",
]

SUMMARY_FILE = "news-search.json"
CURRENT = "current"
LOCK_FILE = ".lock"
GEN_PREFIX = "gen-"
BUILD_PREFIX = ".build-"

#: Called after each file with (files done, articles read so far).
Progress = Callable[[int, int], None]


@dataclass
class RunReport:
    """What a build or an update did."""

    kind: str
    indexed: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[Skip] = field(default_factory=list)
    seconds: float = 0.0
    generation: str = ""
    articles: int = 0

    @property
    def articles_per_second(self) -> float:
        done = self.indexed + self.updated + self.unchanged
        return done / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["skipped"] = [{"path": s.path, "reason": s.reason} for s in self.skipped]
        return d


class StrictFailure(NewsSearchError):
    """``strict`` was asked for and something was skipped; the index was not changed."""

    def __init__(self, report: RunReport) -> None:
        n = len(report.skipped)
        super().__init__(
            f"{n:,} file{'s' if n != 1 else ''} or article{'s' if n != 1 else ''} skipped "
            "and --strict was given: the index was left as it was"
        )
        self.report = report


# ----------------------------------------------------------------------- locking


@contextlib.contextmanager
def writer_lock(location: Path) -> Iterator[None]:
    """Hold the index's single-writer lock, or raise :class:`IndexLocked` at once.

    The lock is an ``flock`` on ``.lock``: the kernel releases it when its holder dies,
    so a lock left by a killed process is never in the way. The refusal names the holder
    as the kernel knows it (``/proc/locks``); the pid is also written in the file, for
    people.
    """
    location.mkdir(parents=True, exist_ok=True)
    fd = os.open(location / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
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
        _remove_stale_builds(location)
        yield
    finally:
        os.close(fd)


def writer_holding(location: Path) -> int | None:
    """The pid of the process holding the writer lock now, or None (read from
    ``/proc/locks``, so asking never gets in a writer's way)."""
    try:
        st = os.stat(location / LOCK_FILE)
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


def _remove_stale_builds(location: Path) -> None:
    # We hold the lock, so any half-written build belongs to a writer that died.
    for p in location.glob(BUILD_PREFIX + "*"):
        shutil.rmtree(p, ignore_errors=True)
    tmp_link = location / (CURRENT + ".tmp")
    if tmp_link.is_symlink():
        tmp_link.unlink()


# -------------------------------------------------------------------- generations


def current_generation(location: Path) -> Path:
    """The directory of the live generation, or raise :class:`IndexMissing`."""
    link = location / CURRENT
    if not link.is_symlink():
        raise IndexMissing(str(location))
    target = location / os.readlink(link)
    if not target.is_dir():
        raise IndexCorrupt(str(location), f"'{CURRENT}' points to a missing {target.name}")
    return target


def _generation_number(p: Path) -> int:
    try:
        return int(p.name[len(GEN_PREFIX) :])
    except ValueError:
        return 0


def _switch_to(location: Path, new_gen: Path) -> None:
    tmp_link = location / (CURRENT + ".tmp")
    if tmp_link.is_symlink():
        tmp_link.unlink()
    os.symlink(new_gen.name, tmp_link)
    os.replace(tmp_link, location / CURRENT)
    _fsync_dir(location)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune_generations(location: Path, keep: Sequence[Path]) -> None:
    keep_names = {p.name for p in keep}
    for p in location.glob(GEN_PREFIX + "*"):
        if p.name not in keep_names and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)


def read_summary(gen_dir: Path) -> dict[str, Any]:
    """The summary a build or update left in a generation (empty if none)."""
    try:
        with open(gen_dir / SUMMARY_FILE, encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_summary(gen_dir: Path, summary: dict[str, Any]) -> None:
    tmp = gen_dir / (SUMMARY_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, gen_dir / SUMMARY_FILE)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------- reading in


def list_files(paths: Iterable[str | Path], fmt: str = "auto") -> tuple[list[Path], list[Skip]]:
    """The files a run will read (absolute paths), and the paths that cannot be read."""
    files: list[Path] = []
    skipped: list[Skip] = []
    for item in iter_files([Path(os.path.abspath(p)) for p in paths], fmt):
        (skipped if isinstance(item, Skip) else files).append(item)  # type: ignore[arg-type]
    return files, skipped


def _articles(
    files: Sequence[Path], fmt: str, report: RunReport, progress: Progress | None
) -> Iterator[Article]:
    """Every article in the files, once per id; skips recorded in the report."""
    seen: dict[str, str] = {}
    count = 0
    for i, f in enumerate(files, start=1):
        for item in read_path(f, fmt):
            if isinstance(item, Skip):
                report.skipped.append(item)
                continue
            first = seen.get(item.id)
            if first is not None:
                report.skipped.append(
                    Skip(item.path, f"duplicate id {item.id!r} (already read from {first})")
                )
                continue
            seen[item.id] = item.path
            count += 1
            yield item
        if progress:
            progress(i, count)


# ------------------------------------------------------------------------- build


def build(
    paths: Iterable[str | Path],
    location: str | Path,
    fmt: str = "auto",
    *,
    procs: int = 1,
    limitmb: int = 512,
    progress: Progress | None = None,
    files: Sequence[Path] | None = None,
    strict: bool = False,
    allow_empty: bool = False,
) -> RunReport:
    """Index every article under ``paths`` into a new generation and switch to it.

    Until the switch the previous generation answers every query; a failure (or a kill)
    before it leaves no trace but a ``.build-*`` folder that the next writer removes.
    A build that reads no article does not replace a live index that has some (a source
    folder that is not mounted must not empty the archive) unless ``allow_empty``.
    """
    loc = Path(location)
    report = RunReport(kind="build")
    started = time.perf_counter()
    paths = list(paths)
    with writer_lock(loc):
        if files is None:
            files, missing = list_files(paths, fmt)
        else:
            missing = []
        report.skipped.extend(missing)
        tmp = loc / f"{BUILD_PREFIX}{os.getpid()}"
        tmp.mkdir()
        try:
            whoosh_index.create_in(str(tmp), ArticleSchema()).close()

            sketches: list[Sketch] = []

            def documents() -> Iterator[dict[str, Any]]:
                for article in _articles(files, fmt, report, progress):
                    sk = _sketch(article)
                    sketches.append(sk)
                    yield article_document(article, encode(sk.hashes))
                    report.indexed += 1
                if strict and report.skipped:
                    raise StrictFailure(report)

            write_index(str(tmp), documents(), procs=procs, limitmb=limitmb)
            write_stories(tmp, cluster(sketches))
            ix = whoosh_index.open_dir(str(tmp))
            report.articles = ix.doc_count()
            toc_generation = ix.latest_generation()
            ix.close()
            previous = _live_or_none(loc)
            live = int(read_summary(previous).get("articles") or 0) if previous else 0
            if report.articles == 0 and live > 0 and not allow_empty:
                raise EmptyBuild(str(loc), live, len(report.skipped))
            number = 1 + max((_generation_number(p) for p in loc.glob(GEN_PREFIX + "*")), default=0)
            gen = loc / f"{GEN_PREFIX}{number:06d}"
            report.generation = gen.name
            report.seconds = time.perf_counter() - started
            _write_summary(
                tmp,
                {
                    "schema_version": SCHEMA_VERSION,
                    "built_at": _now(),
                    "updated_at": None,
                    "sources": [os.path.abspath(p) for p in paths],
                    "format": fmt,
                    "articles": report.articles,
                    # Which table of contents these figures describe (see index check).
                    "toc_generation": toc_generation,
                    "last_run": report.to_dict(),
                },
            )
            _fsync_dir(tmp)
            os.rename(tmp, gen)
        except BaseException as e:
            shutil.rmtree(tmp, ignore_errors=True)
            if _disk_full(e):
                raise DiskFull(str(loc), "build") from e
            raise
        _switch_to(loc, gen)
        _prune_generations(loc, [gen] + ([previous] if previous else []))
    return report


def _sketch(article: Article) -> Sketch:
    return sketch(article.id, article.published, article.title, article.text)


def _day_of(value: Any) -> date:
    """The day of a stored ``published`` value (a datetime; epoch when missing)."""
    return value.date() if isinstance(value, datetime) else date(1970, 1, 1)


def _disk_full(e: BaseException) -> bool:
    return isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT)


def _remove_unlisted_files(gen: Path) -> None:
    """Remove what a failed commit left: segment files no table of contents lists, and
    the writer's scratch space."""
    with contextlib.suppress(Exception):
        ix = whoosh_index.open_dir(str(gen))
        toc = ix._read_toc()
        whoosh_index.clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)
        ix.close()
    # The writer's scratch space (a folder, or a file, named MAIN.tmp).
    for scratch in gen.glob("*.tmp"):
        if scratch.is_dir():
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            scratch.unlink(missing_ok=True)


def _live_or_none(loc: Path) -> Path | None:
    try:
        return current_generation(loc)
    except NewsSearchError:
        return None


# ------------------------------------------------------------------------ update


def _under(path: str, roots: Sequence[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def update(
    paths: Iterable[str | Path],
    location: str | Path,
    fmt: str = "auto",
    *,
    progress: Progress | None = None,
    files: Sequence[Path] | None = None,
    strict: bool = False,
) -> RunReport:
    """Bring the live index in line with ``paths``: add new articles, replace changed
    ones (by content hash), and remove articles that came from under ``paths`` but are
    no longer there. Unchanged articles are not rewritten.
    """
    loc = Path(location)
    report = RunReport(kind="update")
    started = time.perf_counter()
    roots = [os.path.abspath(p) for p in paths]
    with writer_lock(loc):
        gen = current_generation(loc)
        if files is None:
            files, missing = list_files(roots, fmt)
        else:
            missing = []
        report.skipped.extend(missing)
        try:
            ix = whoosh_index.open_dir(str(gen))
        except Exception as e:  # whoosh raises many kinds for a damaged index
            raise IndexCorrupt(
                str(loc), str(e).splitlines()[0] if str(e) else type(e).__name__
            ) from e
        # Stored sketches are decoded only if the update commits (to cluster again).
        stored_sketches: dict[str, tuple[Any, bytes | None]] = {}
        new_sketches: dict[str, Sketch] = {}
        with ix.searcher() as s:
            existing: dict[str, tuple[str, str]] = {}
            for f in s.reader().all_stored_fields():
                existing[f["id"]] = (f.get("content_hash", ""), f.get("path", ""))
                stored_sketches[f["id"]] = (f.get("published"), f.get("sketch"))
        writer = ix.writer()
        seen: set[str] = set()
        committed = False
        try:
            for article in _articles(files, fmt, report, progress):
                seen.add(article.id)
                old = existing.get(article.id)
                if old is None or old[0] != article.content_hash or old[1] != article.path:
                    sk = new_sketches[article.id] = _sketch(article)
                    document = article_document(article, encode(sk.hashes))
                    if old is None:
                        writer.add_document(**document)
                        report.indexed += 1
                    else:
                        writer.update_document(**document)
                        report.updated += 1
                else:
                    report.unchanged += 1
            # Files that could not be read this time are not "gone": keep their articles.
            # Nor are the files under a folder that could not be read (not mounted?).
            unreadable = sorted({s.path.split("#", 1)[0].rsplit(":", 1)[0] for s in report.skipped})
            for art_id, (_, path) in existing.items():
                if art_id not in seen and _under(path, roots) and not _under(path, unreadable):
                    writer.delete_by_term("id", art_id)
                    stored_sketches.pop(art_id, None)
                    report.removed += 1
            if strict and report.skipped:
                raise StrictFailure(report)
            if report.indexed or report.updated or report.removed:
                # Whoosh writes the new segment, then renames a new table of contents
                # into place: until that rename, readers see the index as it was.
                writer.commit(optimize=False)
                committed = True
            else:
                writer.cancel()
        except BaseException as e:
            with contextlib.suppress(Exception):
                writer.cancel()
            _remove_unlisted_files(gen)
            if _disk_full(e):
                raise DiskFull(str(loc), "update") from e
            raise
        if committed:
            # After the commit, outside its rollback: the index has changed whatever
            # happens here, and a failure is reported as what it is.
            kept = [
                Sketch(art_id, _day_of(published), decode(data))
                for art_id, (published, data) in stored_sketches.items()
                if art_id not in new_sketches
            ]
            write_stories(gen, cluster([*kept, *new_sketches.values()]))
        report.articles = ix.doc_count()
        toc_generation = ix.latest_generation()
        ix.close()
        report.generation = gen.name
        report.seconds = time.perf_counter() - started
        summary = read_summary(gen)
        summary.update(
            {
                "updated_at": _now(),
                "articles": report.articles,
                "toc_generation": toc_generation,
                "last_run": report.to_dict(),
            }
        )
        _write_summary(gen, summary)
    return report
