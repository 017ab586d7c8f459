"""The private Whoosh APIs we rely on (search/backends/whoosh/internals.py), pinned.

Each is checked against what Whoosh's public API says about the same index, on a real
index on disk with several segments, deletions, repeated words and empty fields. If a
Whoosh upgrade changes one of them, this file fails, and says which.
"""

from __future__ import annotations

import ast
import pickle
import random
from pathlib import Path
from typing import Any

import pytest
import whoosh
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.qparser import QueryParser

from search.analysis import ym_of
from search.articles import Article
from search.backends.whoosh import internals
from search.backends.whoosh.schema import ArticleSchema, NewsAnalyzer, article_document
from search.backends.whoosh.segments import write_index
from search.layout import current_generation
from search.stories import SKETCH
from tests.conftest import NEWS_WORDS as WORDS
from tests.conftest import ROOT, index_from_records


def _documents(n: int, seed: int = 7) -> list[dict[str, Any]]:
    from datetime import date

    rnd = random.Random(seed)
    docs = []
    for i in range(n):
        body = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(0, 60)))
        a = Article(
            id=f"a{i:04d}",
            path=f"/src/{i}.txt",
            title=" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 6))),
            standfirst="" if i % 3 else "oil " * (i % 5),
            body=(body,) if body else (),
            published=date(2000 + i % 20, 1 + i % 12, 1 + i % 28),
        )
        docs.append(article_document(a, b""))
    return docs


def _as_is(doc: dict[str, Any]) -> tuple[dict[str, Any], tuple[int, int, list[int]]]:
    """A prepared document as its own document, with an empty sketch row."""
    return doc, (0, 0, [0] * SKETCH)


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of 1,000 articles in 5 segments, with 37 deleted."""
    d = tmp_path_factory.mktemp("segmented")
    whoosh_index.create_in(str(d), ArticleSchema()).close()
    write_index(str(d), _documents(1000), _as_is, segment_docs=200)
    ix = whoosh_index.open_dir(str(d))
    w = ix.writer()
    for i in range(0, 1000, 27):
        w.delete_by_term("id", f"a{i:04d}")
    w.commit(optimize=False, merge=False)
    ix.close()
    return d


def _segments(d: Path) -> tuple[Any, list[tuple[Any, int]]]:
    searcher = whoosh_index.open_dir(str(d)).searcher()
    return searcher, list(searcher.reader().leaf_readers())


def test_the_pinned_version_is_the_installed_one() -> None:
    assert whoosh.versionstring() == internals.PINNED_VERSION


def test_the_index_has_several_segments_and_deletions(segmented: Path) -> None:
    searcher, segs = _segments(segmented)
    assert len(segs) == 5
    assert searcher.doc_count_all() - searcher.doc_count() == 38


@pytest.mark.parametrize("field", ["title", "standfirst", "body"])
def test_blocks_read_what_the_public_matcher_walks(segmented: Path, field: str) -> None:
    _, segs = _segments(segmented)
    checked = 0
    for seg, _offset in segs:
        for btext in seg.lexicon(field):
            found = internals.blocks(seg, field, btext)
            assert found is not None, "on-disk segments read in blocks"
            ids: list[int] = []
            weights: list[float] = []
            positions: list[list[int]] = []
            for block in found:
                block_ids = block.ids()
                assert block.max_id == block_ids[-1]
                ids.extend(block_ids)
                weights.extend(block.weights(len(block_ids)))
                positions.extend(internals.decode_positions(v) for v in block.values())
            assert (ids, weights) == internals.walk(seg, field, btext)
            # Whoosh's public matcher: the same postings, deleted documents left out.
            live = [j for j, d in enumerate(ids) if not seg.is_deleted(d)]
            m = seg.postings(field, btext)
            public: list[tuple[int, float, list[int]]] = []
            while m.is_active():
                public.append((m.id(), m.weight(), list(m.value_as("positions"))))
                m.next()
            assert public == [(ids[j], weights[j], positions[j]) for j in live]
            checked += 1
    assert checked >= len(segs)


@pytest.mark.parametrize("field", ["title", "standfirst", "body"])
def test_length_bytes_decode_to_whooshs_field_lengths(segmented: Path, field: str) -> None:
    _, segs = _segments(segmented)
    for seg, _offset in segs:
        stored = internals.length_bytes(seg, field)
        assert stored is not None and len(stored) == seg.doc_count_all()
        decoded = [internals.LENGTH_OF_BYTE[b] for b in stored]
        assert decoded == [seg.doc_field_length(d, field, 1) or 1 for d in range(len(stored))]


def test_deleted_in_is_what_is_deleted_says(segmented: Path) -> None:
    _, segs = _segments(segmented)
    total = 0
    for seg, _offset in segs:
        deleted = internals.deleted_in(seg)
        assert deleted == {d for d in range(seg.doc_count_all()) if seg.is_deleted(d)}
        total += len(deleted)
    assert total == 38


def test_multiterm_words_are_the_prefix_words(segmented: Path) -> None:
    searcher, _ = _segments(segmented)
    reader = searcher.reader()
    for prefix in ("co", "o", "tr", "zz"):
        words = list(internals.multiterm_words(wq.Prefix("body", prefix), reader))
        assert words == list(reader.expand_prefix("body", prefix))


def test_segments_written_apart_are_committed_together(tmp_path: Path) -> None:
    whoosh_index.create_in(str(tmp_path), ArticleSchema()).close()
    ix = whoosh_index.open_dir(str(tmp_path))
    docs = _documents(30)
    segments = []
    for part in (docs[:10], docs[10:]):
        w = internals.new_segment_writer(ix, limitmb=8)
        for doc in part:
            w.add_document(**doc)
        segments.append(internals.finalize_segment(w))
    empty = internals.new_segment_writer(ix, limitmb=8)
    internals.discard_segment(empty)
    internals.commit_segments(ix, segments)
    ix = whoosh_index.open_dir(str(tmp_path))
    assert ix.doc_count() == 30
    # The commit lists the two segments, and no file of the discarded one is left.
    listed = {seg.segment_id() for seg in segments}
    on_disk = {p.name.split(".")[0] for p in tmp_path.glob("MAIN_*.*")}
    assert on_disk == listed
    with ix.searcher() as s:
        assert len(list(s.reader().leaf_readers())) == 2
        assert {s.stored_fields(d)["id"] for d in s.reader().all_doc_ids()} == {
            d["id"] for d in docs
        }


def test_clean_unlisted_removes_a_segment_no_toc_lists(tmp_path: Path) -> None:
    whoosh_index.create_in(str(tmp_path), ArticleSchema()).close()
    write_index(str(tmp_path), _documents(10), _as_is)
    listed = set(p.name for p in tmp_path.iterdir())
    ix = whoosh_index.open_dir(str(tmp_path))
    w = internals.new_segment_writer(ix, limitmb=8)
    for doc in _documents(5, seed=1):
        w.add_document(**doc)
    internals.finalize_segment(w)  # written, never committed: what a crash leaves
    assert set(p.name for p in tmp_path.iterdir()) > listed
    internals.clean_unlisted(str(tmp_path))
    # What is left beside the listed files is the writer's scratch space (MAIN.tmp).
    assert set(p.name for p in tmp_path.iterdir()) - {"MAIN.tmp"} == listed
    assert whoosh_index.open_dir(str(tmp_path)).doc_count() == 10


def test_an_index_we_build_opens_and_searches_with_whoosh_alone(tmp_path: Path) -> None:
    from datetime import date

    records = [
        {"id": f"c{i}", "title": f"Cocoa talks {i}", "body": f"Cocoa producers met in round {i}. " * 3,
         "published": date(2001, 1 + i % 12, 1).isoformat()}
        for i in range(40)
    ] + [{"id": "w", "title": "Wheat harvest", "body": "The wheat harvest was large.",
          "published": "2002-05-05"}]  # fmt: skip
    location = index_from_records(tmp_path, records)
    ix = whoosh_index.open_dir(str(current_generation(location)))
    with ix.searcher() as s:
        hits = s.search(QueryParser("body", ix.schema).parse("wheat"), limit=5)
        assert [h["title"] for h in hits] == ["Wheat harvest"]
        assert len(s.search(QueryParser("title", ix.schema).parse("cocoa"), limit=None)) == 40
        assert s.doc_count() == 41
        month = ym_of(date(2002, 5, 5))
        assert month in set(s.reader().column_reader("ym", translate=True))


def test_an_analyzer_pickled_under_its_old_name_still_loads() -> None:
    """Indexes built before the backend package name ``search.schema.NewsAnalyzer``."""
    data = pickle.dumps(NewsAnalyzer(), protocol=0).replace(
        b"search.backends.whoosh.schema", b"search.schema"
    )
    assert b"search.schema" in data
    assert isinstance(pickle.loads(data), NewsAnalyzer)


#: Outside the backend's package, only search/analysis.py imports Whoosh: its stemmer,
#: stop list and accent map, the language rather than the engine.
ALLOWED = {"search/analysis.py": {"whoosh.lang.porter2", "whoosh.lang.stopwords",
                                  "whoosh.support.charset"}}  # fmt: skip


def _whoosh_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "whoosh":
            found.add(node.module or "")
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "whoosh"}
    return found


def test_only_the_backend_package_imports_whoosh() -> None:
    outside = {}
    for path in sorted([*(ROOT / "search").rglob("*.py"), *(ROOT / "web").rglob("*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("search/backends/whoosh/"):
            continue
        imports = _whoosh_imports(path) - ALLOWED.get(rel, set())
        if imports:
            outside[rel] = sorted(imports)
    assert outside == {}


def test_only_internals_touches_private_whoosh_attributes() -> None:
    """The private names internals.py wraps appear nowhere else in our code."""
    private = ("._data", "._read_data", "._byteids", "._maxid", "._lastblock", "._next_block",
               "._terms", "._perdoc", "._btexts", "._finalize_segment", "._close_segment",
               "._commit_toc", "._read_toc", "_lk=", "deleted_docs_set", "_lenfield",
               "._postwriter", "._blocklimit", "._write_block", "._assemble_segment",
               "._minlength", "._maxlength", "._maxweight", ".perdocwriter",
               ".fieldwriter")  # fmt: skip
    offenders = {}
    for path in sorted([*(ROOT / "search").rglob("*.py"), *(ROOT / "web").rglob("*.py")]):
        if path.name == "internals.py":
            continue
        text = path.read_text(encoding="utf-8")
        used = [p for p in private if p in text]
        if used:
            offenders[path.relative_to(ROOT).as_posix()] = used
    assert offenders == {}


def test_segment_files_are_read_through_the_mapping(segmented: Path) -> None:
    """CompoundStorage.open_file makes our BufferFile: no heap copy of each file."""
    from whoosh.filedb import compound

    assert compound.BufferFile is internals._MappedBufferFile
    _, segs = _segments(segmented)
    seg = segs[0][0]
    files = [f for f in vars(seg._terms).values() if isinstance(f, internals._MappedBufferFile)]
    assert files, "the segment's terms are read through a mapped file"
    assert all(isinstance(f._buf, memoryview) for f in files)
    # What it reads is what Whoosh's own BufferFile reads.
    from whoosh.filedb.structfile import BufferFile

    data = bytes(files[0]._buf)
    ours, theirs = internals._MappedBufferFile(memoryview(data)), BufferFile(data)
    for pos, n in [(0, 4), (3, 20), (len(data) - 5, 10)]:
        assert ours.get(pos, n) == theirs.get(pos, n)
        ours.seek(pos)
        theirs.seek(pos)
        assert ours.read(n) == theirs.read(n) and ours.tell() == theirs.tell()
    sub_ours, sub_theirs = ours.subset(2, 30), theirs.subset(2, 30)
    assert sub_ours.read() == sub_theirs.read()


@pytest.mark.parametrize("seed", range(20))
def test_the_view_file_reads_as_bytesio_does(seed: int) -> None:
    import io

    rnd = random.Random(seed)
    data = bytes(rnd.choice(b"ab\n\x00") for _ in range(rnd.randint(0, 3000)))
    ours, theirs = internals._ViewFile(memoryview(data)), io.BytesIO(data)
    for _ in range(200):
        op = rnd.choice(["read", "readline", "seek", "tell", "pickle"])
        if op == "read":
            n = rnd.choice([-1, 0, 1, rnd.randint(0, 600)])
            assert ours.read(n) == theirs.read(n)
        elif op == "readline":
            limit = rnd.choice([-1, rnd.randint(0, 300)])
            assert ours.readline(limit) == theirs.readline(limit)
        elif op == "seek":
            whence = rnd.choice([0, 1, 2])
            pos = rnd.randint(0, len(data)) if whence == 0 else rnd.randint(-50, 50)
            if (whence and theirs.tell() + pos < 0) or (whence == 2 and len(data) + pos < 0):
                continue
            assert ours.seek(pos, whence) == theirs.seek(pos, whence)
        else:
            assert ours.tell() == theirs.tell()
    obj = {"a": [1, 2, 3], "b": "x" * 300}
    blob = b"junk" + pickle.dumps(obj, protocol=0) + pickle.dumps(obj, protocol=4)
    f = internals._ViewFile(memoryview(blob))
    f.seek(4)
    assert pickle.load(f) == obj and pickle.load(f) == obj  # type: ignore[arg-type]


def test_write_terms_writes_what_the_commit_writes(tmp_path: Path) -> None:
    """``write_terms`` fills the block writer's buffers a block at a time and
    ``stored_length`` is the length column's round trip: the postings and term
    statistics read back are the ones ``add_document`` and the commit write (terms of
    one block and of many)."""
    docs = _documents(700)
    readers = []
    for name in ("whoosh", "ours"):
        d = tmp_path / name
        d.mkdir()
        whoosh_index.create_in(str(d), ArticleSchema()).close()
        ix = whoosh_index.open_dir(str(d))
        w = internals.new_segment_writer(ix, limitmb=8)
        if name == "whoosh":
            for doc in docs:
                w.add_document(**doc)
            segment = internals.finalize_segment(w)
        else:
            perdoc = internals.per_document_writer(w)
            postings: dict[bytes, list[Any]] = {}
            for docnum, doc in enumerate(docs):
                perdoc.start_doc(docnum)
                field = ix.schema["body"]
                items = list(field.index(doc["body"]))
                length = sum(freq for _, freq, _, _ in items)
                stored = internals.stored_length(length) if length else 0
                for btext, _, weight, value in items:
                    postings.setdefault(btext, []).append((docnum, weight, value, stored))
                perdoc.add_field("body", field, None, length)
                perdoc.finish_doc()
            internals.close_documents(w)
            internals.write_terms(w, "body", iter(sorted(postings.items())))
            segment = internals.finish_built_segment(w, len(docs))
        internals.commit_segments(ix, [segment])
        readers.append(whoosh_index.open_dir(str(d)).reader())
    theirs, ours = readers
    words = [t for f, t in theirs.all_terms() if f == "body"]
    assert words == [t for f, t in ours.all_terms() if f == "body"]
    assert max(theirs.doc_frequency("body", t) for t in words) > 128  # several blocks
    for t in words:
        a, b = theirs.postings("body", t), ours.postings("body", t)
        assert list(a.all_items()) == list(b.all_items())
        ia, ib = theirs.term_info("body", t), ours.term_info("body", t)
        assert (ia.weight(), ia.doc_frequency(), ia.min_length(), ia.max_length()) == (
            ib.weight(),
            ib.doc_frequency(),
            ib.min_length(),
            ib.max_length(),
        )
        assert (ia.max_weight(), ia.min_id(), ia.max_id()) == (
            ib.max_weight(),
            ib.min_id(),
            ib.max_id(),
        )
