"""Write the index: ``build`` (a new generation, switched in atomically) and ``update``.

The folder's layout (generations, the ``current`` link, the lock, the summary) is
search.layout's. A build writes ``.build-<pid>/`` and renames it into place only when
it is complete, so a build killed at any moment leaves the live index exactly as it
was; the next writer removes the leftovers (``.build-*``, ``current.tmp``, a generation
never switched to). An update changes the live generation through Whoosh's own commit,
which switches segments by renaming one table-of-contents file; the story groups of
that table of contents are written before it, so the rename commits both.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import logging
import os
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from search.articles import (
    DATE_ORDERS,
    Article,
    DateOrder,
    Note,
    Skip,
    article_id_for,
    iter_files,
    read_path,
)
from search.backends.whoosh import writer
from search.backends.whoosh.schema import SCHEMA_VERSION
from search.control import clear
from search.errors import (
    DiskFull,
    EmptyBuild,
    IndexCorrupt,
    NewsSearchError,
    SourceMissing,
)
from search.labels import labels_in, merged, read_labels
from search.layout import (
    BUILD_PREFIX,
    GEN_PREFIX,
    TMP_LINK,
    current_generation,
    fsync_dir,
    generation_number,
    live_or_none,
    points_to,
    prune_generations,
    read_summary,
    switch_to,
    write_summary,
    writer_lock,
)
from search.stories import (
    Sketch,
    cluster,
    cluster_rows,
    decode,
    encode,
    has_stories,
    prune_stories,
    read_stories,
    sketch,
    write_stories,
)

log = logging.getLogger("news_search")

__all__ = [
    "RunReport",
    "StrictFailure",
    "build",
    "check_sources",
    "list_files",
    "page_ids",
    "update",
]


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
    #: What was read but not used (unknown JSON Lines keys…): the articles are indexed.
    notes: list[Note] = field(default_factory=list)
    seconds: float = 0.0
    generation: str = ""
    articles: int = 0
    date_order: str = "dmy"

    @property
    def articles_per_second(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0

    @property
    def read(self) -> int:
        """Articles read this run (indexed, updated or unchanged)."""
        return self.indexed + self.updated + self.unchanged

    @property
    def unreadable(self) -> list[Skip]:
        """The skips of paths that could not be read at all (permissions, I/O): what the
        index held from under them was kept, and the run did not see everything."""
        return [s for s in self.skipped if s.unreadable]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["skipped"] = [{"path": s.path, "reason": s.reason} for s in self.skipped]
        d["unreadable"] = [s.path for s in self.unreadable]
        d["notes"] = [{"path": n.path, "message": n.message} for n in self.notes]
        return d


class StrictFailure(NewsSearchError):
    """``strict`` was asked for and something was skipped; the index was not changed."""

    def __init__(self, report: RunReport) -> None:
        n = len(report.skipped)
        what = (
            [f"{n:,} file{'s' if n != 1 else ''} or article{'s' if n != 1 else ''} skipped"]
            if n
            else []
        )
        if report.notes:
            k = len(report.notes)
            what.append(f"{k:,} note{'s' if k != 1 else ''} on what was not used")
        super().__init__(
            f"{' and '.join(what)} and --strict was given: the index was left as it was"
        )
        self.report = report

    @staticmethod
    def applies(report: RunReport) -> bool:
        return bool(report.skipped or report.notes)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------- reading in


def check_sources(paths: Iterable[str | Path]) -> None:
    """Raise :class:`SourceMissing` for the first path that does not exist (a dangling
    link included): a run asked to read what is not there must not read the rest as if
    it were all, and an update must not take its articles for gone."""
    for p in paths:
        if not os.path.exists(p):
            raise SourceMissing(str(p))


def list_files(paths: Iterable[str | Path], fmt: str = "auto") -> tuple[list[Path], list[Skip]]:
    """The files a run will read (absolute paths), and the paths that cannot be read."""
    files: list[Path] = []
    skipped: list[Skip] = []
    for item in iter_files([Path(os.path.abspath(p)) for p in paths], fmt):
        (skipped if isinstance(item, Skip) else files).append(item)  # type: ignore[arg-type]
    return files, skipped


#: Files whose articles carry their own ids (JSON Lines, Reuters): never renamed.
_CONTAINERS = (".jsonl", ".ndjson", ".sgm", ".sgml")
_MAX_ID = 128
_SUFFIX = 8


def _path_suffix(f: Path, roots: Sequence[str]) -> str:
    """A short stable tag of a file's path relative to the source root holding it."""
    root = next((r for r in roots if _under(str(f), [r])), None)
    rel = os.path.relpath(f, os.path.dirname(root) if root == str(f) else root) if root else str(f)
    return hashlib.sha1(Path(rel).as_posix().encode("utf-8")).hexdigest()[:_SUFFIX]


def page_ids(
    files: Sequence[Path],
    roots: Sequence[str],
    known: Mapping[str, str] | None = None,
    taken: Collection[str] = (),
) -> dict[str, str]:
    """The ids of page files whose name is not theirs alone, by file path.

    A page's id is its file name without extension. When two files of a run share a name
    (``2023/04/index.txt``, ``2023/05/index.txt``), or the name is ``taken`` by an article
    the index keeps from elsewhere, each gets ``NAME-XXXXXXXX``: eight hex digits of the
    SHA-1 of its path relative to its source root. A file the index already holds under
    such an id (``known``: path -> id) keeps it, so a URL, once given, stays.
    """
    known = known or {}
    groups: dict[str, list[Path]] = {}
    for f in files:
        if not f.name.lower().endswith(_CONTAINERS):
            groups.setdefault(article_id_for(f), []).append(f)
    out: dict[str, str] = {}
    for base, group in groups.items():
        if len(group) == 1 and base not in taken:
            continue
        for f in group:
            kept = known.get(str(f))
            if kept and (kept == base or kept.startswith(base + "-")) and kept not in taken:
                out[str(f)] = kept
            else:
                out[str(f)] = f"{base[: _MAX_ID - _SUFFIX - 1]}-{_path_suffix(f, roots)}"
    return out


def _live_ids(loc: Path, paths: Collection[str]) -> dict[str, str]:
    """The ids the live index holds for these file paths (for :func:`page_ids`)."""
    gen = live_or_none(loc)
    if gen is None or not paths:
        return {}
    out: dict[str, str] = {}
    with contextlib.suppress(Exception):  # a damaged live index: fresh ids
        out = writer.ids_for_paths(gen, paths)
    return out


def _articles(
    files: Sequence[Path],
    fmt: str,
    report: RunReport,
    progress: Progress | None,
    ids: Mapping[str, str] | None = None,
    date_order: DateOrder = "dmy",
) -> Iterator[Article]:
    """Every article in the files, once per id; skips and notes recorded in the report.

    ``ids`` (from :func:`page_ids`) renames the page files whose names collide.
    """
    ids = ids or {}
    seen: dict[str, str] = {}
    count = 0
    for i, f in enumerate(files, start=1):
        for item in read_path(f, fmt, date_order, notes=True):
            if isinstance(item, Skip):
                report.skipped.append(item)
                continue
            if isinstance(item, Note):
                report.notes.append(item)
                continue
            new_id = ids.get(item.path)
            if new_id and item.path == str(f) and item.id == article_id_for(f):
                item = dataclasses.replace(item, id=new_id)
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
    progress: Progress | None = None,
    files: Sequence[Path] | None = None,
    strict: bool = False,
    allow_empty: bool = False,
    date_order: DateOrder = "dmy",
) -> RunReport:
    """Index every article under ``paths`` into a new generation and switch to it.

    Until the switch the previous generation answers every query; a failure (or a kill)
    before it leaves no trace but a ``.build-*`` folder that the next writer removes.
    A build that reads no article creates or replaces nothing (a source folder that is
    not mounted must not empty the archive) unless ``allow_empty``. A path that does
    not exist raises :class:`SourceMissing` before anything is read.
    """
    loc = Path(location)
    _check_date_order(date_order)
    report = RunReport(kind="build", date_order=date_order)
    started = time.perf_counter()
    paths = list(paths)
    check_sources(paths)
    roots = [os.path.abspath(p) for p in paths]
    with writer_lock(loc):
        if files is None:
            files, missing = list_files(paths, fmt)
        else:
            missing = []
        report.skipped.extend(missing)
        colliding = page_ids(files, roots)
        ids = page_ids(files, roots, _live_ids(loc, colliding.keys())) if colliding else {}
        tmp = loc / f"{BUILD_PREFIX}{os.getpid()}"
        tmp.mkdir()
        gen: Path | None = None
        try:
            writer.create(tmp)

            def articles() -> Iterator[Article]:
                for article in _articles(files, fmt, report, progress, ids, date_order):
                    yield article
                    report.indexed += 1
                if strict and StrictFailure.applies(report):
                    raise StrictFailure(report)

            report.articles, toc_generation, doc_ids, rows = writer.write_all(
                tmp, articles(), procs
            )
            stories = cluster_rows(doc_ids, rows)
            del rows
            writer.drop_sketches(tmp)
            write_stories(tmp, stories, toc_generation)
            writer.write_columns(tmp, toc_generation, stories, doc_ids)
            previous = live_or_none(loc)
            if report.articles == 0 and not allow_empty:
                live = int(read_summary(previous).get("articles") or 0) if previous else None
                raise EmptyBuild(str(loc), live, len(report.skipped))
            number = 1 + max((generation_number(p) for p in loc.glob(GEN_PREFIX + "*")), default=0)
            gen = loc / f"{GEN_PREFIX}{number:06d}"
            report.generation = gen.name
            report.seconds = time.perf_counter() - started
            write_summary(
                tmp,
                {
                    "schema_version": SCHEMA_VERSION,
                    "built_at": _now(),
                    "updated_at": None,
                    "sources": roots,
                    "format": fmt,
                    "date_order": date_order,
                    "articles": report.articles,
                    # Which table of contents these figures describe (see index check).
                    "toc_generation": toc_generation,
                    # Names of the metadata codes, as the sources declare them.
                    "labels": labels_in(Path(r) for r in roots),
                    "last_run": report.to_dict(),
                },
            )
            fsync_dir(tmp)
            os.rename(tmp, gen)
            switch_to(loc, gen)
        except BaseException as e:
            clear(tmp)
            # A build that fails is not left behind as a complete copy: unless `current`
            # already points to it (the switch was made, something after it failed).
            if gen is not None and not points_to(loc, gen):
                clear(gen)
                clear(loc / TMP_LINK)
            if _disk_full(e):
                raise DiskFull(str(loc), "build") from e
            raise
        prune_generations(loc, [gen] + ([previous] if previous else []))
    return report


def _check_date_order(date_order: str) -> None:
    if date_order not in DATE_ORDERS:
        raise ValueError(f"date_order must be one of {', '.join(DATE_ORDERS)}")


def _sketches(
    stored: Mapping[str, tuple[Any, bytes | None]], new: Mapping[str, Sketch]
) -> list[Sketch]:
    """The sketches of every article an update leaves: the stored ones it did not
    replace, and the new ones."""
    kept = [
        Sketch(art_id, _day_of(published), decode(data))
        for art_id, (published, data) in stored.items()
        if art_id not in new
    ]
    return [*kept, *new.values()]


def _sketch(article: Article) -> Sketch:
    return sketch(article.id, article.published, article.title, article.text)


def _day_of(value: Any) -> date:
    """The day of a stored ``published`` value (a datetime; epoch when missing)."""
    return value.date() if isinstance(value, datetime) else date(1970, 1, 1)


def _disk_full(e: BaseException) -> bool:
    return isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT)


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
    allow_empty: bool = False,
    date_order: DateOrder | None = None,
) -> RunReport:
    """Bring the live index in line with ``paths``: add new articles, replace changed
    ones (by content hash), and remove articles that came from under ``paths`` but are
    no longer there. Unchanged articles are not rewritten.

    An update that reads no article changes nothing (raises :class:`EmptyBuild`) unless
    ``allow_empty``; what the index holds from a path that could not be read is kept.
    ``date_order`` defaults to the one the index was built with.
    """
    loc = Path(location)
    report = RunReport(kind="update")
    started = time.perf_counter()
    paths = list(paths)
    check_sources(paths)
    roots = [os.path.abspath(p) for p in paths]
    with writer_lock(loc):
        gen = current_generation(loc)
        if date_order is None:
            recorded = read_summary(gen).get("date_order")
            date_order = recorded if recorded in DATE_ORDERS else "dmy"
        _check_date_order(date_order)
        report.date_order = date_order
        if files is None:
            files, missing = list_files(roots, fmt)
        else:
            missing = []
        report.skipped.extend(missing)
        try:
            ix = writer.Update(gen)
        except Exception as e:  # whoosh raises many kinds for a damaged index
            raise IndexCorrupt(
                str(loc), str(e).splitlines()[0] if str(e) else type(e).__name__
            ) from e
        # Stored sketches are decoded only if the update commits (to cluster again).
        stored_sketches: dict[str, tuple[Any, bytes | None]] = {}
        new_sketches: dict[str, Sketch] = {}
        existing: dict[str, tuple[str, str]] = {}
        for f in ix.stored():
            existing[f["id"]] = (f["content_hash"], f["path"])
            stored_sketches[f["id"]] = (f["published"], f["sketch"])
        listed = {str(f) for f in files}
        unlisted = sorted(s.path for s in missing if s.unreadable)
        # Ids the index keeps whatever this run reads: from files not read this time
        # that stay (outside PATHS, or under a folder that could not be listed).
        taken = {
            art_id
            for art_id, (_, path) in existing.items()
            if path not in listed and (not _under(path, roots) or _under(path, unlisted))
        }
        known = {path: art_id for art_id, (_, path) in existing.items() if path in listed}
        ids = page_ids(files, roots, known, taken)
        seen: set[str] = set()
        try:
            for article in _articles(files, fmt, report, progress, ids, date_order):
                seen.add(article.id)
                old = existing.get(article.id)
                if old is None or old[0] != article.content_hash or old[1] != article.path:
                    sk = new_sketches[article.id] = _sketch(article)
                    if old is None:
                        ix.add(article, encode(sk.hashes))
                        report.indexed += 1
                    else:
                        ix.replace(article, encode(sk.hashes))
                        report.updated += 1
                else:
                    report.unchanged += 1
            # Files that could not be read this time are not "gone": keep their articles.
            # Nor are the files under a folder that could not be read (not mounted?).
            unreadable = sorted({s.path.split("#", 1)[0].rsplit(":", 1)[0] for s in report.skipped})
            for art_id, (_, path) in existing.items():
                if art_id not in seen and _under(path, roots) and not _under(path, unreadable):
                    ix.delete(art_id)
                    stored_sketches.pop(art_id, None)
                    report.removed += 1
            if strict and StrictFailure.applies(report):
                raise StrictFailure(report)
            if report.read == 0 and not allow_empty:
                raise EmptyBuild(str(loc), ix.doc_count(), len(report.skipped), "update")
            if report.indexed or report.updated or report.removed:
                # The story groups of the table of contents this commit writes go first,
                # under its number; then Whoosh writes the new segment and renames the
                # new table of contents into place. Until that rename readers see the
                # index (and its groups) as they were; from it, both new ones.
                write_stories(gen, cluster(_sketches(stored_sketches, new_sketches)),
                              ix.next_generation)  # fmt: skip
                ix.commit()
            else:
                ix.cancel()
        except BaseException as e:
            ix.cancel()
            writer.remove_unlisted(gen)
            with contextlib.suppress(Exception):  # the groups of a commit that failed
                prune_stories(gen, ix.latest_generation())
            if _disk_full(e):
                raise DiskFull(str(loc), "update") from e
            raise
        report.articles = ix.doc_count()
        toc_generation = ix.latest_generation()
        ix.close()
        if not has_stories(gen, toc_generation):
            # None for this table of contents (an index of an earlier version, or the file
            # was lost): an update, even one with nothing to change, writes them again.
            write_stories(gen, cluster(_sketches(stored_sketches, new_sketches)), toc_generation)
        prune_stories(gen, toc_generation)
        try:
            writer.write_columns(gen, toc_generation, read_stories(gen, toc_generation))
        except OSError as e:  # committed all the same: readers compute them until next time
            log.warning("the update committed but its columns could not be written (%s)", e,
                        extra={"event": "columns_not_written"})  # fmt: skip
        report.generation = gen.name
        report.seconds = time.perf_counter() - started
        summary = read_summary(gen)
        summary.update(
            {
                "labels": merged(
                    read_labels(summary.get("labels")), labels_in(Path(r) for r in roots)
                ),
                "updated_at": _now(),
                "articles": report.articles,
                "toc_generation": toc_generation,
                "date_order": date_order,
                "last_run": report.to_dict(),
            }
        )
        write_summary(gen, summary)
    return report
