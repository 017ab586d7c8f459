"""Slow and idle clients against a running server: how long does it stop answering others?

    python bench/slow_clients.py --port 8000 [--clients 50] [--attack idle|slowloris|linger|all]

Each attack opens ``--clients`` connections from one thread, then a normal search is tried
every second (1 s timeout each) until one answers: the outage is the time from the attack's
start to that answer (0.0 when the first try answers). The attacks:

- ``idle``: TCP connections opened and held, nothing sent.
- ``slowloris``: a request line, then one header byte every ``--interval`` seconds, never
  finishing the headers; the report says when the server dropped them.
- ``linger``: a whole request with ``Connection: close``, the response read, and the
  connection then left open (a client that never closes).

The tests (tests/test_slow_clients.py, tests/test_nginx.py) drive the same clients.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

PROBE = "/api/search?q=oil"


def probe(port: int, path: str = PROBE, timeout: float = 1.0) -> float | None:
    """Seconds for a normal GET to be answered in full (status line to last byte), or
    None when it is not answered within ``timeout``."""
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while True:
                left = timeout - (time.monotonic() - started)
                if left <= 0:
                    return None
                s.settimeout(left)
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    if not data.startswith(b"HTTP/1.1 200"):
        return None
    return time.monotonic() - started


def outage(port: int, give_up: float = 200.0, path: str = PROBE) -> float:
    """Seconds until a probe (1 s timeout, tried once a second) is answered."""
    started = time.monotonic()
    while time.monotonic() - started < give_up:
        t0 = time.monotonic()
        if probe(port, path) is not None:
            return round(t0 - started, 1)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
    return give_up


def open_idle(port: int, n: int) -> list[socket.socket]:
    """``n`` connections that send nothing (the caller closes them)."""
    return [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(n)]


def open_lingering(port: int, n: int, path: str = PROBE) -> list[socket.socket]:
    """``n`` connections that send a whole request asking to close, then never close.
    They are sent first and read afterwards, so that none waits for another's answer;
    each is returned once its response has begun (or its read timed out)."""
    socks = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(n)]
    for s in socks:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
    for s in socks:
        with contextlib.suppress(OSError):
            s.recv(65536)
    return socks


@dataclass
class Slowloris:
    """``n`` clients trickling a request's headers, one byte each ``interval`` seconds,
    from one thread. ``dropped[i]`` is the seconds after the start when the server
    closed connection ``i`` (None while it is open); ``answers`` what it sent before."""

    port: int
    n: int = 50
    interval: float = 0.5
    dropped: list[float | None] = field(default_factory=list)
    answers: list[bytes] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Slowloris:
        self.started = time.monotonic()
        self._socks = []
        for _ in range(self.n):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.sendall(b"GET /api/search?q=oil HTTP/1.1\r\nHost: bench\r\n")
            s.setblocking(False)
            self._socks.append(s)
        self.dropped = [None] * self.n
        self.answers = [b""] * self.n
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        for i, s in enumerate(self._socks):
            sel.register(s, selectors.EVENT_READ, i)
        next_byte = time.monotonic()
        while not self._stop.is_set() and any(d is None for d in self.dropped):
            for key, _ in sel.select(timeout=0.05):
                self._read(sel, key.data)
            if time.monotonic() >= next_byte:
                next_byte += self.interval
                for i, s in enumerate(self._socks):
                    if self.dropped[i] is None:
                        try:
                            s.send(b"X")  # a header name that never ends
                        except OSError:
                            self._closed(sel, i)
        sel.close()

    def _read(self, sel: selectors.BaseSelector, i: int) -> None:
        try:
            data = self._socks[i].recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self.answers[i] += data
        else:
            self._closed(sel, i)

    def _closed(self, sel: selectors.BaseSelector, i: int) -> None:
        if self.dropped[i] is None:
            self.dropped[i] = round(time.monotonic() - self.started, 2)
            sel.unregister(self._socks[i])

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for s in self._socks:
            s.close()


def measure(port: int, attack: str, clients: int, interval: float) -> dict[str, object]:
    closers: list[Callable[[], None]] = []
    started = time.monotonic()
    report: dict[str, object] = {"attack": attack, "clients": clients}
    if attack == "idle":
        socks = open_idle(port, clients)
        closers += [s.close for s in socks]
    elif attack == "linger":
        # Sent from a thread: against a server that serves one at a time, reading the
        # 50 answers is itself the outage being measured.
        holder: list[socket.socket] = []
        thread = threading.Thread(
            target=lambda: holder.extend(open_lingering(port, clients)), daemon=True
        )
        thread.start()
        time.sleep(0.2)
        closers.append(lambda: [s.close() for s in holder])
    else:
        loris = Slowloris(port, clients, interval).start()
        closers.append(loris.stop)
    try:
        report["outage_s"] = outage(port)
        if attack == "slowloris":
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and any(d is None for d in loris.dropped):
                time.sleep(0.2)
            drops = [d for d in loris.dropped if d is not None]
            report["dropped"] = len(drops)
            report["dropped_after_s"] = [min(drops), max(drops)] if drops else None
    finally:
        for close in closers:
            close()
    report["seconds"] = round(time.monotonic() - started, 1)
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--attack", choices=["idle", "slowloris", "linger", "all"], default="all")
    args = ap.parse_args()
    attacks = ["idle", "slowloris", "linger"] if args.attack == "all" else [args.attack]
    for attack in attacks:
        print(json.dumps(measure(args.port, attack, args.clients, args.interval)), flush=True)
        time.sleep(2)


if __name__ == "__main__":
    main()
