"""Benchmark the engine against SQLite FTS5 and tantivy: build, size, memory, latency.

Run by hand (not a test), from the repository root::

    .venv/bin/python bench/make_corpus.py        # once: bench/data/reuters-x5.jsonl
    .venv/bin/python bench/run.py [--corpus reuters|x5|both] [--systems ours,fts5,tantivy]
                                  [--skip-build] [--out bench/results/NAME.json] [--profile]

Every build and every query session runs in its own child process (this script, run
with ``--child``), so that each one's peak memory is its own. A query session opens
the index once, runs the whole query set once to warm up, then times a second pass.
See bench/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import platform
import pstats
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import tantivy
from queries import KINDS, Query, ensure, load

import search as engine_package
from search.analysis import ym_of
from search.articles import Article, read_paths
from search.backends.whoosh.store import IndexStore
from search.indexing import build
from search.querying import search

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
DATA = BENCH / "data"
RESULTS = BENCH / "results"
QUERIES = BENCH / "queries.txt"
REUTERS = ROOT.parent / "shared" / "corpora" / "reuters21578"
#: corpus name → (path, reader format)
CORPORA: dict[str, tuple[Path, str]] = {
    "reuters": (REUTERS, "reuters"),
    "x5": (DATA / "reuters-x5.jsonl", "jsonl"),
    "x25": (DATA / "reuters-x25.jsonl", "jsonl"),
    "x50": (DATA / "reuters-x50.jsonl", "jsonl"),
}
SYSTEMS = ("ours", "fts5", "tantivy")
COMPARED = (("ours", "fts5"), ("ours", "tantivy"), ("fts5", "tantivy"))
TOP_K = 10
TITLE_BOOST = 2.5
TANTIVY_HEAP = 256_000_000  # bytes; the engine's Whoosh writer gets limitmb=256 per process
SAMPLE_EVERY = 0.5  # seconds between samples of a build's process-tree memory


def index_path(system: str, corpus: str) -> Path:
    return DATA / (f"{system}-{corpus}.sqlite" if system == "fts5" else f"{system}-{corpus}")


def corpus_articles(corpus: str) -> Iterator[Article]:
    """The corpus's articles through the engine's own reader, once per id (as it does)."""
    path, fmt = CORPORA[corpus]
    seen: set[str] = set()
    for item in read_paths([path], fmt):
        if isinstance(item, Article) and item.id not in seen:
            seen.add(item.id)
            yield item


def body_text(a: Article) -> str:
    """What FTS5 and tantivy index as the body: the standfirst (for Reuters, the
    dateline) and the text, since the engine searches both."""
    return f"{a.standfirst}\n\n{a.text}" if a.standfirst else a.text


# ------------------------------------------------------------------------- builds


def build_ours(corpus: str, location: Path) -> int:
    path, fmt = CORPORA[corpus]
    return build([path], location, fmt, procs=2).indexed


FTS5_SCHEMA = """
CREATE TABLE docs(
    rowid INTEGER PRIMARY KEY, id TEXT, published TEXT, ym TEXT, title TEXT, body TEXT
);
CREATE VIRTUAL TABLE fts USING fts5(
    title, body, content='docs', content_rowid='rowid', tokenize='porter unicode61'
);
"""


def build_fts5(corpus: str, location: Path) -> int:
    # published/ym come before the long text in the row, so the facet queries read
    # them without walking the body's overflow pages.
    con = sqlite3.connect(location)
    con.executescript(FTS5_SCHEMA)
    rows = (
        (a.id, a.published.isoformat(), a.published.isoformat()[:7], a.title, body_text(a))
        for a in corpus_articles(corpus)
    )
    with con:
        con.executemany("INSERT INTO docs(id, published, ym, title, body) VALUES (?,?,?,?,?)", rows)
        con.execute("INSERT INTO fts(rowid, title, body) SELECT rowid, title, body FROM docs")
    con.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    con.commit()
    n: int = con.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
    con.close()
    return n


def tantivy_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("body", stored=True, tokenizer_name="en_stem")
    sb.add_integer_field("day", indexed=True, fast=True)  # date.toordinal()
    sb.add_integer_field("ym", fast=True)  # year*100+month
    return sb.build()


def build_tantivy(corpus: str, location: Path) -> int:
    location.mkdir(parents=True)
    index = tantivy.Index(tantivy_schema(), path=str(location))
    writer = index.writer(heap_size=TANTIVY_HEAP)
    n = 0
    for a in corpus_articles(corpus):
        writer.add_document(
            tantivy.Document(
                id=a.id,
                title=a.title,
                body=body_text(a),
                day=a.published.toordinal(),
                ym=ym_of(a.published),
            )
        )
        n += 1
    writer.commit()
    writer.wait_merging_threads()
    return n


BUILDERS: dict[str, Callable[[str, Path], int]] = {
    "ours": build_ours,
    "fts5": build_fts5,
    "tantivy": build_tantivy,
}


# ---------------------------------------------------------------------- page jobs


@dataclass
class Page:
    """What a results page needs: the total, the top hits with snippets, the facets."""

    total: int
    ids: list[str]
    snippets: list[str]
    years: dict[str, int] = field(default_factory=dict)
    months: dict[str, int] = field(default_factory=dict)


PageJob = Callable[[Query], Page]


def open_ours(location: Path) -> PageJob:
    store = IndexStore(location)
    store.snapshot()  # open the index (and read its columns) now, not in the first query

    def page(q: Query) -> Page:
        p = search(q.text, date_from=q.date_from, date_to=q.date_to, index=store, per_page=TOP_K)
        return Page(
            p.total,
            [h.id for h in p.hits],
            [str(h.snippet) for h in p.hits],
            {f.value: f.count for f in p.facets["year"]},
            {f.value: f.count for f in p.facets["month"]},
        )

    return page


_FTS5_FROM = "FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ?"
_FTS5_DATES = " AND d.published BETWEEN ? AND ?"
_FTS5_TOP = (
    "SELECT d.id, d.title, bm25(fts, {boost}, 1.0) AS score,"
    " snippet(fts, 1, '<mark>', '</mark>', '…', 24) {frm}{dates} ORDER BY score LIMIT {k}"
)
_FTS5_YEARS = "SELECT substr(d.published, 1, 4), COUNT(*) {frm}{dates} GROUP BY 1"
_FTS5_MONTHS = "SELECT d.ym, COUNT(*) {frm}{dates} GROUP BY d.ym"


def open_fts5(location: Path) -> PageJob:
    con = sqlite3.connect(f"file:{location}?mode=ro", uri=True)
    sql = {
        dated: tuple(
            s.format(boost=TITLE_BOOST, frm=_FTS5_FROM, dates=_FTS5_DATES if dated else "", k=TOP_K)
            for s in (_FTS5_TOP, _FTS5_YEARS, _FTS5_MONTHS)
        )
        for dated in (False, True)
    }

    def page(q: Query) -> Page:
        top, years, months = sql[q.dated]
        args: tuple[str, ...] = (q.text,)
        if q.date_from and q.date_to:
            args += (q.date_from.isoformat(), q.date_to.isoformat())
        hits = con.execute(top, args).fetchall()
        by_year = dict(con.execute(years, args).fetchall())
        by_month = dict(con.execute(months, args).fetchall())
        return Page(
            sum(by_year.values()), [h[0] for h in hits], [h[3] for h in hits], by_year, by_month
        )

    return page


def open_tantivy(location: Path) -> PageJob:
    index = tantivy.Index.open(str(location))
    schema = index.schema
    searcher = index.searcher()
    month_agg = {"ym": {"terms": {"field": "ym", "size": 10_000}}}

    def page(q: Query) -> Page:
        query = index.parse_query(
            q.text,
            ["title", "body"],
            field_boosts={"title": TITLE_BOOST},
            conjunction_by_default=True,
        )
        if q.date_from and q.date_to:
            days = tantivy.Query.range_query(
                schema,
                "day",
                tantivy.FieldType.Integer,
                q.date_from.toordinal(),
                q.date_to.toordinal(),
            )
            query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query), (tantivy.Occur.Must, days)]
            )
        result = searcher.search(query, TOP_K)
        snippets = tantivy.SnippetGenerator.create(searcher, query, schema, "body")
        docs = [searcher.doc(addr) for _, addr in result.hits]
        buckets = searcher.aggregate(query, month_agg)["ym"]["buckets"]
        months = {f"{b['key'] // 100}-{b['key'] % 100:02d}": b["doc_count"] for b in buckets}
        years: Counter[str] = Counter()
        for ym, n in months.items():
            years[ym[:4]] += n
        return Page(
            result.count,
            [d["id"][0] for d in docs],
            [snippets.snippet_from_doc(d).to_html() for d in docs],
            dict(years),
            months,
        )

    return page


OPENERS: dict[str, Callable[[Path], PageJob]] = {
    "ours": open_ours,
    "fts5": open_fts5,
    "tantivy": open_tantivy,
}


# ----------------------------------------------------------------- child processes


def child_build(system: str, corpus: str) -> dict[str, Any]:
    location = index_path(system, corpus)
    if location.is_dir():
        shutil.rmtree(location)
    elif location.exists():
        location.unlink()
    started = time.perf_counter()
    indexed = BUILDERS[system](corpus, location)
    seconds = time.perf_counter() - started
    return {"indexed": indexed, "seconds": seconds, "bytes": disk_bytes(location)}


def _run_pass(job: PageJob, queries: list[Query]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for q in queries:
        started = time.perf_counter()
        try:
            p = job(q)
        except Exception as e:  # a system rejecting a query is a result, not a crash
            out.append({"ms": None, "error": f"{type(e).__name__}: {str(e)[:200]}"})
            continue
        ms = (time.perf_counter() - started) * 1000
        out.append({"ms": ms, "total": p.total, "ids": p.ids, "hits": len(p.snippets)})
    return out


def child_query(system: str, corpus: str, profile_to: Path | None) -> dict[str, Any]:
    queries = load(QUERIES)
    started = time.perf_counter()
    job = OPENERS[system](index_path(system, corpus))
    open_s = time.perf_counter() - started
    first = _run_pass(job, queries)
    second = _run_pass(job, queries)
    if profile_to is not None:
        prof = cProfile.Profile()
        prof.runcall(_run_pass, job, queries)
        text = io.StringIO()
        stats = pstats.Stats(prof, stream=text).sort_stats("cumulative")
        stats.print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        profile_to.write_text(text.getvalue(), encoding="utf-8")
    return {
        "open_s": open_s,
        "first_ms": [r["ms"] for r in first],
        "runs": second,
    }


def disk_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _, files in os.walk(path):  # symbolic links are not followed
        total += sum((Path(root) / f).lstat().st_size for f in files)
    return total


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _tree_pss_kb(pid: int) -> int:
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except (OSError, ValueError):
            continue
    return total


def own_peak_rss_mb() -> float:
    """This process's resident high-water mark, or a waited-for child's if larger.

    Read by the child itself: VmHWM starts afresh at exec, whereas the ru_maxrss a
    parent gets from wait4 also counts the parent's own pages at the time of the fork.
    """
    hwm_kb = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            hwm_kb = int(line.split()[1])
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(hwm_kb, children_kb) / 1024


@dataclass
class ChildResult:
    data: dict[str, Any]
    #: The largest resident set of the child or of any of its own children.
    peak_rss_mb: float
    #: Largest sampled sum of PSS over the child's process tree (0 when not sampled).
    peak_tree_mb: float


def run_child(args: list[str], sample: bool) -> ChildResult:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = Path(f.name)
    cmd = [sys.executable, str(Path(__file__).resolve()), *args, "--child-out", str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT)
    peak_tree_kb = 0
    if sample:
        while proc.poll() is None:
            peak_tree_kb = max(peak_tree_kb, _tree_pss_kb(proc.pid))
            time.sleep(SAMPLE_EVERY)
    try:
        if proc.wait() != 0:
            raise SystemExit(f"child failed ({proc.returncode}): {' '.join(args)}")
        data = json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)
    return ChildResult(data, data.pop("peak_rss_mb"), peak_tree_kb / 1024)


# ----------------------------------------------------------------------- measuring


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def measure_build(system: str, corpus: str, skip: bool) -> dict[str, Any]:
    sidecar = DATA / f"{system}-{corpus}.build.json"
    if skip and sidecar.exists() and index_path(system, corpus).exists():
        result: dict[str, Any] = json.loads(sidecar.read_text(encoding="utf-8"))
        log(f"{corpus}/{system}: reusing the index built at {result['built_at']}")
        result["reused"] = True
        return result
    log(f"{corpus}/{system}: building")
    child = run_child(["--child", "build", "--system", system, "--corpus", corpus], sample=True)
    d = child.data
    result = {
        "indexed": d["indexed"],
        "seconds": d["seconds"],
        "articles_per_second": d["indexed"] / d["seconds"],
        "index_bytes": d["bytes"],
        "peak_rss_mb": child.peak_rss_mb,
        "peak_tree_pss_mb": child.peak_tree_mb,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "engine": d["engine"],
    }
    sidecar.write_text(json.dumps(result, indent=2), encoding="utf-8")
    log(f"{corpus}/{system}: {d['indexed']:,} articles in {d['seconds']:.1f} s")
    result["reused"] = False
    return result


def percentiles(ms: list[float]) -> dict[str, float]:
    if len(ms) < 2:
        only = ms[0] if ms else 0.0
        return {"n": len(ms), "p50": only, "p95": only, "p99": only, "max": only}
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {"n": len(ms), "p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(ms)}


def group_of(q: Query) -> str:
    return f"{q.kind}/{'dates' if q.dated else 'no dates'}"


def measure_queries(
    system: str, corpus: str, queries: list[Query], profile_to: Path | None
) -> dict[str, Any]:
    log(f"{corpus}/{system}: {len(queries)} queries x 2 passes")
    args = ["--child", "query", "--system", system, "--corpus", corpus]
    if profile_to is not None:
        args += ["--profile-to", str(profile_to)]
    child = run_child(args, sample=False)
    runs: list[dict[str, Any]] = child.data["runs"]
    timed = [r["ms"] for r in runs if r["ms"] is not None]
    first = [ms for ms in child.data["first_ms"] if ms is not None]
    groups: dict[str, list[float]] = {}
    for q, r in zip(queries, runs, strict=True):
        if r["ms"] is not None:
            groups.setdefault(group_of(q), []).append(r["ms"])
            groups.setdefault(q.kind, []).append(r["ms"])
            groups.setdefault("dates" if q.dated else "no dates", []).append(r["ms"])
    failures = [
        {"query": q.line(), "error": r["error"]}
        for q, r in zip(queries, runs, strict=True)
        if r["ms"] is None
    ]
    stats = percentiles(timed)
    log(f"{corpus}/{system}: p50 {stats['p50']:.2f} ms, p99 {stats['p99']:.2f} ms")
    return {
        "engine": child.data["engine"],
        "open_s": child.data["open_s"],
        "rss_mb": child.peak_rss_mb,
        "latency_ms": stats,
        "first_pass_ms": percentiles(first),
        "by_group": {g: percentiles(v) for g, v in sorted(groups.items())},
        "failures": failures,
        "runs": runs,
    }


def agreement(
    queries: list[Query], systems: dict[str, dict[str, Any]], a: str, b: str
) -> dict[str, Any]:
    """How often two systems report the same total, and how far their top 10s overlap."""
    equal = close = both = 0
    overlap: list[float] = []
    worst: list[tuple[float, str, int, int]] = []
    runs = zip(queries, systems[a]["query"]["runs"], systems[b]["query"]["runs"], strict=True)
    for q, ra, rb in runs:
        if ra["ms"] is None or rb["ms"] is None:
            continue
        both += 1
        ta, tb = ra["total"], rb["total"]
        equal += ta == tb
        close += abs(ta - tb) <= 0.1 * max(ta, tb)
        if ra["ids"] or rb["ids"]:
            overlap.append(len(set(ra["ids"]) & set(rb["ids"])) / max(len(ra["ids"]), 1))
        worst.append((abs(ta - tb) / max(ta, tb, 1), q.line(), ta, tb))
    worst.sort(reverse=True)
    return {
        "pair": f"{a}/{b}",
        "compared": both,
        "equal_totals": equal,
        "within_10_percent": close,
        "mean_top10_overlap": statistics.fmean(overlap) if overlap else 0.0,
        "largest_differences": [
            {"query": line, a: ta, b: tb} for _, line, ta, tb in worst[:8] if ta != tb
        ],
    }


# ------------------------------------------------------------------------ report


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(head: list[str], rows: list[list[str]]) -> str:
    aligns = ["---"] + ["---:"] * (len(head) - 1)
    return "\n".join([_row(head), _row(aligns), *(_row(r) for r in rows)])


def markdown(results: dict[str, Any]) -> str:
    corpora: dict[str, Any] = results["corpora"]
    main_rows = []
    for corpus, c in corpora.items():
        for system, s in c["systems"].items():
            b, q = s["build"], s["query"]
            lat = q["latency_ms"]
            main_rows.append(
                [
                    corpus,
                    system,
                    f"{b['seconds']:.1f}",
                    f"{b['articles_per_second']:,.0f}",
                    f"{b['index_bytes'] / 2**20:.1f}",
                    f"{b['peak_rss_mb']:.0f}",
                    f"{b['peak_tree_pss_mb']:.0f}",
                    f"{q['open_s']:.2f}",
                    f"{q['rss_mb']:.0f}",
                    f"{lat['p50']:.2f}",
                    f"{lat['p95']:.2f}",
                    f"{lat['p99']:.2f}",
                    str(len(q["failures"])),
                ]
            )
    out = [
        _table(
            [
                "corpus",
                "system",
                "build s",
                "articles/s",
                "index MB",
                "build peak RSS MB",
                "build tree PSS MB",
                "open s",
                "query RSS MB",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "failed",
            ],
            main_rows,
        )
    ]
    ratio_rows = [
        [corpus]
        + [
            f"{r[k]:.2f}" if k in r else "—"
            for k in ("p50 ours/fts5", "p99 ours/fts5", "p50 ours/tantivy", "p99 ours/tantivy")
        ]
        for corpus, c in corpora.items()
        for r in [c["ratios"]]
    ]
    out += [
        "",
        "Latency ratios (same run; above 1 means ours is slower):",
        "",
        _table(
            ["corpus", "p50 ours/FTS5", "p99 ours/FTS5", "p50 ours/tantivy", "p99 ours/tantivy"],
            ratio_rows,
        ),
    ]
    names = list(corpora)
    breakdown = []
    for kind in KINDS:
        for dated in ("no dates", "dates"):
            row = [kind, dated]
            for corpus in names:
                ours = corpora[corpus]["systems"].get("ours")
                g = ours["query"]["by_group"].get(f"{kind}/{dated}") if ours else None
                row += [f"{g['p50']:.2f}", f"{g['p99']:.2f}"] if g else ["—", "—"]
            breakdown.append(row)
    if any("ours" in corpora[c]["systems"] for c in names):
        out += [
            "",
            "Ours by query kind (ms):",
            "",
            _table(
                ["kind", "dates"] + [f"{c} {p}" for c in names for p in ("p50", "p99")],
                breakdown,
            ),
        ]
    first_rows = [
        [corpus, system]
        + [
            f"{s['query'][key][p]:.2f}"
            for key in ("first_pass_ms", "latency_ms")
            for p in ("p50", "p99")
        ]
        for corpus, c in corpora.items()
        for system, s in c["systems"].items()
    ]
    out += [
        "",
        "First pass (index just opened) against the timed second pass (ms):",
        "",
        _table(["corpus", "system", "1st p50", "1st p99", "2nd p50", "2nd p99"], first_rows),
    ]
    lines = []
    for corpus, c in corpora.items():
        for ag in c["agreement"]:
            lines.append(
                f"- {corpus}, {ag['pair']}: equal totals for {ag['equal_totals']}/"
                f"{ag['compared']} queries, within 10% for {ag['within_10_percent']}; "
                f"top-10 overlap {ag['mean_top10_overlap']:.0%} on average"
            )
    if lines:
        out += ["", "Agreement of totals:", "", *lines]
    versions = [
        f"{corpus} {step}: {engine_label(c['systems']['ours'][step]['engine'])}"
        for corpus, c in corpora.items()
        if "ours" in c["systems"]
        for step in ("build", "query")
    ]
    if versions:
        out += ["", "Engine measured (ours): " + "; ".join(versions) + "."]
    base = results.get("baseline_rss_mb")
    if base:
        out += ["", f"A child process that only imports everything peaks at {base:.0f} MB RSS."]
    return "\n".join(out)


# -------------------------------------------------------------------------- main


def tool_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "tantivy": metadata.version("tantivy"),
        "whoosh": metadata.version("whoosh-reloaded"),
        "cpus": str(os.cpu_count()),
        "machine": platform.platform(),
    }


def run_corpus(
    corpus: str, systems: list[str], queries: list[Query], skip_build: bool, profile: Path | None
) -> dict[str, Any]:
    """Build (or reuse) every system's index of a corpus, then time its query sessions."""
    per_system: dict[str, dict[str, Any]] = {}
    for system in systems:
        per_system[system] = {"build": measure_build(system, corpus, skip_build)}
    for system in systems:
        profile_to = None
        if profile is not None and system == "ours":
            profile_to = profile.with_name(f"{profile.name}.ours-{corpus}.profile.txt")
        per_system[system]["query"] = measure_queries(system, corpus, queries, profile_to)
    ratios: dict[str, float] = {}
    pairs = [(a, b) for a, b in COMPARED if a in per_system and b in per_system]
    for a, b in pairs:
        if a == "ours":
            la, lb = per_system[a]["query"]["latency_ms"], per_system[b]["query"]["latency_ms"]
            for p in ("p50", "p99"):
                ratios[f"{p} {a}/{b}"] = la[p] / lb[p] if lb[p] else float("nan")
    return {
        "systems": per_system,
        "ratios": ratios,
        "agreement": [agreement(queries, per_system, a, b) for a, b in pairs],
    }


def engine_label(engine: dict[str, Any]) -> str:
    dirty = "+uncommitted" if engine["uncommitted"] else ""
    return f"{engine['commit']}{dirty} (search/ digest {engine['search_sha1']})"


def engine_state() -> dict[str, Any]:
    """Which engine was measured: the repository's commit and uncommitted files under
    search/, and a digest of the ``search`` package actually imported."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    package = Path(engine_package.__file__).parent  # what is imported, wherever it comes from
    digest = hashlib.sha1()
    for f in sorted(package.glob("*.py")):
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    return {
        "package": str(package),
        "commit": git("rev-parse", "--short", "HEAD").strip(),
        "uncommitted": [
            line.split(maxsplit=1)[1]
            for line in git("status", "--porcelain", "--", "search").splitlines()
        ],
        "search_sha1": digest.hexdigest()[:12],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--corpus",
        default="both",
        help="comma-separated: reuters, x5, x25, x50; 'both' is reuters,x5",
    )
    ap.add_argument(
        "--systems", default=",".join(SYSTEMS), help="comma-separated: " + ",".join(SYSTEMS)
    )
    ap.add_argument("--skip-build", action="store_true", help="reuse the indexes in bench/data/")
    ap.add_argument("--out", type=Path, help="results JSON (default bench/results/run-<time>.json)")
    ap.add_argument("--profile", action="store_true", help="cProfile a third pass of ours")
    ap.add_argument("--child", choices=("build", "query", "noop"), help=argparse.SUPPRESS)
    ap.add_argument("--system", choices=SYSTEMS, help=argparse.SUPPRESS)
    ap.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        # search/ is imported by now: this is the version the child runs.
        data: dict[str, Any] = {"engine": engine_state()}
        if args.child == "build":
            data |= child_build(args.system, args.corpus)
        elif args.child == "query":
            data |= child_query(args.system, args.corpus, args.profile_to)
        data["peak_rss_mb"] = own_peak_rss_mb()
        args.child_out.write_text(json.dumps(data), encoding="utf-8")
        return

    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        ap.error(f"unknown systems: {', '.join(sorted(unknown))}")
    corpora = (
        ["reuters", "x5"]
        if args.corpus == "both"
        else [c.strip() for c in args.corpus.split(",") if c.strip()]
    )
    for corpus in corpora:
        if corpus not in CORPORA:
            ap.error(f"unknown corpus {corpus!r}: one of {', '.join(CORPORA)}")
        path = CORPORA[corpus][0]
        if corpus != "reuters" and not path.exists():
            copies = corpus[1:]
            ap.error(
                f"{path.relative_to(ROOT)} is missing: run bench/make_corpus.py"
                f" --copies {copies} --out {path.relative_to(ROOT)} first"
            )
    stamp = datetime.now()
    out_path: Path = args.out or RESULTS / f"run-{stamp:%Y%m%d-%H%M%S}.json"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    DATA.mkdir(parents=True, exist_ok=True)

    queries = ensure(QUERIES, corpus_articles("reuters"))
    results: dict[str, Any] = {
        "started": stamp.astimezone().isoformat(timespec="seconds"),
        "versions": tool_versions(),
        "engine": engine_state(),
        "queries": {"file": "bench/queries.txt", "lines": [q.line() for q in queries]},
        # What every child pays before doing anything: Python and all three libraries.
        "baseline_rss_mb": run_child(["--child", "noop"], sample=False).peak_rss_mb,
        "corpora": {},
    }
    for corpus in corpora:
        profile_stem = out_path.with_suffix("") if args.profile else None
        results["corpora"][corpus] = run_corpus(
            corpus, systems, queries, args.skip_build, profile_stem
        )
    results["finished"] = datetime.now().astimezone().isoformat(timespec="seconds")
    engine = results["engine"]
    now = engine_state()
    if now["search_sha1"] != engine["search_sha1"]:
        results["engine_changed_during_run"] = now
        log("WARNING: search/ changed during the run; see the engine line under the tables")
    out_path.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(
        f"Run of {results['started']}, engine {engine_label(engine)} at the start;"
        f" {len(queries)} queries; results in {out_path}\n"
    )
    print(markdown(results))


if __name__ == "__main__":
    main()
