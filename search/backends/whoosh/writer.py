"""Write articles into a Whoosh index: a new one (``build``) or the live one (``update``).

search.indexing decides what to write (which articles are new, changed or gone, their
ids, their story sketches, when to switch generations); this module is how it is
written in Whoosh's files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index

from search.articles import Article
from search.backends.whoosh import columns, internals, mapped
from search.backends.whoosh.schema import ArticleSchema, article_document
from search.backends.whoosh.segments import parts_folder, sketch_folder, write_index
from search.stories import ROW, encode, row_of, sketch

__all__ = [
    "Update",
    "create",
    "drop_sketches",
    "ids_for_paths",
    "prepare",
    "remove_unlisted",
    "write_all",
    "write_columns",
]


def create(directory: Path) -> None:
    """Make an empty index in ``directory``."""
    whoosh_index.create_in(str(directory), ArticleSchema()).close()


def prepare(article: Article) -> tuple[dict[str, Any], tuple[int, int, list[int]]]:
    """An article as its Whoosh document and its sketch row (in a build's worker)."""
    sk = sketch(article.id, article.published, article.title, article.text)
    return article_document(article, encode(sk.hashes)), row_of(sk)


def write_all(
    directory: Path, articles: Iterable[Article], procs: int
) -> tuple[int, int, list[str], np.ndarray]:
    """Index every article into the new, empty index at ``directory`` and commit;
    return (articles in it, its table of contents' number, their ids in document
    order, their sketches as rows of :data:`search.stories.ROW` in the same order).

    The rows are a file mapped in (``sketches/all.npy``, the segments' files put
    together), not held in memory; :func:`drop_sketches` removes them.
    """
    done = write_index(str(directory), articles, prepare, procs=procs)
    ids, files = done.ids, done.sketch_files
    ix = whoosh_index.open_dir(str(directory))
    try:
        count, toc = ix.doc_count(), ix.latest_generation()
    finally:
        ix.close()
    parts = parts_folder(str(directory))
    mapped.merge(directory, toc, done.segments, columns.SCORED_FIELDS, parts)
    shutil.rmtree(parts, ignore_errors=True)
    folder = sketch_folder(str(directory))
    folder.mkdir(exist_ok=True)
    table = np.lib.format.open_memmap(folder / "all.npy", mode="w+", dtype=ROW, shape=(len(ids),))
    at = 0
    for f in files:
        part = np.load(f, mmap_mode="r")
        table[at : at + len(part)] = part
        at += len(part)
        del part
        os.unlink(f)
    table.flush()
    return count, toc, ids, table


def drop_sketches(directory: Path) -> None:
    """Remove what :func:`write_all` left for clustering."""
    shutil.rmtree(sketch_folder(str(directory)), ignore_errors=True)


def write_columns(
    directory: Path, toc_generation: int, stories: dict[str, str], ids: list[str] | None = None
) -> None:
    """Write what a search reads per article for table of contents ``toc_generation``
    (search.backends.whoosh.columns); ``ids`` the article ids in document order where
    known. The columns of older tables of contents than the one before are removed."""
    if columns.folder(directory, toc_generation).is_dir():
        return  # written already (an update that changed nothing)
    ix = whoosh_index.open_dir(str(directory))
    try:
        if ix.latest_generation() != toc_generation:  # not the writer's: leave it to readers
            return
        with ix.searcher() as searcher:
            columns.write(directory, toc_generation, columns.compute(searcher, stories, ids))
    finally:
        ix.close()
    columns.prune(directory, {toc_generation, toc_generation - 1})
    mapped.prune(directory, {toc_generation, toc_generation - 1})


def ids_for_paths(directory: Path, paths: Iterable[str]) -> dict[str, str]:
    """The article id the index holds for each of these file paths (where it has one)."""
    out: dict[str, str] = {}
    ix = whoosh_index.open_dir(str(directory))
    try:
        with ix.searcher() as s:
            for p in paths:
                doc = s.document(path=p)
                if doc and doc.get("id"):
                    out[p] = doc["id"]
    finally:
        ix.close()
    return out


def remove_unlisted(directory: Path) -> None:
    """Remove what a failed commit left: segment files no table of contents lists, and
    the writer's scratch space (a folder, or a file, named MAIN.tmp)."""
    with contextlib.suppress(Exception):
        internals.clean_unlisted(str(directory))
    for scratch in directory.glob("*.tmp"):
        if scratch.is_dir():
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            scratch.unlink(missing_ok=True)


class Update:
    """One update of an existing index: read what it holds, then add, replace and
    delete articles, then commit them all at once (or cancel).

    Opening raises what Whoosh raises for a damaged index (the caller says so).
    """

    def __init__(self, directory: Path) -> None:
        self._ix = whoosh_index.open_dir(str(directory))
        self._writer: Any = None

    def stored(self) -> Iterator[dict[str, Any]]:
        """Every article's stored id, content_hash, path, published and sketch."""
        with self._ix.searcher() as s:
            for f in s.reader().all_stored_fields():
                yield {
                    "id": f["id"],
                    "content_hash": f.get("content_hash", ""),
                    "path": f.get("path", ""),
                    "published": f.get("published"),
                    "sketch": f.get("sketch"),
                }

    def _document(self, article: Article, sketch: bytes) -> dict[str, Any]:
        document = article_document(article, sketch)
        # An index of an earlier version may lack a newer stored field (url).
        return {k: v for k, v in document.items() if k in self._ix.schema}

    @property
    def writer(self) -> Any:
        if self._writer is None:
            self._writer = self._ix.writer()
        return self._writer

    def add(self, article: Article, sketch: bytes) -> None:
        self.writer.add_document(**self._document(article, sketch))

    def replace(self, article: Article, sketch: bytes) -> None:
        self.writer.update_document(**self._document(article, sketch))

    def delete(self, article_id: str) -> None:
        self.writer.delete_by_term("id", article_id)

    @property
    def next_generation(self) -> int:
        """The number of the table of contents a commit will write."""
        return int(self.writer.generation)

    def commit(self) -> None:
        self.writer.commit(optimize=False)
        self._writer = None

    def cancel(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.cancel()
            self._writer = None

    def doc_count(self) -> int:
        return int(self._ix.doc_count())

    def latest_generation(self) -> int:
        return int(self._ix.latest_generation())

    def close(self) -> None:
        self._ix.close()
