"""The relevance benchmark's readers of the six judged collections in ../shared: every
count as SOURCE.md states it, and every judgment names a real query and document (the
traps: TIME numbers documents by position, Cranfield numbers queries by position)."""

from __future__ import annotations

from types import ModuleType

import pytest

from search.analysis import WORD
from search.query_text import limit_problem
from tests.conftest import SHARED

CORPORA = SHARED / "corpora"
NAMES = ["time", "cacm", "cisi", "cranfield", "medline", "npl"]


@pytest.fixture(scope="module")
def corpora(relevance_bench: dict[str, ModuleType]) -> ModuleType:
    return relevance_bench["corpora"]


@pytest.mark.parametrize("name", NAMES)
def test_collection_reads_as_its_source_says(corpora: ModuleType, name: str) -> None:
    if not (CORPORA / name).is_dir():
        pytest.skip(f"{CORPORA / name} is absent (../shared is not beside the repository)")
    collection = corpora.load(name, CORPORA)
    assert corpora.check(collection) == []
    empty = [d.id for d in collection.docs if not (d.text.strip() or d.title.strip())]
    assert empty == (["471", "995"] if name == "cranfield" else [])  # as SOURCE.md says


@pytest.mark.parametrize("name", NAMES)
def test_every_judged_query_fits_the_query_limits(corpora: ModuleType, name: str) -> None:
    """The verbose queries of the judged collections (CISI's run to 2,000 characters and
    116 different words) are queries a reader may paste: none is refused as too big."""
    if not (CORPORA / name).is_dir():
        pytest.skip(f"{CORPORA / name} is absent (../shared is not beside the repository)")
    collection = corpora.load(name, CORPORA)
    refused = {
        q.id: problem
        for q in collection.judged_queries
        for text in (q.text, " ".join(w.lower() for w in WORD.findall(q.text)))
        if (problem := limit_problem(text))
    }
    assert refused == {}
