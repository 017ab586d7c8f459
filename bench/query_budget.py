"""The worst queries we can construct, their price and what they cost (run by hand).

    .venv/bin/python bench/query_budget.py [--index bench/data/ours-x5] [--unlimited]

For each query: its price (clauses, postings, positions; see ``search/budget.py``),
whether the budget refuses it, and the CPU-seconds of ``search()`` on a cold snapshot
(a fresh store, caches empty) and asked again (caches warm). With ``--unlimited`` the
budget and the deadline are lifted, to see what each query would cost without them:
how the limits were chosen. Markdown to stdout.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search import budget  # noqa: E402
from search.backends.whoosh.store import IndexStore  # noqa: E402
from search.errors import QueryTooCostly, SearchTimeout  # noqa: E402
from search.querying import find_matches, search  # noqa: E402
from search.request import SORTS  # noqa: E402


def common_words(store: IndexStore, n: int) -> list[str]:
    """The n words of the most articles (body field), as typed (index terms are stems)."""
    reader = store.snapshot().searcher.reader()
    counts: Counter[str] = Counter()
    for btext, info in reader.iter_field("body"):
        w = btext.decode("utf-8")
        if w.isalpha() and len(w) > 2:
            counts[w] = info.doc_frequency()
    return [w for w, _ in counts.most_common(n)]


def queries(store: IndexStore) -> list[tuple[str, str, str]]:
    """(name, query text, match) of the worst queries we can think of."""
    common = common_words(store, 160)
    two = [f"*{a}{b}*" for a in "aeiou" for b in "nrstlc"]
    phrases = [f'"{common[i]} {common[i + 1]} {common[i + 2]}"' for i in range(0, 12, 3)]
    return [
        ("one common word", common[0], "all"),
        ("two common words", f"{common[0]} {common[1]}", "all"),
        ("32 inner wildcards (159 chars)", " ".join(two[:32]), "all"),
        ("8 inner wildcards", " ".join(two[:8]), "all"),
        ("1 inner wildcard *e*", "*e*", "all"),
        ("2 inner wildcards, any", "*e* *a*", "any"),
        ("leading wildcard *ing", "*ing", "all"),
        ("short prefix s*", "s*", "all"),
        ("4 phrases of common words (12 words)", " ".join(phrases), "all"),
        ("4 phrases of common words, any", " ".join(phrases), "any"),
        ("phrase of 2 commonest words", f'"{common[0]} {common[1]}"', "all"),
        ("phrase of 8 common words", '"' + " ".join(common[:8]) + '"', "all"),
        ("128 common words, any", " ".join(common[:128]), "any"),
        ("64 common words, any", " ".join(common[:64]), "any"),
        ("32 common words, any", " ".join(common[:32]), "any"),
        ("128 common words, all", " ".join(common[:128]), "all"),
        ("40 fuzzy common words~2, any", " ".join(f"{w}~2" for w in common[:40]), "any"),
        ("128 fuzzy words~1, any", " ".join(f"{w}~1" for w in common[:128]), "any"),
        ("NOT a common word", f"-{common[0]}", "all"),
    ]


def run(index: Path, name: str, text: str, match: str, sort: str) -> dict[str, object]:
    row: dict[str, object] = {"name": name, "chars": len(text), "sort": sort}
    pricing = IndexStore(index)
    try:
        m = find_matches(text, match=match, index=pricing)
        cost = budget.price(m.query, pricing.snapshot().searcher.reader())
        row.update(clauses=cost.clauses, postings=cost.postings, positions=cost.positions)
    except QueryTooCostly as e:
        row.update(clauses=e.clauses, postings=e.postings, positions=e.positions)
    except SearchTimeout:
        row.update(clauses="(503)")
    pricing.close()
    store = IndexStore(index)
    snap = store.snapshot()
    if snap.lexicon is not None:  # loaded once per snapshot, not per query
        snap.lexicon._load()
    for label in ("cold", "warm"):
        started = time.thread_time()
        try:
            page = search(text, match=match, sort=sort, index=store)
            row[label] = f"{time.thread_time() - started:.2f}"
            row["total"] = page.total
        except QueryTooCostly:
            row[label] = f"400 ({time.thread_time() - started:.2f})"
        except SearchTimeout:
            row[label] = f"503 ({time.thread_time() - started:.2f})"
    store.close()
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--index", type=Path, default=ROOT / "bench" / "data" / "ours-x5")
    ap.add_argument("--unlimited", action="store_true", help="lift the budget and deadline")
    ap.add_argument("--sorts", default="relevance", help=f"comma-separated, of {SORTS}")
    ap.add_argument("--only", default="", help="run only queries whose name contains this")
    args = ap.parse_args()
    if args.unlimited:
        budget.MAX_CLAUSES = budget.MAX_POSTINGS = budget.MAX_POSITIONS = 10**12
        budget.SEARCH_CPU_SECONDS = budget.SEARCH_WALL_SECONDS = 10**6
    store = IndexStore(args.index)
    qs = queries(store)
    store.close()
    cols = ["name", "sort", "chars", "clauses", "postings", "positions", "total", "cold", "warm"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for name, text, match in qs:
        if args.only and args.only not in name:
            continue
        for sort in args.sorts.split(","):
            row = run(args.index, name, text, match, sort)
            print("| " + " | ".join(f"{row.get(c, '')}" for c in cols) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
