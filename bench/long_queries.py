"""Benchmark long "any of these words" queries: ours (``match=any``) against FTS5 and tantivy.

Run by hand from the repository root, after ``bench/run.py`` has built the indexes in
``bench/data/`` (it reuses them; nothing is built here)::

    .venv/bin/python bench/long_queries.py [--corpus reuters|x5] [--passes 3]

The query size limit (``search.query_text.MAX_QUERY_WORDS``) is set by what these
queries cost, so two sets are timed, each query as the page job of ``bench/run.py``
(top 10 by relevance with snippets, the total, year and month counts over all matches):

* ``verbose``: the judged queries of CACM, CISI and MEDLINE (the collections whose
  queries are sentences and paragraphs, up to 114 different words here) as a reader would
  paste them, lower-cased words only. They are searched over the Reuters articles: what
  they cost depends on how long the posting lists of their words are, not on whether
  the articles are relevant.
* ``sized``: ``n`` words drawn at random from the 1,000 commonest words of the corpus
  (no stop words), 8 draws for each ``n`` in 16, 32, 64 and 128 (the limit), and the
  128 commonest words themselves: the dearest query the limit lets through.

The three systems answer each query in turn (so that a noisy moment hits all three);
the first pass is reported apart from the later ones, as ours caches term sets. The
Markdown table goes to stdout, progress to stderr, everything to
``bench/results/long-queries-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tantivy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench" / "relevance"))
sys.path.insert(0, str(ROOT / "bench"))

import corpora  # noqa: E402
from run import (  # noqa: E402
    _FTS5_FROM,
    _FTS5_MONTHS,
    _FTS5_TOP,
    _FTS5_YEARS,
    TITLE_BOOST,
    TOP_K,
    corpus_articles,
    index_path,
    percentiles,
)

from search.analysis import STOP_WORDS, WORD  # noqa: E402
from search.backends.whoosh.store import IndexStore  # noqa: E402
from search.query_text import MAX_QUERY_WORDS, count_words  # noqa: E402
from search.querying import search  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpora"
RESULTS = ROOT / "bench" / "results"
VERBOSE_FROM = ("cacm", "cisi", "medline")
SIZES = (16, 32, 64, MAX_QUERY_WORDS)
DRAWS = 8
POOL = 1000
SEED = 128
_PLAIN = re.compile(r"[a-z]{3,}")
SYSTEMS = ("ours", "fts5", "tantivy")

Job = Callable[[list[str]], int]


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def plain_words(text: str) -> list[str]:
    """Lower-case ASCII words every tokenizer here reads whole (so all three search the
    same words), stop words left out."""
    return [
        w for w in (m.group().lower() for m in WORD.finditer(text))
        if _PLAIN.fullmatch(w) and w not in STOP_WORDS
    ]  # fmt: skip


def verbose_queries() -> list[tuple[str, list[str]]]:
    out = []
    for name in VERBOSE_FROM:
        c = corpora.load(name, SHARED)
        for q in c.judged_queries:
            words = plain_words(q.text)
            if words:
                out.append((f"verbose/{name}", words))
    return out


def sized_queries(corpus: str) -> list[tuple[str, list[str]]]:
    df: Counter[str] = Counter()
    for a in corpus_articles(corpus):
        df.update(set(plain_words(f"{a.title}\n{a.standfirst}\n{a.text}")))
    by_df = sorted(df, key=lambda w: (-df[w], w))
    rng = random.Random(SEED)
    out = [(f"sized/{n}", rng.sample(by_df[:POOL], n)) for n in SIZES for _ in range(DRAWS)]
    # Distinct stems, not words, are what the limit counts: keep adding common words
    # until the query searches exactly MAX_QUERY_WORDS of them.
    top: list[str] = []
    for w in by_df:
        if count_words(" ".join([*top, w])) <= MAX_QUERY_WORDS:
            top.append(w)
        if count_words(" ".join(top)) == MAX_QUERY_WORDS:
            break
    out.append(("sized/commonest", top))
    return out


def open_ours(corpus: str) -> Job:
    store = IndexStore(index_path("ours", corpus))
    store.snapshot()

    def job(words: list[str]) -> int:
        return search(" ".join(words), match="any", per_page=TOP_K, index=store).total

    return job


def open_fts5(corpus: str) -> Job:
    """The page job of bench/run.py's FTS5, its SQL as is, the words OR'ed."""
    con = sqlite3.connect(f"file:{index_path('fts5', corpus)}?mode=ro", uri=True)
    top, years, months = (
        sql.format(boost=TITLE_BOOST, frm=_FTS5_FROM, dates="", k=TOP_K)
        for sql in (_FTS5_TOP, _FTS5_YEARS, _FTS5_MONTHS)
    )

    def job(words: list[str]) -> int:
        match = " OR ".join(f'"{w}"' for w in words)
        con.execute(top, (match,)).fetchall()
        by_year = dict(con.execute(years, (match,)).fetchall())
        con.execute(months, (match,)).fetchall()
        return sum(by_year.values())

    return job


def open_tantivy(corpus: str) -> Job:
    index = tantivy.Index.open(str(index_path("tantivy", corpus)))
    schema = index.schema
    searcher = index.searcher()
    month_agg = {"ym": {"terms": {"field": "ym", "size": 10_000}}}

    def job(words: list[str]) -> int:
        query = index.parse_query(
            " ".join(f'"{w}"' for w in words),
            ["title", "body"],
            field_boosts={"title": TITLE_BOOST},
            conjunction_by_default=False,
        )
        result = searcher.search(query, TOP_K)
        snippets = tantivy.SnippetGenerator.create(searcher, query, schema, "body")
        for _, addr in result.hits:
            snippets.snippet_from_doc(searcher.doc(addr)).to_html()
        searcher.aggregate(query, month_agg)
        return int(result.count)

    return job


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--corpus", choices=("reuters", "x5"), default="x5")
    ap.add_argument("--passes", type=int, default=3, help="passes over the set (first apart)")
    args = ap.parse_args()
    for system in SYSTEMS:
        if not index_path(system, args.corpus).exists():
            raise SystemExit(f"no {system} index for {args.corpus}: run bench/run.py first")
    queries = verbose_queries() + sized_queries(args.corpus)
    log(f"{len(queries)} queries; opening the indexes")
    jobs = {
        "ours": open_ours(args.corpus),
        "fts5": open_fts5(args.corpus),
        "tantivy": open_tantivy(args.corpus),
    }
    # times[system][pass][query]
    times: dict[str, list[list[float]]] = {s: [] for s in SYSTEMS}
    totals: dict[str, list[int]] = {s: [] for s in SYSTEMS}
    for p in range(args.passes):
        log(f"pass {p + 1} of {args.passes}")
        for s in SYSTEMS:
            times[s].append([])
        for _, words in queries:
            for s in SYSTEMS:
                started = time.perf_counter()
                total = jobs[s](words)
                times[s][p].append((time.perf_counter() - started) * 1000)
                if p == 0:
                    totals[s].append(total)
    groups = sorted({g.split("/")[0] + ("/" + g.split("/")[1] if "sized" in g else "")
                     for g, _ in queries})  # fmt: skip
    rows = []
    summary: dict[str, Any] = {}
    for group in ["all", *groups]:
        idx = [i for i, (g, _) in enumerate(queries) if group == "all" or g.startswith(group)]
        cell: dict[str, Any] = {}
        for s in SYSTEMS:
            warm = [times[s][p][i] for p in range(1, args.passes) for i in idx]
            first = [times[s][0][i] for i in idx]
            cell[s] = {"first": percentiles(first), "warm": percentiles(warm or first)}
        summary[group] = cell
        words = statistics.median(count_words(" ".join(queries[i][1])) for i in idx)
        o, f, t = (cell[s]["warm"] for s in SYSTEMS)
        rows.append(
            f"| {group} | {len(idx)} | {words:.0f} | {cell['ours']['first']['p50']:.1f} / "
            f"{cell['ours']['first']['p99']:.1f} | {o['p50']:.1f} / {o['p99']:.1f} | "
            f"{f['p50']:.1f} / {f['p99']:.1f} | {t['p50']:.1f} / {t['p99']:.1f} | "
            f"{o['p50'] / f['p50']:.2f} / {o['p99'] / f['p99']:.2f} | "
            f"{o['p50'] / t['p50']:.2f} / {o['p99'] / t['p99']:.2f} |"
        )
    agree = sum(1 for a, b in zip(totals["ours"], totals["fts5"], strict=True) if a == b)
    table = "\n".join(
        [
            f"Long queries, match=any, corpus {args.corpus}, {args.passes} passes "
            f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC); ms, p50 / p99",
            "",
            "| set | queries | words (median) | ours 1st pass | ours | FTS5 | tantivy "
            "| ours/FTS5 | ours/tantivy |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            *rows,
            "",
            f"Equal totals ours/FTS5: {agree} of {len(queries)} queries.",
        ]
    )
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"long-queries-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(
        json.dumps(
            {
                "corpus": args.corpus,
                "passes": args.passes,
                "queries": [[g, " ".join(w)] for g, w in queries],
                "summary": summary,
                "times": times,
                "totals": totals,
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
