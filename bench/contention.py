"""A cheap query's latency while expensive ones run at once (run by hand; issue 11 §1).

    .venv/bin/python bench/contention.py [--index bench/data/ours-x5] [--seconds 30]

Serves the index with ``news-search serve --workers 2`` on loopback, then for 0, 2 and
4 attackers: each attacker sends, back to back, the dearest queries the budget accepts
(phrases of common words and long "any" queries of common words, different each time
so that the caches do not absorb them), while one probe asks a cheap query in a loop.
Prints the probe's p50/p99 and the attackers' status counts, as Markdown.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.query_budget import common_words  # noqa: E402
from search.backends.whoosh.store import IndexStore  # noqa: E402
from tests.live import Server  # noqa: E402


def attacker(url: str, words: list[str], stop: threading.Event, seen: Counter[str]) -> None:
    rng = random.Random(threading.get_ident())
    while not stop.is_set():
        if rng.random() < 0.5:
            text = '"' + " ".join(rng.sample(words[:40], 8)) + '"'
            match = "all"
        else:
            text = " ".join(rng.sample(words, 28))
            match = "any"
        try:
            r = requests.get(url + "/api/search", params={"q": text, "match": match}, timeout=60)
            seen[str(r.status_code)] += 1
        except requests.RequestException as e:
            seen[type(e).__name__] += 1


def probe(url: str, seconds: float) -> list[float]:
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        r = requests.get(url + "/api/search", params={"q": "cocoa"}, timeout=60)
        r.raise_for_status()
        out.append(time.monotonic() - started)
        time.sleep(0.05)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--index", type=Path, default=ROOT / "bench" / "data" / "ours-x5")
    ap.add_argument("--seconds", type=float, default=30)
    args = ap.parse_args()
    store = IndexStore(args.index)
    words = common_words(store, 120)
    store.close()
    server = Server(args.index, Path("/tmp/contention-server.log"))
    try:
        probe(server.url, 3)  # warm both workers
        print("| attackers | probes | p50 (ms) | p99 (ms) | max (ms) | attackers got |")
        print("|---:|---:|---:|---:|---:|---|")
        for n in (0, 2, 4):
            stop = threading.Event()
            seen: Counter[str] = Counter()
            threads = [
                threading.Thread(target=attacker, args=(server.url, words, stop, seen))
                for _ in range(n)
            ]
            for t in threads:
                t.start()
            lat = probe(server.url, args.seconds)
            stop.set()
            for t in threads:
                t.join()
            q = statistics.quantiles(lat, n=100, method="inclusive")
            print(
                f"| {n} | {len(lat)} | {statistics.median(lat) * 1000:.0f} | {q[98] * 1000:.0f} "
                f"| {max(lat) * 1000:.0f} | {dict(seen)} |",
                flush=True,
            )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
