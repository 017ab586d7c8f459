"""Request ids and structured logs: one JSON line per request, one per error.

Every request gets an id: the caller's ``X-Request-Id`` when it is a sane token (a
proxy's id carries through), else a new one. It is sent back in the ``X-Request-Id``
header, carried by every JSON error, and written in the access line and in the error
line, so a user's report of an error leads to its traceback in the log.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

from search.export import json_line

__all__ = ["JsonFormatter", "configure_logging", "init_app", "request_id"]

access_log = logging.getLogger("news_search.access")

_INCOMING_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
#: Longer query strings are cut in the access line (the line stays one screen wide).
MAX_LOGGED_QUERY = 300


def request_id() -> str:
    """The current request's id ("-" outside a request)."""
    if not has_request_context():
        return "-"
    rid: str | None = g.get("request_id")
    return rid or "-"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event, message, then the record's
    ``fields`` (``extra={"fields": {...}}``), and the traceback as one string."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": getattr(record, "event", "message"),
            "pid": record.process,
        }
        message = record.getMessage()
        if message:
            data["message"] = message
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update(fields)
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        # One line for any reader: a path or query may hold U+0085 or U+2028, which
        # JSON leaves raw and str.splitlines() splits on.
        return json_line(data)


def configure_logging(level: int = logging.INFO) -> None:
    """Send the ``news_search`` loggers (engine and web) to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("news_search")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def init_app(app: Flask) -> None:
    """Give each request an id and log it when it is answered."""

    @app.before_request
    def start() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex[:16]
        g.started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers["X-Request-Id"] = request_id()
        started = g.get("started")
        query = request.query_string.decode("latin-1")
        fields: dict[str, Any] = {
            "request_id": request_id(),
            "method": request.method,
            "path": request.path,
            "query": query[:MAX_LOGGED_QUERY],
            "status": response.status_code,
            "ms": 0.0,
            "bytes": None,
            "remote": request.remote_addr,
        }
        if response.is_streamed:
            # Counting the bytes now would build the whole stream in memory before its
            # first byte: the line is written when the stream ends (or is cut off).
            response.response = _CountedStream(response.response, fields, started)
        else:
            fields["bytes"] = response.calculate_content_length()
            _log_request(fields, started)
        return response


def _log_request(fields: dict[str, Any], started: float | None) -> None:
    ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    fields["ms"] = round(ms, 1)
    access_log.info("", extra={"event": "request", "fields": fields})


class _CountedStream:
    """A streamed body passed through as it is produced, counting its bytes; its access
    line is written when the server closes it: ``ms`` to the last byte, and
    ``complete`` false when the client went away (or the stream failed) before the end."""

    def __init__(self, body: Iterable[str | bytes], fields: dict[str, Any], started: float | None):
        self._body = body
        self._fields = fields
        self._started = started
        self._sent = 0
        self._complete = False
        self._logged = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            data = chunk.encode() if isinstance(chunk, str) else chunk
            self._sent += len(data)
            yield data
        self._complete = True

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            if not self._logged:
                self._logged = True
                self._fields.update(bytes=self._sent, streamed=True, complete=self._complete)
                _log_request(self._fields, self._started)
