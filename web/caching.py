"""HTTP caching: what a search or an article says changes only when the index does.

Search results, article pages and the feed are a function of the URL, the live index
(its generation and table of contents) and this code (its version and a digest of its
files). So their ``ETag`` is
made of those three, weak (``W/``: the bodies carry ``took_ms`` and may differ in it),
and a request whose ``If-None-Match`` names the current one is answered ``304 Not
Modified`` *before* it is searched: a client or a proxy revalidating costs no search.

``Cache-Control`` says how long an answer may be reused without asking: a minute for
searches and the feed (an update shows within it), five minutes for an article. Errors,
exports (a download), health and the error pages are never cached.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from flask import Flask, Response, current_app, g, request

import search
from web import store

__all__ = ["CACHED", "init_app"]


def _code_version() -> str:
    """The package's version and a digest of its code, templates and stylesheet: an
    upgrade changes what pages say even when the version number stays."""
    try:
        number = version("news-search")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout, not installed
        number = "dev"
    digest = hashlib.sha1(usedforsecurity=False)
    for package in (Path(__file__).parent, Path(search.__file__).parent):
        for path in sorted(package.rglob("*")):
            if path.suffix in (".py", ".html", ".css", ".svg") and path.is_file():
                digest.update(path.read_bytes())
    return f"{number}-{digest.hexdigest()[:10]}"


VERSION = _code_version()

#: Endpoint -> Cache-Control of its successful answers.
CACHED = {
    "api.api_search": "public, max-age=60",
    "pages.index": "public, max-age=60",
    "feed.feed": "public, max-age=60",
    "api.api_article": "public, max-age=300",
    "pages.article": "public, max-age=300",
}


def _etag() -> str:
    snap = store(current_app).snapshot()
    return f"{snap.generation}.{snap.toc_generation}.{VERSION}"


def init_app(app: Flask) -> None:
    @app.before_request
    def not_modified() -> Response | None:
        if request.endpoint not in CACHED or request.method not in ("GET", "HEAD"):
            return None
        # Taken once, before the work: the answer is of this state of the index.
        g.etag = _etag()
        inm = request.if_none_match
        # "*" (any representation) is not taken on trust: the request is answered.
        if inm and not inm.star_tag and inm.contains_weak(g.etag):
            response = Response(status=304)
            response.set_etag(g.etag, weak=True)
            response.headers["Cache-Control"] = CACHED[request.endpoint]
            return response
        return None

    @app.after_request
    def cache_headers(response: Response) -> Response:
        etag = g.get("etag")
        if etag is not None and response.status_code == 200:
            response.set_etag(etag, weak=True)
            response.headers["Cache-Control"] = CACHED[request.endpoint or ""]
        elif "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response
