"""Write a new index's segments, in this process or in several worker processes.

Whoosh's writer keeps every posting of a segment in a pool and, past ``limitmb``,
spills sorted runs to disk and merges them in Python at commit: at 100k articles
that merge made a build ~40% slower per article than at 20k. So each writer here
closes its segment every ``segment_docs`` articles, while the pool still fits in
memory, and starts another; the segments are put together in one table of contents
at the end (no merge). Whoosh's ``MpWriter`` does the same with ``multisegment``
but leaves its worker processes running forever if the parent is killed; these
workers die with their parent (``PR_SET_PDEATHSIG``) and report their own failure.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import queue
import signal
from collections.abc import Iterable
from typing import Any

from whoosh import index as whoosh_index

from search.backends.whoosh import internals
from search.errors import NewsSearchError

__all__ = ["SEGMENT_DOCS", "write_index"]

#: Articles per segment: small enough that a segment's postings stay in memory.
SEGMENT_DOCS = 12_000
#: Articles sent to a worker at a time.
BATCH = 250
Document = dict[str, Any]


def _segments_from(
    ix: Any, docs: Iterable[Document], limitmb: int, segment_docs: int
) -> list[tuple[Any, list[str]]]:
    """Index ``docs`` into one or more new segments of ``ix``; return them (not
    committed), each with the ids of its documents in their order."""
    segments = []
    writer = internals.new_segment_writer(ix, limitmb)
    ids: list[str] = []
    try:
        for doc in docs:
            writer.add_document(**doc)
            ids.append(doc["id"])
            if len(ids) >= segment_docs:
                segments.append((internals.finalize_segment(writer), ids))
                writer = internals.new_segment_writer(ix, limitmb)
                ids = []
        if ids:
            segments.append((internals.finalize_segment(writer), ids))
        else:
            internals.discard_segment(writer)
    except BaseException:
        writer.cancel()
        raise
    return segments


def _commit(ix: Any, segments: list[tuple[Any, list[str]]]) -> list[str]:
    """Commit the segments in the order given, which is their documents' numbering."""
    internals.commit_segments(ix, [seg for seg, _ in segments])
    return [article_id for _, ids in segments for article_id in ids]


def _die_with_parent() -> None:
    # Linux: the kernel sends us SIGKILL when the process that forked us dies.
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _batches(jobs: Any, parent: int) -> Iterable[Document]:
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


def _worker(directory: str, jobs: Any, results: Any, limitmb: int, segment_docs: int,
            parent: int) -> None:  # fmt: skip
    _die_with_parent()
    try:
        ix = whoosh_index.open_dir(directory)
        segments = _segments_from(ix, _batches(jobs, parent), limitmb, segment_docs)
        results.put(("ok", segments))
    except BaseException as e:  # report, don't hang the parent
        results.put(("error", (f"{type(e).__name__}: {e}", getattr(e, "errno", None))))


def write_index(
    directory: str,
    docs: Iterable[Document],
    procs: int = 1,
    limitmb: int = 512,
    segment_docs: int = SEGMENT_DOCS,
) -> list[str]:
    """Index ``docs`` into the new, empty Whoosh index at ``directory`` and commit;
    return the article ids in document-number order."""
    ix = whoosh_index.open_dir(directory)
    if procs <= 1:
        return _commit(ix, _segments_from(ix, docs, limitmb, segment_docs))
    ctx = mp.get_context("fork")
    jobs = ctx.Queue(maxsize=procs * 8)
    results = ctx.Queue()
    workers = [
        ctx.Process(
            target=_worker,
            args=(directory, jobs, results, limitmb, segment_docs, os.getpid()),
            daemon=True,
        )
        for _ in range(procs)
    ]
    for w in workers:
        w.start()
    try:
        batch: list[Document] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= BATCH:
                _put(jobs, batch, workers, results)
                batch = []
        if batch:
            _put(jobs, batch, workers, results)
        for _ in workers:
            _put(jobs, None, workers, results)
        segments: list[tuple[Any, list[str]]] = []
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
