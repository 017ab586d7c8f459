"""Slow and idle clients against a real `news-search serve` on loopback, no proxy in front.

Each attack uses 50 real connections (bench/slow_clients.py drives them); meanwhile a
normal search must be answered within 1 s. Under gunicorn's sync workers each of these
stopped the service: two idle connections for 63 s, six trickling ones for 150 s, and a
client that never closed held a worker 2 s after its answer.
"""

from __future__ import annotations

import importlib.util
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT, SEED, index_from_records
from tests.live import Server, free_port
from tests.test_web import ARTICLES
from web.server import MAX_BODY, MAX_HEAD, REQUEST_TIMEOUT

CLIENTS = 50
SEARCH = "/api/search?q=taliban"


def bench_module(name: str) -> ModuleType:
    """A benchmark script of bench/, imported as the load test imports bench/load.py."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


slow = bench_module("slow_clients")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    index = index_from_records(
        tmp_path_factory.mktemp("slow"), ARTICLES, {SEED.name: SEED.read_bytes()}
    )
    srv = Server(index, tmp_path_factory.mktemp("logs") / "server.log", workers=2)
    yield srv
    started = time.monotonic()
    assert srv.stop() == 0, srv.log.read_text()
    assert time.monotonic() - started < 15
    assert "Traceback" not in srv.log.read_text()


def answered_within_a_second(server: Server, times: int = 3) -> list[float]:
    """A normal search, ``times`` times in a row, each answered in full within 1 s."""
    took = []
    for _ in range(times):
        t = slow.probe(server.port, SEARCH, timeout=1.0)
        assert t is not None, "a normal search was not answered within 1 s"
        took.append(t)
    return took


def test_fifty_idle_connections_do_not_stop_a_search(server: Server) -> None:
    idle = slow.open_idle(server.port, CLIENTS)
    try:
        time.sleep(0.5)  # every one accepted, none sending
        answered_within_a_second(server)
    finally:
        for s in idle:
            s.close()


def test_fifty_slowloris_clients_do_not_stop_a_search_and_are_dropped(server: Server) -> None:
    loris = slow.Slowloris(server.port, CLIENTS, interval=0.5).start()
    try:
        time.sleep(1.0)  # each has sent a request line and some header bytes
        answered_within_a_second(server)
        deadline = time.monotonic() + REQUEST_TIMEOUT + 5
        while time.monotonic() < deadline and None in loris.dropped:
            time.sleep(0.2)
    finally:
        loris.stop()
    # Dropped at the request deadline (the event loop looks once a second), told why.
    assert None not in loris.dropped, f"{loris.dropped.count(None)} still connected"
    assert all(REQUEST_TIMEOUT - 0.5 <= d <= REQUEST_TIMEOUT + 2.5 for d in loris.dropped), (
        loris.dropped
    )
    for answer in loris.answers:
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert json.loads(body)["error"]["code"] == "request_timeout"


def test_clients_that_keep_their_connection_open_do_not_block_others(server: Server) -> None:
    # Half ask to close and never do; half keep the connection alive, idle, after the answer.
    held: list[socket.socket] = []
    answered: list[bytes] = []

    def clients() -> None:
        socks = [socket.create_connection(("127.0.0.1", server.port), timeout=20)
                 for _ in range(CLIENTS)]  # fmt: skip
        held.extend(socks)
        for i, s in enumerate(socks):
            close = "Connection: close\r\n" if i % 2 else ""
            s.sendall(f"GET {SEARCH} HTTP/1.1\r\nHost: t\r\n{close}\r\n".encode())
        for s in socks:
            answered.append(s.recv(65536))

    thread = threading.Thread(target=clients, daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        time.sleep(0.3)  # the 50 are answered meanwhile
        answered_within_a_second(server)
        thread.join(timeout=10)
        assert len(answered) == CLIENTS and time.monotonic() - started < 5
        assert all(a.startswith(b"HTTP/1.1 200 ") for a in answered)
        answered_within_a_second(server)  # with all 50 still open
    finally:
        thread.join(timeout=20)
        for s in held:
            s.close()


def exchange(server: Server, data: bytes, timeout: float = 5.0) -> bytes:
    """Send ``data`` on a new connection; everything the server sends until it closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := s.recv(65536):
            received += chunk
    return received


def statuses(received: bytes) -> list[int]:
    """The status of each response (JSON bodies: no status line inside one)."""
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", received)]


def test_requests_read_by_the_event_loop_are_served_whole(server: Server) -> None:
    """Pipelined requests, a kept-alive connection, a request sent a byte at a time and
    one with a small body all reach the app as they were sent."""
    get = f"GET {SEARCH} HTTP/1.1\r\nHost: t\r\n\r\n".encode()
    last = f"GET {SEARCH}&page=2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    assert statuses(exchange(server, get + get + last)) == [200, 200, 200]
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        for byte in get:
            s.send(bytes([byte]))
        first = s.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
    body = b"q=taliban"
    post = (f"POST /api/search HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode() + body  # fmt: skip
    assert statuses(exchange(server, post)) == [405]


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (
            b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * (MAX_HEAD + 10),
            431,
            "headers_too_large",
        ),
        (
            f"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n".encode(),
            413,
            "body_too_large",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
            411,
            "length_required",
        ),
    ],
    ids=["head over 64 KB", "body over 1 MB", "chunked body"],
)
def test_requests_that_would_hold_a_thread_are_refused(
    server: Server, request_bytes: bytes, status: int, code: str
) -> None:
    """Refused by the event loop at once, in the API's JSON envelope, before any thread
    would wait for the rest."""
    started = time.monotonic()
    received = exchange(server, request_bytes)
    assert time.monotonic() - started < 1
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), received[:300]
    error = json.loads(body)["error"]
    assert (error["status"], error["code"]) == (status, code)
    assert f"X-Request-Id: {error['request_id']}".encode() in head


def test_refusals_are_logged(server: Server) -> None:
    exchange(server, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [
            json.loads(x) for x in Path(server.log).read_text().splitlines() if x.startswith("{")
        ]
        if any(d.get("event") == "refused" and d.get("status") == 411 for d in lines):
            return
        time.sleep(0.1)
    raise AssertionError("no refused line in the log")


STUCK_APP = """
import sys, time
from flask import Flask
from web.server import run_gunicorn

app = Flask("stuck")
app.add_url_rule("/ok", "ok", lambda: "ok")
app.add_url_rule("/stuck", "stuck", lambda: time.sleep(600) or "late")
run_gunicorn(app, "127.0.0.1", int(sys.argv[1]), 1, timeout=3, graceful_timeout=1)
"""


def test_a_request_that_holds_the_app_past_the_timeout_gets_its_worker_restarted(
    tmp_path: Path,
) -> None:
    """The event loop keeps beating while a thread is stuck in the app, but the beat is
    withheld once one step has run for over a second: past gunicorn's ``timeout`` (3 s
    here, 60 s in serve) the worker is restarted, as a stuck sync worker was, and the
    next request is answered by its successor. (A stand-in app, the real worker.)"""
    port = free_port()
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-c", STUCK_APP, str(port)], cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while slow.probe(port, "/ok") is None:
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
            time.sleep(0.1)
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(b"GET /stuck HTTP/1.1\r\nHost: t\r\n\r\n")
            assert s.recv(65536) == b""  # closed with the worker, unanswered
        assert 3 < time.monotonic() - started < 15
        deadline = time.monotonic() + 20
        while slow.probe(port, "/ok") is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert "WORKER TIMEOUT" in log.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
