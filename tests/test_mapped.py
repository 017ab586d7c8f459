"""The postings arrays a build writes beside its segments are Whoosh's postings.

For every term of every scored field, the slice the mapped arrays give is the ids and
weights read from Whoosh's own blocks, segment by segment, with each segment's first
document number added; a term no article has is empty; an update's table of contents
has no arrays and is read from the blocks; a key two terms share is refused, not
trusted.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from search.backends.whoosh import mapped, segments
from search.backends.whoosh.columns import SCORED_FIELDS
from search.backends.whoosh.mapped import MappedPostings
from search.backends.whoosh.ranking import _segment_postings
from search.backends.whoosh.store import IndexStore
from search.indexing import build, update
from search.layout import current_generation
from search.querying import search
from tests.conftest import NEWS_WORDS


def _records(n: int, seed: int) -> list[dict[str, object]]:
    rnd = random.Random(seed)
    words = [*NEWS_WORDS, "élection", "O'Brien", "1987", "U.S."]
    words += [f"w{k}" for k in range(300)]  # rarer words: terms in some segments only
    out = []
    for i in range(n):
        out.append(
            {
                "id": f"m{i}",
                "title": " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 6))),
                "standfirst": " ".join(rnd.choice(words) for _ in range(rnd.randint(0, 9))),
                "body": " ".join(rnd.choice(words) for _ in range(rnd.randint(0, 80))),
                "published": f"{2001 + i % 9}-{1 + i % 12:02d}-{1 + i % 27:02d}",
            }
        )
    return out


def _write(src: Path, records: list[dict[str, object]]) -> None:
    src.mkdir(exist_ok=True)
    with open(src / "records.jsonl", "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("mapped") / "src"
    _write(src, _records(2500, seed=5))
    location = src.parent / "index"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(segments, "SEGMENT_DOCS", 400)  # several segments in each of two processes
        build([src], location, "jsonl", procs=2)
    return location


def test_every_term_is_whooshs_postings(built: Path) -> None:
    store = IndexStore(built)
    snap = store.snapshot()
    arrays = snap.posting_cache.mapped
    assert arrays is not None
    reader = snap.searcher.reader()
    leaves = list(reader.leaf_readers())
    assert len(leaves) >= 6
    checked = 0
    for field in SCORED_FIELDS:
        assert arrays.covers(field)
        for btext in reader.lexicon(field):
            parts_ids, parts_weights = [], []
            for seg, offset in leaves:
                if (field, btext) in seg:
                    ids, weights = _segment_postings(seg, field, btext)
                    parts_ids.append(np.asarray(ids, dtype=np.int64) + offset)
                    parts_weights.append(np.asarray(weights, dtype=np.float32))
            got = arrays.get(field, btext)
            assert got is not None
            assert snap.frequencies.doc_frequency(field, btext) == reader.doc_frequency(
                field, btext
            )
            assert np.array_equal(got[0], np.concatenate(parts_ids)), (field, btext)
            assert np.array_equal(got[1], np.concatenate(parts_weights)), (field, btext)
            checked += 1
        got = arrays.get(field, b"nosuchword")
        assert got is not None and len(got[0]) == 0 == len(got[1])
    assert checked > 50


def test_an_update_is_read_from_whooshs_blocks(tmp_path: Path) -> None:
    """An update's table of contents has no arrays: its searches read Whoosh's blocks,
    and find what a fresh build of the same articles (read from arrays) finds."""
    src, built = tmp_path / "src", tmp_path / "index"
    _write(src, _records(2500, seed=5))
    build([src], built, "jsonl", procs=2)
    records = _records(2500, seed=5)
    records[0]["body"] = "zanzibarish oil price"
    del records[5:20]
    _write(src, records)  # the build's own source, changed
    update([src], built)
    store = IndexStore(built)
    assert store.snapshot().posting_cache.mapped is None
    fresh = build([src], tmp_path / "fresh", "jsonl")
    assert fresh.indexed == len(records)
    fresh_store = IndexStore(tmp_path / "fresh")
    assert fresh_store.snapshot().posting_cache.mapped is not None
    for q in ("zanzibarish", "oil price", "w7 OR w8", "title:oil", '"oil price"'):
        a, b = search(q, index=store, per_page=50), search(q, index=fresh_store, per_page=50)
        assert a.total == b.total > 0, q
        if a.total <= 50:
            assert {h.id for h in a.hits} == {h.id for h in b.hits}, q
    gen = current_generation(built)
    # Arrays of tables of contents older than the one before the live one are removed.
    assert {p.name for p in gen.glob(mapped.PREFIX + "*")} <= {f"{mapped.PREFIX}1"}


def test_a_key_two_terms_share_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every term given one key, no field gets arrays: all are read from Whoosh."""
    monkeypatch.setattr(mapped, "key_of", lambda btext: 7)
    parts = tmp_path / "parts"
    mapped.write_part(parts, "s1", "body", [(b"oil", [0, 3], [1.0, 2.0]), (b"tea", [1], [1.0])])
    mapped.merge(tmp_path, 1, [("s1", 0)], ["body"], parts)
    arrays = MappedPostings.read(tmp_path, 1)
    assert arrays is not None and not arrays.covers("body")
    assert arrays.get("body", b"oil") is None


def test_a_field_no_article_has_words_in(tmp_path: Path) -> None:
    """Every standfirst empty: the field has arrays, and every term of it is empty."""
    records = [dict(r, standfirst="") for r in _records(300, seed=2)]
    _write(tmp_path / "src", records)
    build([tmp_path / "src"], tmp_path / "index", "jsonl", procs=2)
    snap = IndexStore(tmp_path / "index").snapshot()
    arrays = snap.posting_cache.mapped
    assert arrays is not None and arrays.covers("standfirst")
    got = arrays.get("standfirst", b"oil")
    assert got is not None and len(got[0]) == 0
    assert search("oil", index=IndexStore(tmp_path / "index")).total > 0
