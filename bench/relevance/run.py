"""Measure ranking quality on six classic IR test collections: ours, SQLite FTS5, tantivy.

Run by hand from the repository root (not a test)::

    .venv/bin/python bench/relevance/run.py [--collections time,cacm]
        [--systems ours,fts5,tantivy] [--shared PATH] [--k 1000]

Each collection is read from ``<shared>/corpora/<name>/`` (checked against the counts in
its SOURCE.md), indexed by every system in a temporary folder, and every query is run
as "any of its words" (the engine's ``match=any``; an OR elsewhere) for the top ``k``
documents. The table of nDCG@10, MAP, P@10 and
R@100 goes to stdout and to ``bench/results/relevance-<time>.md``, the numbers to the
``.json`` beside it; progress goes to stderr. See bench/relevance/README.md.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import corpora
import metrics
import report
import systems

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"


def log(message: str) -> None:
    """Progress, on stderr (stdout holds only the report)."""
    print(message, file=sys.stderr, flush=True)


def names(value: str, known: list[str] | tuple[str, ...], what: str) -> list[str]:
    """A comma-separated list of names, each one of ``known``."""
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in known]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown {what} {', '.join(unknown) or '(none given)'}; choose from {', '.join(known)}"
        )
    return chosen


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    all_collections = list(corpora.COLLECTIONS)
    all_systems = list(systems.SYSTEMS)
    p.add_argument(
        "--collections",
        type=lambda v: names(v, all_collections, "collection"),
        default=all_collections,
        help=f"comma-separated, from {','.join(all_collections)} (default: all)",
    )
    p.add_argument(
        "--systems",
        type=lambda v: names(v, all_systems, "system"),
        default=list(systems.DEFAULT_SYSTEMS),
        help=f"comma-separated, from {','.join(all_systems)} "
        f"(default: {','.join(systems.DEFAULT_SYSTEMS)}; the others are diagnostics)",
    )
    p.add_argument(
        "--shared",
        type=Path,
        default=ROOT.parent / "shared",
        help="the shared folder holding corpora/<name>/ (default: <repo>/../shared)",
    )
    p.add_argument("--k", type=int, default=1000, help="documents retrieved per query")
    p.add_argument("--out", type=Path, default=RESULTS, help="folder for the .md and .json")
    return p.parse_args(argv)


def read_collection(name: str, shared: Path) -> corpora.Collection:
    """Read and check one collection; stop the run if it does not match SOURCE.md."""
    c = corpora.load(name, shared / "corpora")
    problems = corpora.check(c)
    log(
        f"{name}: {len(c.docs):,} docs, {len(c.queries)} queries "
        f"({len(c.judged_queries)} judged), {c.pairs:,} relevant pairs"
        + (" — " + "; ".join(problems) if problems else " (as SOURCE.md says)")
    )
    if problems:
        raise SystemExit(f"{name}: the data does not match SOURCE.md: {'; '.join(problems)}")
    return c


def run_system(system_name: str, c: corpora.Collection, k: int) -> dict[str, Any]:
    """Build one system over a collection, run every query, evaluate."""
    system = systems.SYSTEMS[system_name]()
    with tempfile.TemporaryDirectory(prefix=f"relevance-{system_name}-{c.name}-") as tmp:
        started = time.perf_counter()
        system.build(c.docs, Path(tmp))
        built = time.perf_counter()
        rankings = {q.id: system.rank(q.text, k) for q in c.queries}
        done = time.perf_counter()
        system.close()
    judged = {q.id for q in c.judged_queries}
    scores = metrics.evaluate(c.qrels, {q: r.doc_ids for q, r in rankings.items()})
    notes: Counter[str] = Counter(n for r in rankings.values() for n in r.notes)
    log(
        f"  {system_name:<10} build {built - started:6.1f}s  queries {done - built:6.1f}s  "
        + "  ".join(f"{label} {value:.4f}" for label, value in scores.items())
    )
    return {
        "metrics": scores,
        "build_s": built - started,
        "query_s": done - built,
        "limits": {
            what: {
                "all": sum(getattr(r, what) for r in rankings.values()),
                "judged": sum(getattr(r, what) for q, r in rankings.items() if q in judged),
            }
            for what in ("refused", "cut")
        },
        "notes": dict(notes),
        "empty_judged": sum(1 for q in judged if not rankings[q].doc_ids),
    }


def run_collection(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Every chosen system on one collection."""
    c = read_collection(name, args.shared)
    per_system = {s: run_system(s, c, args.k) for s in args.systems}
    ours = per_system.get("ours")
    return {
        "counts": {
            "docs": len(c.docs),
            "queries": len(c.queries),
            "judged_queries": len(c.judged_queries),
            "pairs": c.pairs,
        },
        "limits": ours["limits"] if ours else None,
        "engine_notes": ours["notes"] if ours else {},
        "systems": {
            s: {key: v[key] for key in ("metrics", "build_s", "query_s", "empty_judged")}
            for s, v in per_system.items()
        },
    }


def engine_commit() -> str:
    """The engine's commit (read only; the working tree may hold uncommitted changes)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write the report."""
    args = parse_args(argv)
    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "run": {
            "started": started.isoformat(timespec="seconds"),
            "commit": engine_commit(),
            "k": args.k,
            "systems": args.systems,
            "shared": str(args.shared),
            "versions": {
                "ir-measures": metadata.version("ir-measures"),
                "pytrec-eval-terrier": metadata.version("pytrec-eval-terrier"),
                "tantivy": metadata.version("tantivy"),
                "whoosh-reloaded": metadata.version("whoosh-reloaded"),
                "sqlite": sqlite3.sqlite_version,
            },
        },
        "collections": {},
    }
    for name in args.collections:
        results["collections"][name] = run_collection(name, args)
    text = report.markdown(results)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"relevance-{started.strftime('%Y%m%dT%H%M%SZ')}"
    stem.with_suffix(".md").write_text(text, encoding="utf-8")
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {stem}.md and {stem}.json")


if __name__ == "__main__":
    main()
