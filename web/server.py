"""Run the app under gunicorn, with a worker that slow and idle clients cannot stall.

gunicorn's sync worker serves one connection at a time: two idle TCP connections stopped
the service for a minute. Its threaded worker (gthread) waits on many sockets, but a
thread still reads a request's headers, with no limit on how long they take, and a
client that never closes holds the main loop for 2 s while its connection "lingers".

:class:`GuardedThreadWorker` is gthread with the socket work moved off the threads: its
event loop reads each request whole (headers and any body) without blocking, within
:data:`REQUEST_TIMEOUT` of its first byte, and only a complete request is handed to a
thread. Idle, trickling and never-closing clients cost a file descriptor each, never a
thread: they are answered 408 and dropped at the deadline. A thread writing a response
gives up on a client that reads nothing for :data:`SEND_TIMEOUT`. The app runs in one
thread of a process at a time (:class:`OneAtATime`), in turns that put a request that
has had much of it after newer ones (web/turns.py): the threads are for waiting on
clients, the processes for the cores.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import re
import selectors
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any, Literal, NamedTuple

from flask import Flask
from gunicorn import glogging, util
from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import TConn, ThreadWorker

from search import budget
from search.errors import NewsSearchError
from web import warm
from web.errors import error_body
from web.logs import JsonFormatter
from web.turns import BODY_IN_MEMORY, Turn, Turns

__all__ = [
    "KEEPALIVE",
    "MAX_BODY",
    "MAX_HEAD",
    "REQUEST_TIMEOUT",
    "SEND_TIMEOUT",
    "THREADS",
    "WORKER_CONNECTIONS",
    "AddressUnavailable",
    "GuardedThreadWorker",
    "JsonLogger",
    "OneAtATime",
    "Refusal",
    "check_address",
    "gunicorn_options",
    "request_state",
    "run_gunicorn",
]

log = logging.getLogger("news_search.server")

#: Seconds a request may take to arrive whole, from its first byte (for a new
#: connection: from its accept, so an idle one counts too). Requests here are one line
#: and a few headers; nginx's client_header_timeout defaults to 60 s, Apache's
#: mod_reqtimeout to 20-40 s at 500 bytes/s.
REQUEST_TIMEOUT = 10.0
#: Seconds an idle kept-alive connection stays open between requests.
KEEPALIVE = 5
#: Threads per process: responses under way at once. The app itself runs one thread at
#: a time (:class:`OneAtATime`); the others wait for it or write to slow readers, so a
#: few slow downloads do not take every thread.
THREADS = 32
#: Open connections per process (idle, slow, kept-alive or being served).
WORKER_CONNECTIONS = 1000
#: The most a request's head may hold (request line and headers). gunicorn's own limits
#: still apply within it (a line of 8,190 bytes, a field of 16,380).
MAX_HEAD = 64 * 1024
#: Nothing here takes a request body; one larger than this is refused before it is read.
MAX_BODY = 1024 * 1024
#: Seconds a response may wait for a client that reads nothing before it is dropped.
SEND_TIMEOUT = 30.0
#: Seconds a closed connection waits for the client's own close, reading what it sends,
#: so that the kernel does not reset it under the end of its response (RFC 9112 §9.6).
LINGER = 2.0

_HEAD_END = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*(\S*)[ \t]*$", re.I | re.M)
_TRANSFER_ENCODING = re.compile(rb"^transfer-encoding[ \t]*:", re.I | re.M)


class Refusal(NamedTuple):
    """A request the event loop answers itself, closing the connection."""

    status: int
    reason: str
    code: str
    message: str

    def response(self) -> bytes:
        """The whole HTTP response, in the app's JSON error envelope."""
        rid = uuid.uuid4().hex[:16]
        body = json.dumps(error_body(self.status, self.message, self.code, rid)).encode()
        head = (
            f"HTTP/1.1 {self.status} {self.reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nX-Request-Id: {rid}\r\nConnection: close\r\n\r\n"
        )
        return head.encode("latin-1") + body


TIMED_OUT = Refusal(
    408, "Request Timeout", "request_timeout",
    f"the request did not arrive within {REQUEST_TIMEOUT:g} s",
)  # fmt: skip
HEAD_TOO_LARGE = Refusal(
    431, "Request Header Fields Too Large", "headers_too_large",
    f"the request line and headers are over {MAX_HEAD // 1024} KB",
)  # fmt: skip
BODY_TOO_LARGE = Refusal(
    413, "Content Too Large", "body_too_large",
    f"a request body may be at most {MAX_BODY // 1024} KB",
)  # fmt: skip
NO_LENGTH = Refusal(
    411, "Length Required", "length_required",
    "a request body needs a Content-Length (chunked bodies are not read)",
)  # fmt: skip


def request_state(data: bytes) -> Literal["wait", "ready"] | Refusal:
    """What the event loop does with the bytes a connection has sent so far: wait for
    more, hand the request to a thread (it is whole, or gunicorn's parser will answer
    400 for it), or refuse it."""
    end = data.find(_HEAD_END)
    if end < 0:
        return HEAD_TOO_LARGE if len(data) > MAX_HEAD else "wait"
    if end > MAX_HEAD:
        return HEAD_TOO_LARGE
    head = data[:end]
    if _TRANSFER_ENCODING.search(head):
        return NO_LENGTH
    lengths = _CONTENT_LENGTH.findall(head)
    if len(lengths) != 1 or not lengths[0].isdigit():
        return "ready"  # no body, or one gunicorn refuses
    length = int(lengths[0])
    if length > MAX_BODY:
        return BODY_TOO_LARGE
    return "ready" if len(data) >= end + len(_HEAD_END) + length else "wait"


class _Conn(TConn):  # type: ignore[misc]
    """A connection: what it has sent of its next request, and how it is closed."""

    def __init__(self, worker: GuardedThreadWorker, *args: Any) -> None:
        super().__init__(*args)
        self.worker = worker
        self.received = bytearray()
        self.ready = b""  # a whole request, for the thread to parse
        self.deadline = 0.0
        self.abort = False

    def close(self, graceful: bool = False) -> None:
        if graceful and not self.abort:
            self.worker.linger(self)  # in the event loop, not a 2 s sleep of it
        else:
            util.close(self.sock)


class GuardedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gthread whose threads only ever see whole requests (see the module's doc)."""

    def init_process(self) -> None:
        self.receiving: dict[_Conn, None] = {}  # in deadline order (dicts keep order)
        self.lingering: dict[_Conn, None] = {}
        super().init_process()

    def accept(self, listener: socket.socket) -> None:
        try:
            sock, addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self.receive(_Conn(self, self.cfg, sock, addr, listener.getsockname()), b"")

    def enqueue_req(self, conn: _Conn) -> None:
        """Every way gthread gives a connection to a thread (a new one, a kept-alive one
        that became readable, one with pipelined bytes) comes here: only a whole request
        goes on; anything else is read by the event loop first."""
        if conn.ready:
            super().enqueue_req(conn)
            return
        held = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        self.receive(conn, held)

    def receive(self, conn: _Conn, held: bytes) -> None:
        conn.sock.setblocking(False)
        conn.received = bytearray(held)
        conn.deadline = time.monotonic() + REQUEST_TIMEOUT
        if held and self._check(conn):
            return  # pipelined behind the last request
        self.receiving[conn] = None
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._readable, conn))

    def _readable(self, conn: _Conn, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._forget(conn)
            self._drop(conn)
            return
        conn.received += data
        self._check(conn)

    def _check(self, conn: _Conn) -> bool:
        """Hand the request on or refuse it if it is complete; False to wait for more."""
        state = request_state(bytes(conn.received))
        if state == "wait":
            return False
        self._forget(conn)
        if isinstance(state, Refusal):
            self.refuse(conn, state)
        else:
            conn.ready = bytes(conn.received)
            conn.received = bytearray()
            conn.sock.setblocking(True)
            super().enqueue_req(conn)
        return True

    def _forget(self, conn: _Conn) -> None:
        self.receiving.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)

    def _drop(self, conn: _Conn) -> None:
        self.nr_conns -= 1
        util.close(conn.sock)

    def refuse(self, conn: _Conn, refusal: Refusal) -> None:
        """Answer from the event loop (the response fits the socket's buffer) and close."""
        fields = {"status": refusal.status, "remote": _remote(conn)}
        log.info(refusal.message, extra={"event": "refused", "fields": fields})
        with contextlib.suppress(OSError):
            conn.sock.send(refusal.response())
        self.nr_conns -= 1
        self.linger(conn)

    def linger(self, conn: _Conn) -> None:
        """Close a connection as gunicorn's close_graceful does, without waiting for it:
        half-close, then read and discard until the client closes or :data:`LINGER`."""
        try:
            conn.sock.shutdown(socket.SHUT_WR)
            conn.sock.setblocking(False)
        except OSError:
            util.close(conn.sock)
            return
        self.nr_conns += 1
        conn.deadline = time.monotonic() + LINGER
        self.lingering[conn] = None
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._drain, conn))

    def _drain(self, conn: _Conn, sock: socket.socket) -> None:
        try:
            if sock.recv(65536):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._end_linger(conn)

    def _end_linger(self, conn: _Conn) -> None:
        self.lingering.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)
        self._drop(conn)

    def murder_pending(self) -> None:
        """Run once a second by the event loop: past their deadline, a request still
        arriving is answered 408 and a lingering close ends. A stopping worker drops
        the requests still arriving (none has been started)."""
        super().murder_pending()
        now = time.monotonic()
        for conn in list(self.receiving):
            if conn.deadline > now and self.alive:
                break
            self._forget(conn)
            if self.alive:
                self.refuse(conn, TIMED_OUT)
            else:
                self._drop(conn)
        for conn in list(self.lingering):
            if conn.deadline > now:
                break
            self._end_linger(conn)

    def notify(self) -> None:
        """The heartbeat the arbiter watches: withheld while one step of the app has run
        for over a second, so that a step still running after ``timeout`` (60 s) gets
        the worker restarted, as a sync worker stuck in one request was."""
        turns = getattr(self.wsgi, "turns", None)
        since = getattr(turns, "held_since", None)
        if since is None or time.monotonic() - since < 1.0:
            super().notify()

    def handle(self, conn: _Conn) -> Any:
        """In a thread: parse the whole request the event loop read, then serve it."""
        if conn.ready:
            conn.init()
            conn.parser.unreader.unread(conn.ready)
            conn.ready = b""
        return super().handle(conn)

    def handle_request(self, req: Any, conn: _Conn) -> Any:
        conn.sock.settimeout(SEND_TIMEOUT)
        try:
            return super().handle_request(req, conn)
        except TimeoutError:
            log.warning(
                f"the client read nothing for {SEND_TIMEOUT:g} s: dropped",
                extra={"event": "send_timeout", "fields": {"remote": _remote(conn),
                                                           "path": req.path}},
            )  # fmt: skip
            conn.abort = True
            return False
        finally:
            if not conn.abort:
                conn.sock.settimeout(None)


def _remote(conn: TConn) -> str:
    client = conn.client
    return str(client[0]) if isinstance(client, tuple) else str(client)


class OneAtATime:
    """The app, run by one thread of a process at a time, in turns (web/turns.py).

    Whoosh's searcher reads its files by seek-then-read on shared file objects: two
    threads searching at once read each other's positions (an UnpicklingError under
    load). And searching is CPU-bound Python, which the GIL runs one thread at a time
    anyway. So the app is held by one request at a time: the call that makes a response
    and each step of a streamed body (an export reads its rows as they are sent) hold it
    (a body the app made in memory is taken whole in the same turn), and writing to the
    client does not: a slow reader waits on its socket, not on the
    others. A search gives the app up at its checks to a request placed before it
    (:class:`web.turns.Turns`), so a cheap query does not wait for a dear one to end.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.turns = Turns()
        budget.on_check(self.turns.give_way)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        turn = Turn()
        with self.turns.hold(turn):
            body = self.app(environ, start_response)
            if environ.get(BODY_IN_MEMORY):
                try:
                    return list(body)
                finally:
                    close = getattr(body, "close", None)
                    if close is not None:
                        close()
        return _InTurns(body, self.turns, turn)


class _InTurns:
    """A response body whose every step is taken in the request's turn."""

    def __init__(self, body: Iterable[bytes], turns: Turns, turn: Turn) -> None:
        self.body = body
        self.turns = turns
        self.turn = turn

    def __iter__(self) -> Iterator[bytes]:
        with self.turns.hold(self.turn):
            steps = iter(self.body)
        while True:
            with self.turns.hold(self.turn):
                chunk = next(steps, None)
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        close = getattr(self.body, "close", None)
        if close is not None:
            with self.turns.hold(self.turn):
                close()


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> OneAtATime:
        # In each worker, after the fork and before it accepts a connection: the index
        # and its lexicon ("did you mean", word~) are read now, not by the first reader.
        warm(self.application)
        return OneAtATime(self.application)


class JsonLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's own lines (starts, worker boots and exits, signals, its errors) as JSON
    lines like the app's, so the log is one object per line everywhere."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in [*self.error_log.handlers, *self.access_log.handlers]:
            handler.setFormatter(JsonFormatter())


def gunicorn_options(host: str, port: int, workers: int) -> dict[str, Any]:
    """gunicorn's settings for ``serve``."""
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": GuardedThreadWorker,
        "threads": THREADS,
        "worker_connections": WORKER_CONNECTIONS,
        "keepalive": KEEPALIVE,
        # The app writes the access lines itself (web/logs.py), as JSON with the
        # request id; gunicorn's own log carries worker starts and stops.
        "accesslog": None,
        "errorlog": "-",
        "logger_class": JsonLogger,
        # A query may be 4,000 characters (MAX_QUERY_CHARS): URL-encoded, more than
        # gunicorn's default request line of 4,094 bytes. 8,190 is its maximum, and
        # nginx's default buffer for a request line is the same 8 KB.
        "limit_request_line": 8190,
        # A results page's links carry the query, and the browser sends the page's
        # URL back as Referer: a header must hold a whole request line and more.
        "limit_request_field_size": 16380,
        # A worker whose app has been busy with one request for this long is restarted
        # (GuardedThreadWorker.notify), as the sync worker was.
        "timeout": 60,
        "graceful_timeout": 10,
        "proc_name": "news-search",
        # gunicorn opens a control socket at one path per user ($XDG_RUNTIME_DIR or
        # ~/.gunicorn/gunicorn.ctl): a second instance takes it over from the first, and
        # the first to stop removes it from under the other. We are run by signals: none.
        "control_socket_disable": True,
    }


class AddressUnavailable(NewsSearchError):
    """``serve`` cannot listen where it was asked to."""


def check_address(host: str, port: int) -> None:
    """Fail at once, in one line, when ``host:port`` cannot be listened on. (gunicorn
    would try five times a second apart, log each try, then exit "Can't connect".)

    The port is bound and released again, with gunicorn's ``SO_REUSEADDR``: a socket
    merely waiting out TIME_WAIT does not count as in use, a listening one does."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise AddressUnavailable(f"--host {host}: {e.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                message = f"{where} is in use: stop what listens there, or choose another --port"
            elif e.errno == errno.EACCES:
                message = f"{where}: ports below 1024 need privileges; choose another --port"
            else:
                message = f"cannot listen on {where}: {e.strerror}"
            raise AddressUnavailable(message) from None


def run_gunicorn(app: Flask, host: str, port: int, workers: int, **overrides: Any) -> None:
    """Serve until stopped (SIGTERM or SIGINT stop it gracefully). ``overrides`` change
    gunicorn settings (bench/serve_workers.py compares worker models with them)."""
    _Server(app, {**gunicorn_options(host, port, workers), **overrides}).run()
