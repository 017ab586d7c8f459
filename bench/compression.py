"""What compressing answers costs and saves (issue 12, §2).

    .venv/bin/python bench/compression.py --index /tmp/reuters-index [--rounds 200]

Asks the app (in process, through Flask's test client, so the network is not measured)
for a search's JSON, a results page and the feed, with each Accept-Encoding, and prints
the median time per request and the bytes sent. The identity row is the peer: the time
ratio is the cost of compressing, the size ratio the saving.
"""

from __future__ import annotations

import argparse
import statistics
import time

from web import create_app

URLS = {
    "search JSON (10 hits)": "/api/search?q=oil+prices",
    "search JSON (100 hits)": "/api/search?q=oil+prices&per_page=100",
    "results page": "/?q=oil+prices",
    "article page": None,  # filled with the first hit
    "feed": "/feed?q=oil",
}
ENCODINGS = ["identity", "gzip", "br", "zstd"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--rounds", type=int, default=200)
    args = ap.parse_args()
    client = create_app({"INDEX": args.index}).test_client()
    first = client.get("/api/search?q=oil+prices").get_json()["results"][0]["id"]
    URLS["article page"] = f"/articles/{first}?q=oil+prices"
    print("| answer | encoding | bytes | size vs identity | median ms | time vs identity |")
    print("|---|---|---:|---:|---:|---:|")
    for name, url in URLS.items():
        assert url is not None
        base: tuple[int, float] | None = None
        for enc in ENCODINGS:
            times = []
            size = 0
            for i in range(args.rounds + 10):
                started = time.perf_counter()
                r = client.get(url, headers={"Accept-Encoding": enc})
                took = time.perf_counter() - started
                size = len(r.data)
                if i >= 10:  # warm first
                    times.append(took)
            ms = statistics.median(times) * 1000
            if base is None:
                base = (size, ms)
            print(f"| {name} | {enc} | {size:,} | {size / base[0]:.2f} | {ms:.2f} | "
                  f"{ms / base[1]:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
