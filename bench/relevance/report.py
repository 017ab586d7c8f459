"""The Markdown report of a relevance run, with the published and earlier figures beside it."""

from __future__ import annotations

from typing import Any

from metrics import MEASURES

__all__ = ["EARLIER_MAP", "PUBLISHED_MAP", "markdown"]

#: Published BM25 figures for the same collections (other copies, other tokenizers).
PUBLISHED_MAP: dict[str, tuple[float, str]] = {
    "cacm": (0.3123, "Anserini BM25 (regression config cacm.yaml)"),
    "npl": (0.3053, "PISA BM25 (pyterrier_pisa test_vaswani.py)"),
}

#: MAP measured earlier on this machine with plain setups (OR of words, top 1000).
#: "ours" is compared with plain Whoosh (its BM25F, default analyzer).
EARLIER_MAP: dict[str, dict[str, float]] = {
    "time": {"fts5": 0.696, "tantivy": 0.683, "ours": 0.668},
    "cacm": {"fts5": 0.317, "tantivy": 0.284, "ours": 0.271},
    "cisi": {"fts5": 0.207, "tantivy": 0.168, "ours": 0.153},
    "cranfield": {"fts5": 0.421, "tantivy": 0.419, "ours": 0.420},
    "medline": {"fts5": 0.528, "tantivy": 0.525, "ours": 0.523},
    "npl": {"fts5": 0.281, "tantivy": 0.285, "ours": 0.278},
}


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _earlier(collection: str, system: str) -> str:
    value = EARLIER_MAP.get(collection, {}).get(system)
    if value is None:
        return ""
    return f"{value:.3f}" + (" (plain Whoosh)" if system == "ours" else "")


def results_table(results: dict[str, Any]) -> list[str]:
    """Collection x system x measure, with the earlier MAP of the same kind of setup."""
    labels = list(MEASURES)
    lines = [
        _row(["collection", "system", *labels, "earlier MAP"]),
        _row(["---", "---", *["---:"] * len(labels), "---:"]),
    ]
    for name, c in results["collections"].items():
        for system, s in c["systems"].items():
            values = [f"{s['metrics'][label]:.4f}" for label in labels]
            lines.append(_row([name, system, *values, _earlier(name, system)]))
    return lines


def counts_table(results: dict[str, Any]) -> list[str]:
    """What was read, and how many queries the engine's query limits refused or cut."""
    lines = [
        _row(["collection", "docs", "queries", "judged", "relevant pairs", "refused", "cut"]),
        _row(["---", "---:", "---:", "---:", "---:", "---:", "---:"]),
    ]
    for name, c in results["collections"].items():
        n = c["counts"]
        limits = c.get("limits") or {}
        cells = [
            f"{v['judged']} of {n['judged_queries']} ({v['all']} of {n['queries']})"
            if (v := limits.get(what))
            else ""
            for what in ("refused", "cut")
        ]
        lines.append(
            _row(
                [
                    name,
                    f"{n['docs']:,}",
                    str(n["queries"]),
                    str(n["judged_queries"]),
                    f"{n['pairs']:,}",
                    *cells,
                ]
            )
        )
    return lines


def anchors(results: dict[str, Any]) -> list[str]:
    """Published MAP next to ours, for the collections that have one."""
    lines = []
    for name, (value, source) in PUBLISHED_MAP.items():
        if name not in results["collections"]:
            continue
        systems = results["collections"][name]["systems"]
        measured = ", ".join(f"{s} {v['metrics']['MAP']:.4f}" for s, v in systems.items())
        lines.append(f"- {name.upper()}: published MAP {value:.4f} ({source}); here: {measured}")
    return lines


def markdown(results: dict[str, Any]) -> str:
    """The whole report."""
    run = results["run"]
    out = [
        f"# Relevance: {', '.join(results['collections'])}",
        "",
        f"{run['started']} · engine commit {run['commit']} · top {run['k']} · "
        f"any of the query's words · ir-measures {run['versions']['ir-measures']}, "
        f"tantivy {run['versions']['tantivy']}, SQLite {run['versions']['sqlite']}",
        "",
        *results_table(results),
        "",
        "Averages over the judged queries; relevance is binary (see bench/relevance/README.md).",
        "",
        "## Collections",
        "",
        *counts_table(results),
        "",
        "Engine query limits, for `ours` (judged queries, and all queries in brackets):",
        "'refused': over 4,000 characters or 128 different words searched, refused whole",
        "(the API's 400); such a query retrieves nothing and scores 0. 'cut': accepted, but",
        "searched only in part (the engine notes it; it should never happen).",
        "",
        *(["## Published anchors (MAP)", "", *anchors(results), ""] if anchors(results) else []),
        "## Time (seconds: build / all queries)",
        "",
    ]
    for name, c in results["collections"].items():
        cells = [f"{s} {v['build_s']:.1f} / {v['query_s']:.1f}" for s, v in c["systems"].items()]
        out.append(f"- {name}: " + ", ".join(cells))
    notes = {
        name: c["engine_notes"] for name, c in results["collections"].items() if c["engine_notes"]
    }
    if notes:
        out += ["", "## What the engine said about the queries", ""]
        for name, counted in notes.items():
            for note, n in counted.items():
                out.append(f"- {name}: {n} × {note}")
    return "\n".join(out) + "\n"
