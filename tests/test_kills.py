"""Builds and updates killed with SIGKILL at many moments, alone and under a query load.

The promise: whatever moment a writer dies, the live index opens and answers either
exactly as before the run or exactly as after it (never a mixture), no indexing process
outlives the writer, and the next run succeeds without anyone cleaning up.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from search.backends.whoosh.store import IndexStore
from search.check import check_index
from search.indexing import build
from search.querying import search
from tests.conftest import ROOT
from tests.live import Server
from tests.test_indexing import _alive, _children

#: Queries whose totals tell the old index from the new one.
QUERIES = ["alpha", "omega", "record", '"about omega"', "2022 record -alpha"]


def write_source(src: Path, n: int, word: str) -> None:
    src.mkdir(parents=True, exist_ok=True)
    with open(src / "records.jsonl", "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"r{i}", "title": f"Record {i} {word}",
                                "published": f"2022-{1 + i % 12:02d}-{1 + i % 28:02d}",
                                "body": f"Body of record {i}, 2022, about {word}."}) + "\n")  # fmt: skip


def totals(location: Path) -> list[int]:
    store = IndexStore(location)
    try:
        return [search(q, index=store).total for q in QUERIES]
    finally:
        store.close()


def start(kind: str, src: Path, location: Path, procs: int) -> subprocess.Popen[bytes]:
    extra = ["--procs", str(procs)] if kind == "build" else []
    return subprocess.Popen(
        [sys.executable, "-m", "search.cli", "index", kind, str(src), "--index", str(location),
         "--quiet", *extra],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def kill_after(proc: subprocess.Popen[bytes], delay: float) -> bool:
    """SIGKILL ``proc`` after ``delay`` s; True if it was still running. Its indexing
    processes must die with it."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    workers = _children(proc.pid)
    running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    until = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < until:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers), "an indexing process outlived its writer"
    return running


def timed(kind: str, src: Path, location: Path, procs: int) -> float:
    t = time.monotonic()
    assert start(kind, src, location, procs).wait() == 0
    return time.monotonic() - t


def test_writers_killed_at_random_moments(tmp_path: Path) -> None:
    """12 kills (8 builds, with 1 and 2 processes, and 4 updates) at moments spread over
    each run."""
    old, new = tmp_path / "old", tmp_path / "new"
    write_source(old, 4000, "alpha")
    write_source(new, 4000, "omega")  # the same ids, every article changed
    location = tmp_path / "index"
    # How long each run takes here, measured on scratch copies.
    scratch = tmp_path / "scratch"
    build([old], scratch)
    durations = {
        ("build", 1): timed("build", new, tmp_path / "s1", 1),
        ("build", 2): timed("build", new, tmp_path / "s2", 2),
        ("update", 1): timed("update", new, scratch, 1),
    }
    build([old], location)
    before = totals(location)
    assert before == [4000, 0, 4000, 0, 0]
    after_build = after_update = [0, 4000, 4000, 4000, 4000]

    rng = random.Random(20261125)
    plan = [("build", 1), ("build", 2), ("update", 1)] * 4
    outcomes: Counter[str] = Counter()
    for kind, procs in plan:
        fraction = rng.uniform(0.05, 0.95)
        # On a busy machine a run can be faster than measured: then kill sooner.
        for attempt in range(5):
            delay = fraction * durations[(kind, procs)] / 2**attempt
            mid_run = kill_after(start(kind, new, location, procs), delay)
            now = totals(location)
            if now == before:
                outcomes["before"] += 1
            else:
                assert now == (after_build if kind == "build" else after_update), (kind, now)
                outcomes["after"] += 1
                build([old], location)  # back to the old state for the next kill
            report = check_index(location)
            assert report.ok, report.to_dict()
            if mid_run:
                outcomes["killed mid-run"] += 1
                break
            outcomes["finished first"] += 1
    assert outcomes["killed mid-run"] == 12, outcomes
    # The next run succeeds without manual cleanup and leaves no debris.
    report = build([new], location)
    assert report.indexed == 4000
    assert not list(location.glob(".build-*")) and not list(location.glob("*.tmp"))
    assert totals(location) == after_build
    print(f"\n12 kills: {dict(outcomes)}; run lengths {durations}")


@pytest.mark.parametrize("procs", [1, 2])
def test_kills_and_a_switch_under_query_load(tmp_path: Path, procs: int) -> None:
    """Clients query a live server while builds are killed and then one completes: no
    request fails, and every answer is wholly the old index's or wholly the new one's."""
    old, new = tmp_path / "old", tmp_path / "new"
    write_source(old, 3000, "alpha")
    write_source(new, 3000, "omega")
    location = tmp_path / "index"
    build([old], location)
    totals_old = dict(zip(QUERIES, totals(location), strict=True))
    totals_new = dict(zip(QUERIES, [0, 3000, 3000, 3000, 3000], strict=True))
    expected = {q: {totals_old[q], totals_new[q]} for q in QUERIES}
    server = Server(location, tmp_path / "server.log")
    stop = threading.Event()
    failures: list[str] = []
    seen: Counter[str] = Counter()

    def client(n: int) -> None:
        session = requests.Session()
        i = n
        while not stop.is_set():
            q = QUERIES[i % len(QUERIES)]
            i += 1
            try:
                r = session.get(server.url + "/api/search", params={"q": q}, timeout=30)
            except requests.RequestException as e:
                failures.append(f"{q}: {e}")
                continue
            if r.status_code != 200:
                failures.append(f"{q}: {r.status_code} {r.text[:200]}")
            elif r.json()["total"] not in expected[q]:
                failures.append(f"{q}: total {r.json()['total']} is neither {expected[q]}")
            else:
                seen["old" if r.json()["total"] == totals_old[q] else "new"] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    try:
        for t in threads:
            t.start()
        rng = random.Random(procs)
        for _ in range(3):
            kill_after(start("build", new, location, procs), rng.uniform(0.3, 1.5))
        assert start("build", new, location, procs).wait() == 0  # the switch
        time.sleep(2)
    finally:
        stop.set()
        for t in threads:
            t.join()
        code = server.stop()
    assert not failures, failures[:5]
    assert code == 0 and "Traceback" not in server.log.read_text()
    assert seen["old"] > 20 and seen["new"] > 20, seen
    print(
        f"\nunder load, {procs} process(es): {sum(seen.values())} answers, {dict(seen)}, 0 failed"
    )
