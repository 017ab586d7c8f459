"""Load on the served app (run by hand, loopback only, stops by itself).

Starts ``news-search serve --workers 2`` on a free loopback port over an existing
index, then replays the fixed query set (``bench/queries.txt``) from N concurrent
clients for a fixed time, first through ``/api/search``, then through ``/``; with
``--rebuild PATH`` a third phase runs the same API load while ``news-search index
build PATH`` rebuilds the index and switches it in. Reports requests/s, p50/p95/p99,
errors, and the RSS of each gunicorn worker.

    .venv/bin/python bench/load.py --index bench/data/ours-x5 \\
        --rebuild bench/data/reuters-x5.jsonl
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CLI = [sys.executable, "-m", "search.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_queries(path: Path) -> list[dict[str, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        _kind, q, a, b = [*line.split("\t"), "", "", ""][:4]
        params = {"q": q}
        if a:
            params["from"] = a
        if b:
            params["to"] = b
        out.append(params)
    return out


@dataclass
class Sample:
    at: float
    ms: float
    status: int


@dataclass
class Phase:
    name: str
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rss_mb: dict[int, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        ms = sorted(s.ms for s in self.samples)
        bad = [s for s in self.samples if s.status != 200]
        q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) >= 2 else [0.0] * 99
        return {
            "phase": self.name,
            "requests": len(ms),
            "rps": round(len(ms) / self.seconds, 1) if self.seconds else 0,
            "p50_ms": round(q[49], 1),
            "p95_ms": round(q[94], 1),
            "p99_ms": round(q[98], 1),
            "max_ms": round(ms[-1], 1) if ms else 0,
            "errors": len(bad) + len(self.errors),
            "error_examples": (self.errors + [f"HTTP {s.status}" for s in bad])[:5],
            "worker_rss_mb": self.rss_mb,
        }


def _client(port: int, path: str, queries: list[dict[str, str]], stop: threading.Event,
            phase: Phase, seed: int) -> None:  # fmt: skip
    rnd = random.Random(seed)
    while not stop.is_set():
        params = rnd.choice(queries)
        url = path + "?" + urllib.parse.urlencode(params)
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", url)
            resp = conn.getresponse()
            resp.read()
            status = resp.status
            conn.close()
        except OSError as e:
            phase.errors.append(f"{type(e).__name__}: {e}")  # list.append is atomic
            continue
        ms = (time.perf_counter() - started) * 1000
        phase.samples.append(Sample(time.monotonic(), ms, status))


def worker_rss(master: int) -> dict[int, float]:
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) != master:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[int(entry.name)] = round(int(line.split()[1]) / 1024, 1)
        except (OSError, ValueError):
            continue
    return out


def run_phase(name: str, port: int, path: str, queries: list[dict[str, str]], clients: int,
              seconds: float | None, master: int, until: Any = None) -> Phase:  # fmt: skip
    phase = Phase(name)
    stop = threading.Event()
    threads = [
        threading.Thread(target=_client, args=(port, path, queries, stop, phase, i), daemon=True)
        for i in range(clients)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    if until is not None:
        until()
    else:
        time.sleep(seconds or 0)
    phase.rss_mb = worker_rss(master)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    phase.seconds = time.monotonic() - started
    return phase


WRK_SCRIPT = """
paths = {{
{paths}
}}
math.randomseed({seed})
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def run_wrk(name: str, port: int, path: str, queries: list[dict[str, str]], clients: int,
            seconds: float, master: int) -> dict[str, Any]:  # fmt: skip
    """The same load from wrk (C, one thread): the client takes far less of the CPU that
    it shares with the server than Python threads do."""
    lines = ",\n".join(json.dumps(path + "?" + urllib.parse.urlencode(q)) for q in queries)
    script = HERE / "results" / "load.lua"
    script.write_text(WRK_SCRIPT.format(paths=lines, seed=42))
    url = f"http://127.0.0.1:{port}"
    out = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{int(seconds)}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if not m:
            return float("nan")
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
        return round(float(m.group(1)) * scale, 1)

    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return {"phase": name + " (wrk)", "requests": total, "rps": round(rps, 1),
            "p50_ms": ms("50"), "p95_ms": f"p90 {ms('90')}", "p99_ms": ms("99"),
            "max_ms": None, "errors": errors, "error_examples": [],
            "worker_rss_mb": worker_rss(master)}  # fmt: skip


def health(port: int) -> dict[str, Any] | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/api/health")
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        return json.loads(body) if resp.status == 200 else None
    except OSError:
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--queries", type=Path, default=HERE / "queries.txt")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rebuild", type=Path, help="rebuild the index from this source under load")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "load.json")
    ap.add_argument(
        "--wrk",
        action="store_true",
        help="also run the two steady phases with wrk (apt-get install wrk)",
    )
    args = ap.parse_args()
    queries = load_queries(args.queries)
    port = free_port()
    log = open(HERE / "results" / "load-server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [*CLI, "serve", "--index", str(args.index), "--port", str(port),
         "--workers", str(args.workers)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    phases: list[Phase] = []
    wrk_phases: list[dict[str, Any]] = []
    switch: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + 60
        while health(port) is None:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start; see bench/results/load-server.log")
            time.sleep(0.2)
        # Warm every worker: each opens the index on its first request.
        run_phase("warm-up", port, "/api/search", queries, args.clients, 5, server.pid)
        phases.append(run_phase("/api/search", port, "/api/search", queries, args.clients,
                                args.seconds, server.pid))  # fmt: skip
        phases.append(run_phase("/ (HTML page)", port, "/", queries, args.clients,
                                args.seconds, server.pid))  # fmt: skip
        if args.wrk:
            for name, path in (("/api/search", "/api/search"), ("/ (HTML page)", "/")):
                wrk_phases.append(run_wrk(name, port, path, queries, args.clients,
                                          args.seconds, server.pid))  # fmt: skip
        if args.rebuild:
            before = (health(port) or {}).get("generation")

            def rebuild() -> None:
                started = time.monotonic()
                subprocess.run([*CLI, "index", "build", str(args.rebuild), "--index",
                                str(args.index), "--quiet"], cwd=ROOT, check=True,
                               stdout=subprocess.DEVNULL)  # fmt: skip
                built = time.monotonic()
                while (health(port) or {}).get("generation") == before:
                    time.sleep(0.05)
                switch.update(build_s=round(built - started, 1), switched_at=time.monotonic())
                time.sleep(5)  # and a little after the switch

            phase = run_phase("/api/search during rebuild", port, "/api/search", queries,
                              args.clients, None, server.pid, until=rebuild)  # fmt: skip
            phases.append(phase)
            at = switch.get("switched_at", 0.0)
            near = sorted(s.ms for s in phase.samples if abs(s.at - at) <= 2.0)
            switch["requests_within_2s_of_switch"] = len(near)
            switch["max_ms_within_2s_of_switch"] = round(near[-1], 1) if near else None
            switch["p50_ms_within_2s_of_switch"] = (
                round(statistics.median(near), 1) if near else None
            )
            switch["generation_before"] = before
            switch["generation_after"] = (health(port) or {}).get("generation")
            switch.pop("switched_at", None)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    result = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "clients": args.clients,
              "workers": args.workers, "index": str(args.index),
              "phases": [p.summary() for p in phases] + wrk_phases,
              "switch": switch}  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"{args.clients} clients, {args.workers} workers, index {args.index}")
    print(
        "| phase | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | worker RSS MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for p in result["phases"]:
        rss = ", ".join(f"{v:.0f}" for v in p["worker_rss_mb"].values())
        print(f"| {p['phase']} | {p['requests']} | {p['rps']} | {p['p50_ms']} | {p['p95_ms']} | "
              f"{p['p99_ms']} | {p['max_ms']} | {p['errors']} | {rss} |")  # fmt: skip
    if switch:
        print("switch:", json.dumps(switch))


if __name__ == "__main__":
    main()
