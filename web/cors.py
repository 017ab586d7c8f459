"""Cross-origin reads: a page on any other origin may read the API and the feed.

Everything we serve there is public and read-only (GET and HEAD), and no cookie or
credential is involved, so ``*`` is safe. What a browser needs beyond that:

* the preflight (``OPTIONS``) must allow the request headers a developer sends:
  ``X-Request-Id`` (the README recommends sending one, so a request is found in our logs)
  and ``If-None-Match`` (revalidating a cached answer) are not on the browser's safe list;
* a script reads only the response headers it is told it may: ``X-Total-Count`` (the
  export's count), ``X-Request-Id``, ``ETag`` and ``Retry-After`` (after a 503) are ours.

The headers go on every response under :data:`CORS_PATHS`, errors and 404s included: a
script can read why its request failed.
"""

from __future__ import annotations

from flask import Flask, Response, request

__all__ = ["CORS_HEADERS", "CORS_PATHS", "init_app"]

#: Path prefixes served to other origins.
CORS_PATHS = ("/api/", "/feed")

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type, If-None-Match, X-Request-Id",
    "Access-Control-Expose-Headers": "ETag, Retry-After, X-Request-Id, X-Total-Count",
    "Access-Control-Max-Age": "86400",
}


def init_app(app: Flask) -> None:
    @app.after_request
    def cors(response: Response) -> Response:
        if request.path.startswith(CORS_PATHS):
            for name, value in CORS_HEADERS.items():
                response.headers.setdefault(name, value)
        return response
