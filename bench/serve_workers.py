"""What the guarded threaded worker costs the normal search load, against the sync worker
it replaced, in one run (run by hand, loopback only).

    .venv/bin/python bench/serve_workers.py --index /tmp/reuters-index [--rounds 2]

Each round serves the same index with ``--workers 2``, once under gunicorn's sync worker
(as ``serve`` did before) and once under ``web.server.GuardedThreadWorker`` (as it does
now), alternating so that other load on the machine falls on both alike. Each is warmed
up, then loaded by bench/load.py's client for ``--seconds``: a cheap query (one common
word) and the benchmark's query set. Prints requests/s, p50 and p99 per model, and the
ratios threaded/sync.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

MODELS: dict[str, dict[str, Any]] = {
    "sync": {"worker_class": "sync", "threads": 1},
    "guarded": {},
}


def _load_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_load", HERE / "load.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def serve(model: str, index: str, port: int) -> None:
    """In the child process: `serve`'s app under the chosen worker model."""
    from web import create_app
    from web.logs import configure_logging
    from web.server import run_gunicorn

    configure_logging()
    run_gunicorn(create_app({"INDEX": index}), "127.0.0.1", port, 2, **MODELS[model])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--cheap", default="oil", help="the cheap query")
    ap.add_argument("--serve", choices=sorted(MODELS), help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, str(args.index), args.port)
        return
    load = _load_module()
    loads = {
        "cheap": [{"q": args.cheap}],
        "query set": load.load_queries(HERE / "queries.txt"),
    }
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for _ in range(args.rounds):
        for model in MODELS:
            port = load.free_port()
            proc = subprocess.Popen(
                [sys.executable, __file__, "--serve", model, "--index", str(args.index),
                 "--port", str(port)],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )  # fmt: skip
            try:
                while load.health(port) is None:
                    time.sleep(0.2)
                load.run_phase("warm-up", port, "/api/search", loads["query set"], 4, 3, proc.pid)
                for name, queries in loads.items():
                    phase = load.run_phase(name, port, "/api/search", queries, args.clients,
                                           args.seconds, proc.pid)  # fmt: skip
                    summary = phase.summary()
                    print(json.dumps({"model": model, **summary}), flush=True)
                    results.setdefault(name, {}).setdefault(model, []).append(summary)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
    for name, by_model in results.items():
        med = {
            m: {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in ("rps", "p50_ms", "p99_ms")}
            for m, runs in by_model.items()
        }
        ratio = {k: round(med["guarded"][k] / med["sync"][k], 2) for k in med["sync"]}
        print(json.dumps({"load": name, **med, "guarded/sync": ratio}))


if __name__ == "__main__":
    main()
