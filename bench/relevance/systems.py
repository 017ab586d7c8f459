"""The systems under test: our engine, SQLite FTS5 and tantivy, each as an OR of words.

Every system indexes the same documents and answers the same queries with its best
``k`` documents. A query is the OR of its words, each system splitting words its own
way (the engine by its analyzer's word pattern, which keeps ``u.s`` and ``o'brien``
whole; FTS5 and tantivy by runs of letters and digits, as their tokenizers do). Words
are lower-cased, so the AND/OR/NOT of the all-capital TIME and NPL queries stay words.

* ``ours``: articles written as a JSON Lines export and indexed by
  :func:`search.indexing.build`, exactly as ``news-search index build`` does; queries
  through :func:`search.querying.search` with ``match="any"`` (the API's
  ``match=any``), the words joined by spaces, paged 100 at a time (its per-page cap).
  The engine's query limits apply as served (4,000 characters, 128 different words
  searched): a refused query would retrieve nothing and score 0; none of the judged
  queries is refused.
* ``ours-nocap`` (diagnostic; diagnostics are not run by default): the same index and
  the same BM25F ranking, but the query goes straight to the engine's parser and
  ranker, past the limits and without collapsing near-duplicate stories, to show what
  ``search()`` adds or costs.
* ``fts5``: python's sqlite3, ``tokenize='porter unicode61'``, ``ORDER BY bm25()``.
  A word that occurs twice in the query is two OR'ed phrases, and bm25() scores both:
  FTS5 weighs query words by their frequency in the query (tantivy and the engine
  count each word once).
* ``fts5-dedup`` (diagnostic): FTS5 with each query word once, to
  show what that query-term frequency is worth.
* ``tantivy``: the ``tantivy`` package, BM25, ``en_stem`` tokenizer.

FTS5 and tantivy index title and text as one field: plain BM25 references, with no
field weighting (the engine boosts titles 2.5x, as it does for headlines).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

import tantivy
from corpora import Doc

from search.analysis import WORD
from search.articles import Article
from search.backends.whoosh.matching import match_set
from search.backends.whoosh.ranking import rank
from search.backends.whoosh.store import IndexStore
from search.errors import InvalidParameter
from search.indexing import build
from search.querying import expand, parse_query, query_word_counts, search
from search.request import MAX_PER_PAGE

__all__ = [
    "DEFAULT_SYSTEMS",
    "SYSTEMS",
    "Fts5",
    "Fts5Dedup",
    "Ours",
    "OursNoCap",
    "Ranking",
    "System",
    "Tantivy",
    "engine_query",
    "plain_words",
]

#: Every article needs a publication date; these collections have none worth reading.
PUBLISHED = date(2000, 1, 1)
#: Every article needs a headline; for documents without a title, one with no words
#: (nothing is indexed for it, so it scores nothing).
NO_TITLE = "—"
TANTIVY_HEAP = 100_000_000
#: How the engine's notes begin when it searched only part of a query.
CUT_NOTES = ("only the first", "the query was cut")
_ALNUM = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Ranking:
    """A system's answer to one query: document ids, best first."""

    doc_ids: list[str]
    #: The engine refused the query: over its size limits.
    refused: bool = False
    #: What the engine said about the query (its notes), if anything.
    notes: tuple[str, ...] = ()

    @property
    def cut(self) -> bool:
        """The engine accepted the query but searched only its first words (a note says)."""
        return any(n.startswith(CUT_NOTES) for n in self.notes)


class System(Protocol):
    """An index over one collection's documents that ranks them for a query text."""

    name: str

    def build(self, docs: Sequence[Doc], workdir: Path) -> None:
        """Index ``docs``, keeping any files under ``workdir``."""

    def rank(self, text: str, k: int) -> Ranking:
        """The best ``k`` documents for the OR of the words of ``text``."""

    def close(self) -> None:
        """Release the index."""


# ------------------------------------------------------------------------- queries


def engine_words(text: str) -> list[str]:
    """The query's words as the engine's analyzer reads words, lower-cased."""
    return [w.lower() for w in WORD.findall(text)]


def engine_query(text: str) -> str:
    """The query text a reader would type, searched with ``match="any"``: its words,
    lower-cased (so that the capitals' AND, OR and NOT are words, not operators)."""
    return " ".join(engine_words(text))


def plain_words(text: str) -> list[str]:
    """The query's words as FTS5's unicode61 and tantivy's tokenizer split them."""
    return [w.lower() for w in _ALNUM.findall(text)]


def quoted_or(words: Sequence[str], sep: str) -> str:
    """Each word (letters and digits only) quoted, so that none is read as an operator
    or as syntax, joined by ``sep``."""
    return sep.join(f'"{w}"' for w in words)


# ---------------------------------------------------------------------- our engine


def article(doc: Doc) -> Article:
    """The article the engine indexes for a document: title as headline, text as body."""
    return Article(
        id=doc.id,
        path=f"{doc.id}.txt",
        title=doc.title or NO_TITLE,
        published=PUBLISHED,
        body=(doc.text,) if doc.text else (),
    )


class Ours:
    """Our engine, built and queried through its public entry points."""

    name = "ours"

    def __init__(self) -> None:
        self.store: IndexStore | None = None

    def build(self, docs: Sequence[Doc], workdir: Path) -> None:
        src = workdir / "src"
        src.mkdir(parents=True)
        with open(src / "articles.jsonl", "w", encoding="utf-8") as f:
            for doc in docs:
                f.write(json.dumps(article(doc).to_dict()) + "\n")
        report = build([src], workdir / "index", "jsonl")
        if report.skipped or report.articles != len(docs):
            reasons = "; ".join(str(s) for s in report.skipped[:3])
            raise RuntimeError(f"indexed {report.articles} of {len(docs)} documents: {reasons}")
        self.store = IndexStore(workdir / "index")

    def rank(self, text: str, k: int) -> Ranking:
        return self.pages(engine_query(text), k)

    def pages(self, query: str, k: int) -> Ranking:
        """The first ``k`` results of ``search(query)``, a page of 100 at a time."""
        assert self.store is not None, "build() first"
        ids: list[str] = []
        notes: tuple[str, ...] = ()
        page = 1
        while len(ids) < k:
            per_page = min(MAX_PER_PAGE, k - len(ids))
            try:
                result = search(query, per_page=per_page, page=page, match="any", index=self.store)
            except InvalidParameter as e:
                if e.name != "q":
                    raise
                # Refused as the API would (a 400): the reader gets no results.
                return Ranking([], refused=True, notes=("refused: " + _general(str(e)),))
            if page == 1:
                notes = tuple(result.notes)
            ids.extend(hit.id for hit in result.hits)
            if len(result.hits) < per_page:
                break
            page += 1
        return Ranking(ids[:k], notes=notes)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


def _general(message: str) -> str:
    """A refusal message without the query's own figures, so that refusals group."""
    return re.sub(r"\b(is|has|searches) [\d,]+", r"\1 N", message, count=1)


class OursNoCap(Ours):
    """Diagnostic: the engine's own parser and BM25F ranker, without the query limits."""

    name = "ours-nocap"

    def rank(self, text: str, k: int) -> Ranking:
        assert self.store is not None, "build() first"
        snap = self.store.snapshot()
        prepared = engine_query(text)
        q = expand(parse_query(prepared, match="any"), snap, [])
        matched = match_set(q, snap.searcher, snap.live, snap.term_cache)
        counts = query_word_counts(prepared)
        top = rank(q, snap.searcher, matched, k, snap.field_lengths(), snap.posting_cache, counts)
        return Ranking([snap.stored(docnum)["id"] for docnum, _ in top])


# --------------------------------------------------------------------- SQLite FTS5


class Fts5:
    """SQLite FTS5 with the porter tokenizer, ranked by its bm25()."""

    name = "fts5"

    def __init__(self) -> None:
        self.con: sqlite3.Connection | None = None

    def build(self, docs: Sequence[Doc], workdir: Path) -> None:
        self.con = sqlite3.connect(workdir / "fts5.sqlite")
        self.con.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, text, tokenize='porter unicode61')"
        )
        with self.con:
            self.con.executemany(
                "INSERT INTO docs(id, text) VALUES (?, ?)",
                ((d.id, f"{d.title}\n{d.text}") for d in docs),
            )

    def rank(self, text: str, k: int) -> Ranking:
        assert self.con is not None, "build() first"
        words = plain_words(text)
        if not words:
            return Ranking([])
        rows = self.con.execute(
            "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs), rowid LIMIT ?",
            (quoted_or(words, " OR "), k),
        ).fetchall()
        return Ranking([r[0] for r in rows])

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


class Fts5Dedup(Fts5):
    """Diagnostic: FTS5 with each word of the query once (no query-term frequency)."""

    name = "fts5-dedup"

    def rank(self, text: str, k: int) -> Ranking:
        return super().rank(" ".join(dict.fromkeys(plain_words(text))), k)


# ------------------------------------------------------------------------- tantivy


class Tantivy:
    """tantivy's BM25 over one ``en_stem`` text field."""

    name = "tantivy"

    def __init__(self) -> None:
        self.index: tantivy.Index | None = None

    def build(self, docs: Sequence[Doc], workdir: Path) -> None:
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        sb.add_text_field("text", tokenizer_name="en_stem")
        path = workdir / "tantivy"
        path.mkdir()
        self.index = tantivy.Index(sb.build(), path=str(path))
        writer = self.index.writer(heap_size=TANTIVY_HEAP, num_threads=1)
        for d in docs:
            writer.add_document(tantivy.Document(id=d.id, text=f"{d.title}\n{d.text}"))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()

    def rank(self, text: str, k: int) -> Ranking:
        assert self.index is not None, "build() first"
        words = plain_words(text)
        if not words:
            return Ranking([])
        query = self.index.parse_query(
            quoted_or(words, " "), ["text"], conjunction_by_default=False
        )
        searcher = self.index.searcher()
        hits = searcher.search(query, k).hits
        return Ranking([searcher.doc(addr)["id"][0] for _, addr in hits])

    def close(self) -> None:
        self.index = None


#: system name -> a new, unbuilt instance
SYSTEMS: dict[str, Callable[[], System]] = {
    "ours": Ours,
    "fts5": Fts5,
    "tantivy": Tantivy,
    "ours-nocap": OursNoCap,
    "fts5-dedup": Fts5Dedup,
}
DEFAULT_SYSTEMS = ("ours", "fts5", "tantivy")
