"""Our segment builder writes what Whoosh's own writer writes.

The same documents are written twice, once by Whoosh's ``add_document`` and commit and
once by :class:`SegmentBuilder`, and the two segments are compared through Whoosh's
public reader: every term, every posting (id, weight, value), every term's statistics,
every stored field, field length and column; the per-document files byte for byte.
Only the postings and terms files may differ in their bytes: the builder shares one
value object between postings with the same single position, which pickles smaller.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.query import Term

from search.analysis import STOP_WORDS, term_positions
from search.articles import Article, read_path
from search.backends.whoosh import internals, segments
from search.backends.whoosh.builder import SegmentBuilder
from search.backends.whoosh.schema import ArticleSchema, news_analyzer
from search.backends.whoosh.writer import prepare
from search.indexing import build
from search.layout import current_generation
from tests.conftest import NEWS_WORDS, REUTERS, SEED

#: Words a generated article is made of: news words, stop words, numbers, accents,
#: possessives, inner dots and apostrophes, case, and a long word.
ODD_WORDS = [
    *NEWS_WORDS,
    *sorted(STOP_WORDS)[:20],
    "1987",
    "3.5",
    "007",
    "élections",
    "Afghanistan’s",
    "O'Brien",
    "U.S.",
    "ÉCOLE",
    "naïve",
    "Straße",
    "x" * 60,
    "Oil",
    "OIL",
    "running",
    "runs",
]


def _record(rnd: random.Random, i: int) -> dict[str, Any]:
    def text(lo: int, hi: int) -> str:
        return " ".join(rnd.choice(ODD_WORDS) for _ in range(rnd.randint(lo, hi)))

    body = [text(0, 60) for _ in range(rnd.randint(0, 3))]
    if i % 17 == 0:  # a word hundreds of times: positions past 255, many per posting
        body.append(" ".join(["wheat"] * 300 + ["oil"]))
    record: dict[str, Any] = {
        "id": f"g{i}",
        "title": text(1, 8),
        "published": f"{1990 + i % 30}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "body": body,
    }
    if rnd.random() < 0.5:
        record["standfirst"] = text(0, 12)
    if rnd.random() < 0.5:
        record["section"] = rnd.choice(["World", "Markets", "Été"])
    if rnd.random() < 0.5:
        record["topics"] = rnd.sample(["crude", "gold", "grain", "café"], rnd.randint(1, 3))
    if rnd.random() < 0.3:
        record["url"] = f"https://example.com/{i}"
    return record


def _generated(tmp_path: Path, n: int, seed: int) -> list[Article]:
    rnd = random.Random(seed)
    path = tmp_path / f"gen-{seed}.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps(_record(rnd, i)) + "\n")
    return _articles(path, "jsonl")


def _articles(path: Path, fmt: str, limit: int | None = None) -> list[Article]:
    out = [a for a in read_path(path, fmt) if isinstance(a, Article)]
    return out[:limit]


def _new_index(directory: Path) -> Any:
    directory.mkdir(parents=True)
    whoosh_index.create_in(str(directory), ArticleSchema()).close()
    return whoosh_index.open_dir(str(directory))


def _both_ways(tmp_path: Path, articles: list[Article]) -> tuple[Any, Any]:
    """The articles' segment written by Whoosh and by the builder: (reader, reader)."""
    docs = [prepare(a)[0] for a in articles]
    ix_whoosh = _new_index(tmp_path / "whoosh")
    w = internals.new_segment_writer(ix_whoosh, 64)
    for doc in docs:
        w.add_document(**doc)
    internals.commit_segments(ix_whoosh, [internals.finalize_segment(w)])
    ix_ours = _new_index(tmp_path / "ours")
    b = SegmentBuilder(ix_ours)
    for doc in docs:
        b.add(doc)
    internals.commit_segments(ix_ours, [b.finish()])
    return whoosh_index.open_dir(str(tmp_path / "whoosh")), whoosh_index.open_dir(
        str(tmp_path / "ours")
    )


def _postings(reader: Any, field: str, text: bytes) -> list[tuple[int, float, bytes]]:
    m = reader.postings(field, text)
    out = []
    while m.is_active():
        out.append((m.id(), m.weight(), m.value()))
        m.next()
    return out


def _stats(info: Any) -> tuple[Any, ...]:
    return (
        info.weight(),
        info.doc_frequency(),
        info.min_length(),
        info.max_length(),
        info.max_weight(),
        info.min_id(),
        info.max_id(),
    )


def _files(ix: Any) -> dict[str, bytes]:
    """The segment's files other than postings and terms, by extension."""
    (segment,) = ix._segments()
    storage = segment.open_compound_file(ix.storage) if segment.is_compound() else ix.storage
    out = {}
    for name in storage.list():
        if name.endswith((".pst", ".trm")):
            continue
        with storage.open_file(name) as f:
            out[name.replace(segment.segment_id(), "")] = f.read()
    return out


def assert_same_segment(ix_whoosh: Any, ix_ours: Any) -> int:
    """Compare the two indexes' single segments; return how many postings were compared."""
    schema = ix_whoosh.schema
    compared = 0
    with ix_whoosh.reader() as a, ix_ours.reader() as b:
        assert a.doc_count_all() == b.doc_count_all()
        terms = list(a.all_terms())
        assert terms == list(b.all_terms())
        for field, text in terms:
            pa, pb = _postings(a, field, text), _postings(b, field, text)
            assert pa == pb, (field, text)
            compared += len(pa)
            assert _stats(a.term_info(field, text)) == _stats(b.term_info(field, text))
        for docnum in range(a.doc_count_all()):
            assert a.stored_fields(docnum) == b.stored_fields(docnum)
            for field in ("title", "standfirst", "body"):
                assert a.doc_field_length(docnum, field) == b.doc_field_length(docnum, field)
        for field in schema.names():
            assert a.field_length(field) == b.field_length(field)
            if a.has_column(field):
                assert list(a.column_reader(field)) == list(b.column_reader(field))
    assert _files(ix_whoosh) == _files(ix_ours)
    return compared


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_articles(tmp_path: Path, seed: int) -> None:
    articles = _generated(tmp_path, 400, seed)
    assert assert_same_segment(*_both_ways(tmp_path, articles)) > 5_000


def test_the_seed_page(tmp_path: Path) -> None:
    articles = _articles(SEED, "page")
    assert assert_same_segment(*_both_ways(tmp_path, articles)) > 100


@pytest.mark.skipif(not REUTERS.is_dir(), reason=f"Reuters-21578 is not at {REUTERS}")
def test_reuters_articles(tmp_path: Path) -> None:
    articles = _articles(REUTERS / "reut2-000.sgm", "reuters", limit=1000)
    assert assert_same_segment(*_both_ways(tmp_path, articles)) > 50_000


@pytest.mark.parametrize("seed", range(5))
def test_term_positions_are_the_analyzers(seed: int) -> None:
    """The one-pass analysis of a build is the analyzer's, position for position."""
    rnd = random.Random(seed)
    pieces = [*ODD_WORDS, " ", ", ", ". ", "\n", "—", "'", "’s ", "..."]
    text = "".join(rnd.choice(pieces) for _ in range(3000))
    expected: dict[str, list[int]] = {}
    for token in news_analyzer()(text, positions=True):
        expected.setdefault(token.text, []).append(token.pos)
    assert term_positions(text) == expected
    assert term_positions(text) == expected  # and again, from the cache


def test_a_built_index_opens_and_searches_with_whoosh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `build` writes (several segments, two processes) is Whoosh's index: its own
    open_dir and searcher find what the articles hold."""
    articles = _generated(tmp_path, 3000, 7)
    src = tmp_path / "gen-7.jsonl"
    location = tmp_path / "index"
    monkeypatch.setattr(segments, "SEGMENT_DOCS", 700)  # several segments per process
    build([src], location, "jsonl", procs=2)
    ix = whoosh_index.open_dir(str(current_generation(location)))
    assert len(ix._segments()) >= 4
    word = re.compile(r"\boil\b", re.IGNORECASE)
    expected = {a.id for a in articles if word.search(a.text)}
    with ix.searcher() as s:
        hits = s.search(Term("body", "oil"), limit=None)
        assert {h["id"] for h in hits} == expected
        assert s.doc_count() == len(articles)
        found = s.search(Term("id", "g42"), limit=1)
        assert [h["title"] for h in found] == [next(a.title for a in articles if a.id == "g42")]
