"""A large export is streamed for real: first byte at once, server memory flat, one
access line with the bytes actually sent.

All of Reuters-21578 with bodies (~25 MB of JSON Lines) from a real `news-search serve
--workers 1`, whose one worker's memory is read from /proc. Before, the access log
counted the body's length first, so the whole export was built in memory: the first
byte came after 2.3 s of a 2.6 s download, with 22 MB held.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.live import Server
from web.server import SEND_TIMEOUT

LARGE = {"format": "jsonl", "body": "true"}  # every article, bodies too
SMALL = {"format": "jsonl", "body": "true", "q": "cocoa"}  # some dozens


@pytest.fixture(scope="module")
def server(reuters_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(reuters_index, tmp_path_factory.mktemp("logs") / "server.log", workers=1)
    # The worker opens the index on its first request; one export of each size warms it.
    for params in (SMALL, LARGE):
        requests.get(srv.url + "/api/export", params=params, timeout=60).raise_for_status()
    yield srv
    assert srv.stop() == 0, srv.log.read_text()
    assert "Traceback" not in srv.log.read_text()


def worker_pid(server: Server) -> int:
    master = server.proc.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {key} for {pid}")


def peak_kb_after(server: Server, params: dict[str, str]) -> tuple[int, int]:
    """The worker's peak heap (kB) seen while one export is sent, and its bytes.

    The heap is RssAnon, sampled every few milliseconds: the worker reads the index's
    files through mappings, so its whole resident size (VmHWM) grows by every page of
    stored fields the export touches, though those pages are the page cache's and
    shared, not memory the export holds.
    """
    pid = worker_pid(server)
    peak = [status_kb(pid, "RssAnon")]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], status_kb(pid, "RssAnon"))

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        r = requests.get(server.url + "/api/export", params=params, timeout=120)
        r.raise_for_status()
    finally:
        done.set()
        sampler.join()
    return max(peak[0], status_kb(pid, "RssAnon")), len(r.content)


def test_a_large_export_starts_at_once(server: Server) -> None:
    firsts = []
    for _ in range(3):
        started = time.perf_counter()
        with requests.get(server.url + "/api/export", params=LARGE, stream=True, timeout=60) as r:
            assert r.status_code == 200
            chunks = r.iter_content(chunk_size=None)
            first = next(chunks)
            firsts.append(time.perf_counter() - started)
            size = len(first) + sum(len(c) for c in chunks)
        total = time.perf_counter() - started
    print(
        f"\nfirst byte {[round(f * 1000, 1) for f in firsts]} ms; {size / 1e6:.1f} MB in {total:.1f} s"
    )
    assert size > 20_000_000
    assert min(firsts) < 0.1 and sorted(firsts)[1] < 0.1, firsts
    assert json.loads(first.split(b"\n", 1)[0])["id"]


def test_server_memory_stays_flat_whatever_the_size_of_the_export(
    reuters_index: Path, tmp_path: Path
) -> None:
    """A new worker's peak memory after small exports, then after a whole one."""
    fresh = Server(reuters_index, tmp_path / "server.log", workers=1)
    try:
        small, small_size = max(peak_kb_after(fresh, SMALL) for _ in range(3))
        large, large_size = peak_kb_after(fresh, LARGE)
    finally:
        assert fresh.stop() == 0
    print(f"\nworker peak heap: during small exports {small / 1024:.1f} MB, "
          f"during the whole one {large / 1024:.1f} MB")  # fmt: skip
    assert small_size < 1_000_000 < 20_000_000 < large_size
    assert large - small < 5 * 1024, (small, large)


def access_line(server: Server, rid: str, wait: float = 10) -> dict[str, object]:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        for line in server.log.read_text().splitlines():
            if line.startswith("{") and json.loads(line).get("request_id") == rid:
                record: dict[str, object] = json.loads(line)
                return record
        time.sleep(0.1)
    raise AssertionError(f"no access line for {rid}")


def test_a_streamed_export_is_logged_with_the_bytes_sent(server: Server) -> None:
    r = requests.get(server.url + "/api/export", params=LARGE, timeout=60,
                     headers={"X-Request-Id": "whole-export"})  # fmt: skip
    whole = len(r.content)
    line = access_line(server, "whole-export")
    assert (line["path"], line["status"], line["streamed"], line["complete"]) == (
        "/api/export", 200, True, True,
    )  # fmt: skip
    assert line["bytes"] == whole
    assert isinstance(line["ms"], float) and line["ms"] > 0
    # A client that goes away after the first chunk: logged as cut off, with what was sent.
    with requests.get(server.url + "/api/export", params=LARGE, stream=True, timeout=60,
                      headers={"X-Request-Id": "cut-off"}) as r:  # fmt: skip
        next(r.iter_content(chunk_size=None))
    line = access_line(server, "cut-off")
    assert line["complete"] is False
    assert isinstance(line["bytes"], int) and 0 < line["bytes"] < whole


def log_events(server: Server, event: str) -> list[dict[str, object]]:
    lines = [json.loads(x) for x in server.log.read_text().splitlines() if x.startswith("{")]
    return [d for d in lines if d.get("event") == event]


def test_a_client_that_reads_nothing_is_dropped_after_the_send_timeout(server: Server) -> None:
    """It asks for the whole export and never reads: once the socket buffers are full the
    writing thread waits SEND_TIMEOUT for it, then drops it, logged. Meanwhile the one
    worker answers others at once: a writer waiting on its client does not hold the app."""
    before = len(log_events(server, "send_timeout"))
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # 25 MB cannot fit
    stalled.connect(("127.0.0.1", server.port))
    stalled.sendall(
        b"GET /api/export?format=jsonl&body=true HTTP/1.1\r\nHost: test\r\n"
        b"X-Request-Id: reads-nothing\r\n\r\n"
    )
    started = time.monotonic()
    try:
        time.sleep(2)  # the buffers fill up in well under this
        for _ in range(3):
            asked = time.monotonic()
            r = requests.get(server.url + "/api/search", params={"q": "cocoa"}, timeout=5)
            assert r.status_code == 200 and r.json()["total"] > 0
            assert time.monotonic() - asked < 1.0
        line = access_line(server, "reads-nothing", wait=SEND_TIMEOUT + 30)
        waited = time.monotonic() - started
        assert SEND_TIMEOUT <= waited < SEND_TIMEOUT + 20, waited
        assert (line["status"], line["complete"]) == (200, False)
        assert isinstance(line["bytes"], int) and 0 < line["bytes"] < 20_000_000
        dropped = log_events(server, "send_timeout")[before:]
        assert [(d["remote"], d["path"]) for d in dropped] == [("127.0.0.1", "/api/export")]
        # The server closed its end: what it had sent drains, then the stream ends.
        stalled.settimeout(10)
        received = 0
        try:
            while chunk := stalled.recv(1 << 16):
                received += len(chunk)
        except ConnectionResetError:
            pass  # closed with unread data in its buffer: also closed
        assert received < 20_000_000
    finally:
        stalled.close()
