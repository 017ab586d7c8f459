"""Write a new index's segments, in this process or in several worker processes.

Each segment is written by a :class:`~search.backends.whoosh.builder.SegmentBuilder`
(Whoosh's format, without Whoosh's posting pool), which holds a segment's postings in
memory: it is closed every ``segment_docs`` articles and another started; the segments
are put together in one table of contents at the end (no merge). The parent process
only reads articles and hands them out in batches; the workers turn each into its
document and its near-duplicate sketch (the costly part), and write the sketches of a
segment beside it (``sketches/<segment>.npy``, rows of :data:`search.stories.ROW`) for
the parent to cluster without holding them all. Whoosh's ``MpWriter`` leaves its
worker processes running forever if the parent is killed; these workers die with their
parent (``PR_SET_PDEATHSIG``) and report their own failure.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import queue
import signal
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index

from search.backends.whoosh import internals
from search.backends.whoosh.builder import SegmentBuilder
from search.errors import NewsSearchError
from search.stories import ROW

__all__ = ["SEGMENT_DOCS", "Committed", "parts_folder", "sketch_folder", "write_index"]

#: Articles per segment: a segment's postings are held in memory until it is written
#: (~40 MB for 25,000 news articles of ~150 words).
SEGMENT_DOCS = 25_000
#: Articles sent to a worker at a time.
BATCH = 250
Document = dict[str, Any]


#: What a worker makes of an item it is handed: the document and its sketch row.
Prepare = Callable[[Any], tuple[Document, Any]]
#: A written segment: Whoosh's segment object, its documents' ids in order, and the
#: file of their sketch rows.
Written = tuple[Any, list[str], str]


def sketch_folder(directory: str) -> Path:
    """Where a build's workers leave each segment's sketch rows."""
    return Path(directory) / "sketches"


def parts_folder(directory: str) -> Path:
    """Where a build's workers leave each segment's postings arrays (search.backends.
    whoosh.mapped), for the parent to put together."""
    return Path(directory) / "postings-parts"


def _segments_from(
    ix: Any, directory: str, items: Iterable[Any], prepare: Prepare, segment_docs: int
) -> list[Written]:
    """Index ``items`` into one or more new segments of ``ix``; return them (not
    committed), each with the ids of its documents and the file of their sketches."""
    segments: list[Written] = []
    builder: SegmentBuilder | None = None
    ids: list[str] = []
    rows = np.zeros(segment_docs, dtype=ROW)  # 261 bytes an article, written in place
    try:
        for item in items:
            if builder is None:
                builder = SegmentBuilder(ix, parts_folder(directory))
            doc, row = prepare(item)
            builder.add(doc)
            rows[len(ids)] = row
            ids.append(doc["id"])
            if len(ids) >= segment_docs:
                segments.append(_close(builder, directory, ids, rows))
                builder, ids = None, []
        if builder is not None:
            segments.append(_close(builder, directory, ids, rows[: len(ids)]))
    except BaseException:
        if builder is not None:
            builder.cancel()
        raise
    return segments


def _close(builder: SegmentBuilder, directory: str, ids: list[str], rows: np.ndarray) -> Written:
    segment = builder.finish()
    folder = sketch_folder(directory)
    folder.mkdir(exist_ok=True)
    path = folder / f"{segment.segment_id()}.npy"
    np.save(path, rows)
    return segment, ids, str(path)


def _commit(ix: Any, segments: list[Written]) -> Committed:
    """Commit the segments in the order given, which is their documents' numbering."""
    internals.commit_segments(ix, [seg for seg, _, _ in segments])
    firsts, at = [], 0
    for seg, ids, _ in segments:
        firsts.append((str(seg.segment_id()), at))
        at += len(ids)
    return Committed(
        [i for _, ids, _ in segments for i in ids], [p for _, _, p in segments], firsts
    )


@dataclass
class Committed:
    """What :func:`write_index` committed."""

    #: The article ids in document-number order.
    ids: list[str]
    #: The segments' sketch files, in the same order.
    sketch_files: list[str]
    #: Each segment's id and its first document number, in order.
    segments: list[tuple[str, int]]


def _die_with_parent() -> None:
    # Linux: the kernel sends us SIGKILL when the process that forked us dies.
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _batches(jobs: Any, parent: int) -> Iterable[Any]:
    while True:
        try:
            batch = jobs.get(timeout=5)
        except queue.Empty:
            if os.getppid() != parent:  # orphaned (where PDEATHSIG is not available)
                os._exit(1)
            continue
        if batch is None:
            return
        yield from batch


def _worker(directory: str, jobs: Any, results: Any, prepare: Prepare, segment_docs: int,
            parent: int) -> None:  # fmt: skip
    _die_with_parent()
    try:
        ix = whoosh_index.open_dir(directory)
        segments = _segments_from(ix, directory, _batches(jobs, parent), prepare, segment_docs)
        results.put(("ok", segments))
    except BaseException as e:  # report, don't hang the parent
        results.put(("error", (f"{type(e).__name__}: {e}", getattr(e, "errno", None))))


def write_index(
    directory: str,
    items: Iterable[Any],
    prepare: Prepare,
    procs: int = 1,
    segment_docs: int | None = None,
) -> Committed:
    """Index ``items``, each made a (document, sketch row) by ``prepare``, into the
    new, empty Whoosh index at ``directory`` and commit.
    ``segment_docs``: articles per segment (default :data:`SEGMENT_DOCS`)."""
    segment_docs = segment_docs or SEGMENT_DOCS
    ix = whoosh_index.open_dir(directory)
    if procs <= 1:
        return _commit(ix, _segments_from(ix, directory, items, prepare, segment_docs))
    ctx = mp.get_context("fork")
    jobs = ctx.Queue(maxsize=procs * 8)
    results = ctx.Queue()
    workers = [
        ctx.Process(
            target=_worker,
            args=(directory, jobs, results, prepare, segment_docs, os.getpid()),
            daemon=True,
        )
        for _ in range(procs)
    ]
    for w in workers:
        w.start()
    try:
        batch: list[Any] = []
        for item in items:
            batch.append(item)
            if len(batch) >= BATCH:
                _put(jobs, batch, workers, results)
                batch = []
        if batch:
            _put(jobs, batch, workers, results)
        for _ in workers:
            _put(jobs, None, workers, results)
        segments: list[Written] = []
        for _ in workers:
            status, payload = _get(results, workers)
            if status != "ok":
                _raise_failure(payload)
            segments.extend(payload)
        for w in workers:
            w.join()
        return _commit(ix, segments)
    finally:
        for w in workers:
            if w.is_alive():
                w.kill()
                w.join()
        # Batches no worker will read must not keep this process from exiting.
        jobs.cancel_join_thread()


def _raise_failure(payload: tuple[str, int | None]) -> None:
    message, errno = payload
    if errno:  # an OS error in a worker (a full disk) is that error for the build
        raise OSError(errno, os.strerror(errno))
    raise NewsSearchError(f"an indexing process failed: {message}")


def _put(jobs: Any, item: Any, workers: list[Any], results: Any) -> None:
    while True:
        try:
            jobs.put(item, timeout=1)
            return
        except queue.Full:
            # While there is work to hand out, a worker that has ended has failed.
            if any(not w.is_alive() for w in workers):
                try:
                    status, payload = results.get(timeout=1)
                except queue.Empty:
                    _check_alive(workers)
                    raise NewsSearchError("an indexing process ended early") from None
                if status != "ok":
                    _raise_failure(payload)


def _get(results: Any, workers: list[Any]) -> tuple[str, Any]:
    while True:
        try:
            item: tuple[str, Any] = results.get(timeout=1)
            return item
        except queue.Empty:
            _check_alive(workers)


def _check_alive(workers: list[Any]) -> None:
    for w in workers:
        if not w.is_alive() and w.exitcode not in (0, None):
            raise NewsSearchError(f"an indexing process died (exit code {w.exitcode})")
