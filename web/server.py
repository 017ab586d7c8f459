"""Run the app under gunicorn, the production WSGI server."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.config import KNOWN_SETTINGS

__all__ = ["run_gunicorn"]

#: gunicorn >= 25.1 opens a control socket at one path per user ($XDG_RUNTIME_DIR or
#: ~/.gunicorn/gunicorn.ctl): a second instance takes it over from the first, and the
#: first to stop removes it from under the other. We are run by signals: none.
_NO_CONTROL_SOCKET = (
    {"control_socket_disable": True}
    if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS)
    else {}
)


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def run_gunicorn(app: Flask, host: str, port: int, workers: int) -> None:
    """Serve until stopped (SIGTERM or SIGINT stop it gracefully)."""
    _Server(
        app,
        {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": workers,
            "worker_class": "sync",
            # The app writes the access lines itself (web/logs.py), as JSON with the
            # request id; gunicorn's own log carries worker starts and stops.
            "accesslog": None,
            "errorlog": "-",
            # A query may be 4,000 characters (MAX_QUERY_CHARS): URL-encoded, more than
            # gunicorn's default request line of 4,094 bytes. 8,190 is its maximum, and
            # nginx's default buffer for a request line is the same 8 KB.
            "limit_request_line": 8190,
            # A results page's links carry the query, and the browser sends the page's
            # URL back as Referer: a header must hold a whole request line and more.
            "limit_request_field_size": 16380,
            "timeout": 60,
            "graceful_timeout": 10,
            "proc_name": "news-search",
            **_NO_CONTROL_SOCKET,
        },
    ).run()
