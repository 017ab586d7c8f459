"""Ranking quality by ``ir-measures`` (pytrec_eval underneath): nDCG@10, MAP, P@10, R@100.

A run is each query's ranked document ids. They are handed to the library with scores
that fall with the rank (1000, 999, ...), so that the evaluation keeps each system's
own order: pytrec_eval sorts by score and would reorder documents with equal scores.

Averages are over the judged queries. A judged query for which a system returned
nothing counts 0 (ir-measures fills in its default); unjudged queries are not counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ir_measures
from corpora import Qrels
from ir_measures import AP, P, R, nDCG

__all__ = ["MEASURES", "evaluate"]

#: label in the tables -> measure
MEASURES: dict[str, ir_measures.Measure] = {
    "nDCG@10": nDCG @ 10,
    "MAP": AP,
    "P@10": P @ 10,
    "R@100": R @ 100,
}


def as_run(rankings: Mapping[str, Sequence[str]]) -> dict[str, dict[str, float]]:
    """Ranked ids per query -> the score dictionaries ir-measures takes (rank order kept)."""
    return {
        query_id: {doc_id: float(len(ids) - i) for i, doc_id in enumerate(ids)}
        for query_id, ids in rankings.items()
    }


def evaluate(qrels: Qrels, rankings: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """The mean of each measure over the judged queries."""
    judged = {q: docs for q, docs in qrels.items() if docs}
    values = ir_measures.calc_aggregate(list(MEASURES.values()), judged, as_run(rankings))
    return {label: float(values[measure]) for label, measure in MEASURES.items()}
