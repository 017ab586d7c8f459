"""Errors: one JSON envelope for the API, one page for readers, built in one place."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from search.errors import (
    IndexCorrupt,
    IndexLocked,
    IndexMissing,
    InvalidParameter,
    NewsSearchError,
    NotFound,
    QueryTooCostly,
    SearchTimeout,
)
from web.logs import request_id

__all__ = ["error_body", "init_app"]

log = logging.getLogger("news_search.web")

_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    500: "internal_error",
    503: "index_unavailable",
}


def error_body(
    status: int, message: str, code: str | None = None, request_id: str = "-"
) -> dict[str, Any]:
    """The one JSON shape of every API error; ``request_id`` finds its line in the log."""
    return {
        "error": {
            "status": status,
            "code": code or _CODES.get(status, "error"),
            "message": message,
            "request_id": request_id,
        }
    }


def _wants_json() -> bool:
    """The API and the feed are read by programs: their errors are the JSON envelope."""
    return request.path in ("/api", "/feed") or request.path.startswith("/api/")


def _respond(status: int, message: str, code: str | None = None) -> Response | tuple[Any, int]:
    if _wants_json():
        response = jsonify(error_body(status, message, code, request_id()))
        response.status_code = status
        return response
    return (
        render_template("error.html", status=status, message=message, request_id=request_id()),
        status,
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(InvalidParameter)
    def invalid(e: InvalidParameter) -> Any:
        return _respond(400, str(e), "invalid_parameter")

    @app.errorhandler(QueryTooCostly)
    def too_costly(e: QueryTooCostly) -> Any:
        return _respond(400, str(e), "query_too_costly")

    @app.errorhandler(SearchTimeout)
    def timed_out(e: SearchTimeout) -> Any:
        log.warning(str(e), extra={"event": "search_timeout", "fields": _where()})
        response = _respond(503, str(e), "search_timeout")
        if isinstance(response, tuple):
            response = Response(response[0], status=response[1])
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(NotFound)
    def not_found(e: NotFound) -> Any:
        return _respond(404, str(e))

    @app.errorhandler(IndexMissing)
    @app.errorhandler(IndexCorrupt)
    @app.errorhandler(IndexLocked)
    def unavailable(e: NewsSearchError) -> Any:
        log.error(str(e), extra={"event": "index_unavailable", "fields": _where()})
        return _respond(503, str(e))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Any:
        status = e.code or 500
        message = e.description or e.name
        if status == 404 and not isinstance(e.description, str):
            message = "no such page"
        response = _respond(status, message)
        allowed = getattr(e, "valid_methods", None)
        if status == 405 and allowed and isinstance(response, Response):
            response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> Any:
        log.exception(
            f"{type(e).__name__}: {e}".splitlines()[0],
            extra={"event": "exception", "fields": _where()},
        )
        return _respond(500, f"something went wrong on our side (request id {request_id()})")


def _where() -> dict[str, Any]:
    return {"request_id": request_id(), "method": request.method, "path": request.path}
