"""Memory of a served index under random-word queries (issue 11 §3), run by hand.

Starts ``news-search serve --workers 1`` on a loopback port over an existing index,
sends N requests of random letter strings (words no index holds, so every one of them
is a cache miss that used to stay cached at size 0), and prints the worker's resident
memory (RSS, MB) before and after, and after every ``--every`` requests.

    .venv/bin/python bench/cache_memory.py --index bench/data/ours-reuters -n 1200
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import string
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    """Resident set size of a process, MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def random_query(rng: random.Random, words: int) -> str:
    return " ".join(
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(6, 12))) for _ in range(words)
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("-n", type=int, default=1200, help="requests (default 1200)")
    ap.add_argument("--words", type=int, default=8, help="random words per query (default 8)")
    ap.add_argument("--every", type=int, default=200)
    ap.add_argument("--path", default="/api/search", help="what to request (default /api/search)")
    args = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "search.cli", "serve", "--index", args.index,
         "--port", str(port), "--workers", "1"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/api/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        (worker,) = worker_pids(proc.pid)
        rng = random.Random(11)
        session = requests.Session()
        # Warm up with real words (loads the lexicon and the columns) before the baseline.
        for q in ("oil", "coffee prices", "oill", "opec~"):
            session.get(url + args.path, params={"q": q}, timeout=60)
        print(f"baseline (after warm-up): {rss_mb(worker):.0f} MB")
        for i in range(1, args.n + 1):
            q = random_query(rng, args.words)
            r = session.get(url + args.path, params={"q": q}, timeout=60)
            r.raise_for_status()
            if i % args.every == 0:
                print(f"after {i:,} random-word requests: {rss_mb(worker):.0f} MB", flush=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
