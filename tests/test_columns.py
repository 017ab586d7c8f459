"""The per-article columns written at commit (search/backends/whoosh/columns.py) are
what reading the index gives, and a snapshot opened from them is the snapshot computed
from Whoosh's files."""

from __future__ import annotations

import json
import logging
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh import index as whoosh_index

from search.backends.whoosh import columns
from search.backends.whoosh.store import IndexStore, Snapshot
from search.indexing import build, update
from search.layout import current_generation
from search.querying import search
from search.stories import read_stories
from tests.conftest import NEWS_WORDS as WORDS
from tests.conftest import needs_reuters


def _records(n: int, seed: int) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        body = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(8, 40)))
        out.append({
            "id": f"r{i}", "title": " ".join(rnd.sample(WORDS, 3)), "body": body + ".",
            "published": f"{2000 + i % 7}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "section": rnd.choice(["World", "Markets", ""]), "source": rnd.choice(["A", "B"]),
            "topics": rnd.sample(["crude", "gold", "grain"], rnd.randint(0, 2)),
        })  # fmt: skip
    # Copies of a few articles, a day apart: stories with versions.
    for i in range(0, min(60, n), 6):
        copy = dict(out[i], id=f"copy{i}")
        out.append(copy)
    return out


def _write(src: Path, records: list[dict[str, Any]]) -> None:
    src.mkdir(exist_ok=True)
    with open(src / "records.jsonl", "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")


def _snapshot_state(snap: Snapshot) -> dict[str, Any]:
    """Everything a search reads from a snapshot, in plain values."""
    words = snap.lexicon._load() if snap.lexicon is not None else {}
    return {
        "day": snap.day.tolist(), "ym": snap.ym.tolist(),
        "section": [snap.section_names[i] for i in snap.section],
        "source": [snap.source_names[i] for i in snap.source],
        "live": snap.live.tolist(), "by_date_desc": snap.by_date_desc.tolist(),
        "tags": {
            kind: {v: tag.members(v, snap.live_mask).tolist() for v in tag.values}
            for kind, tag in snap.tags.items()
        },
        "stories": {name: m.tolist() for name, m in snap.stories.each().items()},
        "story_of": [snap.story_name(d) for d in range(snap.doc_count_all)],
        "lengths": {f: v.tolist() for f, v in snap.field_lengths().lengths.items()},
        "average": snap.field_lengths().average,
        "words": {k: sorted(v) for k, v in words.items()},
    }  # fmt: skip


def _both_ways(location: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The snapshot opened from the columns, and opened with them taken away."""
    gen = current_generation(location)
    mapped = _snapshot_state(IndexStore(location).snapshot())
    hidden = gen.parent / "hidden-columns"
    hidden.mkdir()
    for p in gen.glob("columns-*"):
        p.rename(hidden / p.name)
    try:
        computed = _snapshot_state(IndexStore(location).snapshot())
    finally:
        for p in hidden.iterdir():
            p.rename(gen / p.name)
        hidden.rmdir()
    return mapped, computed


@pytest.fixture
def built(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    _write(src, _records(400, seed=3))
    location = tmp_path / "index"
    build([src], location, procs=2)
    return location


def test_a_build_writes_the_columns_of_its_table_of_contents(built: Path) -> None:
    gen = current_generation(built)
    assert sorted(p.name for p in gen.glob("columns-*")) == ["columns-1"]
    cols = columns.read(gen, 1)
    assert cols is not None and isinstance(cols.day, np.memmap)
    assert cols.doc_count_all == 410 and len(cols.story_names) == 10


def test_the_writer_knows_the_ids_in_document_order(built: Path) -> None:
    """With two writing processes the documents' order is the commit's, not the
    reading order: the story column is right only if the ids the writer returned are."""
    gen = current_generation(built)
    ix = whoosh_index.open_dir(str(gen))
    stories = read_stories(gen, 1)
    cols = columns.read(gen, 1)
    assert cols is not None
    with ix.searcher() as s:
        for docnum in range(s.doc_count_all()):
            article_id = s.stored_fields(docnum)["id"]
            got = cols.story[docnum]
            expected = stories.get(article_id)
            assert (cols.story_names[got] if got >= 0 else None) == expected, article_id


def test_mapped_and_computed_snapshots_are_the_same(built: Path) -> None:
    mapped, computed = _both_ways(built)
    assert mapped == computed
    assert mapped["stories"] and mapped["tags"]["topic"]


def test_after_an_update_with_deletions_too(built: Path, tmp_path: Path) -> None:
    records = _records(400, seed=3)
    del records[10:40]  # 30 articles gone
    for r in records[:10]:  # changed texts
        r["body"] = "changed " + r["body"]
    records += [dict(r, id=f"new{r['id']}") for r in _records(30, seed=11)]
    _write(tmp_path / "src", records)
    report = update([tmp_path / "src"], built)
    assert report.removed and report.updated and report.indexed
    gen = current_generation(built)
    toc = IndexStore(built).snapshot().toc_generation
    assert (gen / f"columns-{toc}").is_dir()
    mapped, computed = _both_ways(built)
    assert mapped == computed
    assert len(mapped["live"]) < len(mapped["day"])  # deleted documents are still numbered
    assert search("oil", index=IndexStore(built)).total > 0


@pytest.mark.parametrize("damage", ["truncated", "format", "missing"])
def test_damaged_columns_are_computed_instead(
    built: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    gen = current_generation(built)
    before = _snapshot_state(IndexStore(built).snapshot())
    where = gen / "columns-1"
    if damage == "truncated":
        f = where / "day.npy"
        f.write_bytes(f.read_bytes()[:100])
    elif damage == "format":
        meta = json.loads((where / "meta.json").read_text())
        (where / "meta.json").write_text(json.dumps({**meta, "format": 999}))
    else:
        shutil.rmtree(where)
    with caplog.at_level(logging.WARNING, logger="news_search"):
        after = _snapshot_state(IndexStore(built).snapshot())
    assert after == before
    if damage == "truncated":
        assert "columns" in caplog.text


@needs_reuters
def test_reuters_mapped_and_computed_are_the_same(reuters_index: Path) -> None:
    gen = current_generation(reuters_index)
    snap = IndexStore(reuters_index).snapshot()
    mapped = columns.read(gen, snap.toc_generation)
    assert mapped is not None
    computed = columns.compute(snap.searcher, read_stories(gen, snap.toc_generation))
    for name in ("day", "ym", "section", "source", "story", "deleted", "tag_offsets", "tag_docs"):
        assert np.array_equal(getattr(mapped, name), getattr(computed, name)), name
    for name in ("section_names", "source_names", "story_names", "average", "tag_values",
                 "words"):  # fmt: skip
        assert getattr(mapped, name) == getattr(computed, name), name
    for field in columns.SCORED_FIELDS:
        assert np.array_equal(mapped.lengths[field], computed.lengths[field])
