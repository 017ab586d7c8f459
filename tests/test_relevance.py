"""Ranking quality as served, against SQLite FTS5 in the same run, on two judged collections.

The relevance benchmark (bench/relevance) measures six collections by hand; this keeps
its two telling cases in CI. TIME is the news collection; CISI's queries are
paragraphs (up to 2,000 characters), the case where the engine's query limits once
refused half of them. Both are searched through ``search()`` with ``match="any"``, as
the API serves ``match=any``, and scored with ir-measures over the top 100.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import SHARED

CORPORA = SHARED / "corpora"
K = 100


@pytest.mark.slow
@pytest.mark.parametrize("name", ["time", "cisi"])
def test_ranking_as_served_is_at_least_fts5s(
    relevance_bench: dict[str, ModuleType], name: str, tmp_path: Path
) -> None:
    if not (CORPORA / name).is_dir():
        pytest.skip(f"{CORPORA / name} is absent (../shared is not beside the repository)")
    collection = relevance_bench["corpora"].load(name, CORPORA)
    scores = {}
    for system in (relevance_bench["systems"].Ours(), relevance_bench["systems"].Fts5()):
        workdir = tmp_path / system.name
        workdir.mkdir()
        system.build(collection.docs, workdir)
        try:
            rankings = {q.id: system.rank(q.text, K) for q in collection.judged_queries}
        finally:
            system.close()
        if system.name == "ours":
            assert not [q for q, r in rankings.items() if r.refused or r.cut]
        ids = {q: r.doc_ids for q, r in rankings.items()}
        scores[system.name] = relevance_bench["metrics"].evaluate(collection.qrels, ids)
    ours, fts5 = scores["ours"], scores["fts5"]
    print(f"{name}: ours {ours}, fts5 {fts5}")
    assert ours["MAP"] >= fts5["MAP"] and ours["nDCG@10"] >= fts5["nDCG@10"], scores
