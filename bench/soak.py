"""Soak: a steady query load for a long time, watching errors, latency and worker memory.

Starts ``news-search serve --workers 2`` on a free loopback port over an existing index
and replays the fixed query set from N concurrent clients (the client of
``bench/load.py``) for ``--seconds``, one window per ``--interval``. Per window it
reports requests, p50/p99 and errors, and the RSS of each gunicorn worker at the
window's end. A leak shows as RSS growing window after window: the verdict compares each
worker's RSS at the end with its RSS after the first window (target: within 10%).

    .venv/bin/python bench/soak.py --index bench/data/ours-x5 --seconds 600
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from load import CLI, HERE, ROOT, free_port, health, load_queries, run_phase


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--queries", type=Path, default=HERE / "queries.txt")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--interval", type=float, default=60)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "soak.json")
    args = ap.parse_args()
    queries = load_queries(args.queries)
    port = free_port()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    log = open(HERE / "results" / "soak-server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [*CLI, "serve", "--index", str(args.index), "--port", str(port),
         "--workers", str(args.workers)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    windows: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + 120
        while health(port) is None:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start; see bench/results/soak-server.log")
            time.sleep(0.2)
        run_phase("warm-up", port, "/api/search", queries, args.clients, 10, server.pid)
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < args.seconds - 1:
            n += 1
            left = args.seconds - (time.monotonic() - started)
            phase = run_phase(f"window {n}", port, "/api/search", queries, args.clients,
                              min(args.interval, left), server.pid)  # fmt: skip
            s = phase.summary()
            s["at_s"] = round(time.monotonic() - started)
            windows.append(s)
            rss = ", ".join(f"{v:.0f}" for v in s["worker_rss_mb"].values())
            print(f"{s['at_s']:>5} s  {s['requests']:>6} req  p50 {s['p50_ms']:>6} ms  "
                  f"p99 {s['p99_ms']:>6} ms  errors {s['errors']}  RSS MB {rss}",
                  flush=True)  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    first, last = windows[0]["worker_rss_mb"], windows[-1]["worker_rss_mb"]
    drift = {
        pid: round(100 * (last[pid] - first[pid]) / first[pid], 1) for pid in first if pid in last
    }
    total = sum(w["requests"] for w in windows)
    errors = sum(w["errors"] for w in windows)
    verdict = {
        "requests": total,
        "errors": errors,
        "rss_after_first_window_mb": first,
        "rss_at_end_mb": last,
        "rss_drift_percent": drift,
        "within_10_percent": bool(drift) and all(abs(d) <= 10 for d in drift.values()),
        "workers_restarted": set(first) != set(last),
    }
    result = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "index": str(args.index),
              "clients": args.clients, "workers": args.workers, "seconds": args.seconds,
              "windows": windows, "verdict": verdict}  # fmt: skip
    args.out.write_text(json.dumps(result, indent=2))
    print("| at s | requests | p50 ms | p99 ms | errors | worker RSS MB |")
    print("|---:|---:|---:|---:|---:|---|")
    for w in windows:
        rss = ", ".join(f"{v:.0f}" for v in w["worker_rss_mb"].values())
        print(f"| {w['at_s']} | {w['requests']} | {w['p50_ms']} | {w['p99_ms']} | "
              f"{w['errors']} | {rss} |")  # fmt: skip
    print(json.dumps(verdict))
    sys.exit(0 if errors == 0 and verdict["within_10_percent"] else 1)


if __name__ == "__main__":
    main()
