"""The web front end: the readers' search page and the developers' JSON API.

Both call the engine's one ``search()``; nothing here knows how the index works.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request

from search import budget
from search.backends.whoosh.store import IndexStore, default_location, open_store
from search.errors import NewsSearchError
from web.turns import BODY_IN_MEMORY

__all__ = ["create_app", "store", "warm"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The application: defaults, then ``instance/config.py``, then the environment
    (``NEWS_SEARCH_INDEX``, ``NEWS_SEARCH_BASE_URL``), then ``config`` (tests pass
    theirs here). A ``BASE_URL`` that is not an http(s) address raises
    :class:`~search.errors.InvalidParameter` (one line from ``serve``)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        INDEX=str(default_location()),
        PER_PAGE=10,
        JSON_SORT_KEYS=False,
        # One search's deadline (search/budget.py): CPU-seconds of its thread, and
        # seconds on the clock; past it the search ends with a 503 and Retry-After.
        SEARCH_CPU_SECONDS=budget.SEARCH_CPU_SECONDS,
        SEARCH_WALL_SECONDS=budget.SEARCH_WALL_SECONDS,
    )
    app.config.from_pyfile("config.py", silent=True)
    if os.environ.get("NEWS_SEARCH_INDEX"):
        app.config["INDEX"] = os.environ["NEWS_SEARCH_INDEX"]
    if os.environ.get("NEWS_SEARCH_TIMEOUT"):
        app.config["SEARCH_CPU_SECONDS"] = float(os.environ["NEWS_SEARCH_TIMEOUT"])
    if os.environ.get("NEWS_SEARCH_BASE_URL"):
        app.config["BASE_URL"] = os.environ["NEWS_SEARCH_BASE_URL"]
    if config:
        app.config.from_mapping(config)
    if app.config.get("BASE_URL"):
        from web.links import check_base_url

        app.config["BASE_URL"] = check_base_url(app.config["BASE_URL"])
    app.json.sort_keys = False  # type: ignore[attr-defined]
    init_app(app)

    from web import api, caching, cors, errors, feed, logs, pages, security

    logs.init_app(app)
    security.init_app(app)
    cors.init_app(app)
    caching.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(feed.bp)
    errors.init_app(app)
    _compress(app)
    return app


def _compress(app: Flask) -> None:
    """Compress JSON, HTML, the feed, CSS and SVG for clients that accept it (zstd,
    brotli, gzip; bench/compression.py measures the cost). Registered last, so it runs
    first after a view: the access line counts the bytes actually sent. Streamed
    exports are sent as they are made (a proxy may compress them)."""
    from flask_compress import Compress

    app.config.setdefault("COMPRESS_STREAMS", False)
    app.config.setdefault("COMPRESS_MIN_SIZE", 1024)
    Compress(app)


def init_app(app: Flask) -> None:
    """Open the index once per process; every request reuses it, and gives its searches
    the configured deadline."""
    app.extensions["news_search"] = open_store(app.config["INDEX"])
    limits = (float(app.config["SEARCH_CPU_SECONDS"]), float(app.config["SEARCH_WALL_SECONDS"]))
    if not min(limits) > 0:  # refused at start-up, not at the first request
        raise ValueError(f"SEARCH_CPU_SECONDS and SEARCH_WALL_SECONDS must be > 0: {limits}")

    @app.before_request
    def search_limits() -> None:
        budget.use_limits(*limits)

    @app.after_request
    def say_if_in_memory(response: Response) -> Response:
        # serve's worker then takes such a body whole in the request's one turn at the
        # app; a streamed one (an export) is read a step per turn (web/turns.py).
        request.environ[BODY_IN_MEMORY] = not response.is_streamed
        return response


def warm(app: Flask) -> None:
    """Read the index and its lexicon now (a served worker does before it accepts
    connections), so that no reader waits for them. An index that cannot be read is
    left for the first request to report."""
    if "news_search" not in app.extensions:
        return  # not our app (bench/ and tests serve stand-ins through the same worker)
    started = time.perf_counter()
    with contextlib.suppress(NewsSearchError):
        snap = store(app).snapshot()
        if snap.lexicon is not None:
            snap.lexicon.load()
        ms = round((time.perf_counter() - started) * 1000, 1)
        logging.getLogger("news_search.web").info(
            "index and lexicon read before the first request",
            extra={"event": "warmed", "fields": {"generation": snap.generation, "ms": ms}},
        )


def store(app: Flask) -> IndexStore:
    s: IndexStore = app.extensions["news_search"]
    return s
