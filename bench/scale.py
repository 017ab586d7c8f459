"""Serving a big index: a fresh process's first answer, the memory of gunicorn's workers,
and the cost of a switch to a new build (run by hand, loopback only).

    .venv/bin/python bench/scale.py --index bench/data/ours-x25 [--workers 2] [--opens 5]

1. **open**: ``--opens`` fresh Python processes, each timing ``IndexStore(index)`` and
   one search (the query set's first query): open → first answer, median and max.
2. **serve**: ``news-search serve --index I --workers W`` (the real command: gunicorn,
   its startup check, the guarded worker), then the query set (bench/queries.txt,
   560 queries) twice through ``/api/search``, one request at a time; then every
   process's RSS, PSS and USS (private clean + dirty) from ``/proc/<pid>/smaps_rollup``,
   and the sum of PSS over the workers (and with the master).
3. **switch**: a new generation made of hard links to the live one's files (what a
   build leaves, without building again) is switched in with ``search.layout``'s own
   ``switch_to``; the next requests make each worker open it. The latencies of the 20
   requests after the switch against the 20 before: each worker's first request
   after a switch pays its reopen, so the two largest are the switch's cost.

Prints one Markdown table and writes the figures as JSON (``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from queries import load

from search.layout import GEN_PREFIX, current_generation, generation_number, switch_to

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

OPEN_CHILD = """
import sys, time
started = time.perf_counter()
from search.backends.whoosh.store import IndexStore
from search.querying import search
imported = time.perf_counter()
store = IndexStore(sys.argv[1])
opened = time.perf_counter()
search(sys.argv[2], index=store)
answered = time.perf_counter()
print(imported - started, opened - imported, answered - opened)
"""


def fresh_opens(index: Path, query: str, n: int) -> list[dict[str, float]]:
    out = []
    for _ in range(n):
        done = subprocess.run(
            [sys.executable, "-c", OPEN_CHILD, str(index), query],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        imp, opened, first = (float(x) for x in done.stdout.split())
        out.append({"import_s": imp, "open_s": opened, "first_s": first, "total": opened + first})
    return out


def memory(pid: int) -> dict[str, float]:
    """RSS, PSS and USS of one process in MB (smaps_rollup)."""
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1].isdigit():
                fields[parts[0].rstrip(":")] = int(parts[1])
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return {
        "rss_mb": fields.get("Rss", 0) / 1024,
        "pss_mb": fields.get("Pss", 0) / 1024,
        "uss_mb": uss / 1024,
    }


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def get(url: str) -> tuple[float, int]:
    """(milliseconds, status) of one request; a 4xx (a query refused as too costly) is
    an answer too."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        e.read()
        status = e.code
    return (time.perf_counter() - started) * 1000, status


def search_url(base: str, q: Any) -> str:
    params = {"q": q.text}
    if q.date_from:
        params["from"] = q.date_from.isoformat()
    if q.date_to:
        params["to"] = q.date_to.isoformat()
    return f"{base}/api/search?{urllib.parse.urlencode(params)}"


def wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 300) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited with {proc.returncode}")
        try:
            get(f"{base}/api/health")
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.1)
    raise SystemExit("serve did not answer in time")


def hardlinked_generation(index: Path) -> Path:
    """A new generation of the index made of hard links to the live one's files."""
    live = current_generation(index)
    number = 1 + max(generation_number(p) for p in index.glob(GEN_PREFIX + "*"))
    new = index / f"{GEN_PREFIX}{number:06d}"
    shutil.copytree(live, new, copy_function=os.link)
    return new


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--opens", type=int, default=5)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    index = args.index.resolve()
    queries = load(HERE / "queries.txt")

    opens = fresh_opens(index, queries[0].text, args.opens)
    print(f"open: {[round(o['total'], 3) for o in opens]}", file=sys.stderr)

    base = f"http://127.0.0.1:{args.port}"
    serve = subprocess.Popen(
        [str(ROOT / ".venv/bin/news-search"), "serve", "--index", str(index),
         "--port", str(args.port), "--workers", str(args.workers)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    made: Path | None = None
    try:
        startup_s = wait_healthy(base, serve)
        passes, statuses = [], []
        for _ in range(2):
            answers = [get(search_url(base, q)) for q in queries]
            passes.append([ms for ms, _ in answers])
            statuses.append([status for _, status in answers])
        master = memory(serve.pid)
        workers = [memory(p) for p in children(serve.pid)]
        before = [get(search_url(base, q))[0] for q in queries[:20]]
        made = hardlinked_generation(index)
        previous = current_generation(index)
        switch_to(index, made)
        after = [get(search_url(base, q))[0] for q in queries[:20]]
        workers_after = [memory(p) for p in children(serve.pid)]
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
        if made is not None:
            switch_to(index, previous)
            shutil.rmtree(made)

    second = sorted(passes[1])
    result: dict[str, Any] = {
        "index": str(args.index),
        "open_total_s": [o["total"] for o in opens],
        "opens": opens,
        "startup_s": startup_s,
        "p50_ms": statistics.median(second),
        "p99_ms": second[int(0.99 * (len(second) - 1))],
        "first_pass_p50_ms": statistics.median(passes[0]),
        "refused": sum(1 for status in statuses[1] if status != 200),
        "master": master,
        "workers": workers,
        "workers_after_switch": workers_after,
        "pss_workers_mb": sum(w["pss_mb"] for w in workers),
        "pss_all_mb": master["pss_mb"] + sum(w["pss_mb"] for w in workers),
        "switch_before_ms": before,
        "switch_after_ms": after,
    }
    if args.out:
        args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    slowest = sorted(after, reverse=True)[:2]
    opened: list[float] = result["open_total_s"]
    uss = ", ".join(f"{w['uss_mb']:.0f}" for w in workers)
    rss = ", ".join(f"{w['rss_mb']:.0f}" for w in workers)
    cost = ", ".join(f"{x:.0f}" for x in slowest)
    print(
        "| index | open → first answer (median, max) | p50 / p99 HTTP ms"
        " | PSS workers (+master) MB | USS per worker MB | RSS per worker MB"
        " | switch: 2 slowest after / median before ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.index} | {statistics.median(opened):.2f} s, {max(opened):.2f} s"
        f" | {result['p50_ms']:.1f} / {result['p99_ms']:.1f}"
        f" | {result['pss_workers_mb']:.0f} ({result['pss_all_mb']:.0f})"
        f" | {uss} | {rss} | {cost} / {statistics.median(before):.1f} |"
    )


if __name__ == "__main__":
    main()
