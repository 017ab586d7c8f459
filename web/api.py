"""The JSON API: the same searches as the page, for developers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    stream_with_context,
)

from search.documents import get_article
from search.export import check_format, export, export_lines
from search.querying import search
from search.request import SearchRequest
from web import store
from web.api_docs import describe
from web.links import public_base
from web.openapi import openapi_document
from web.params import flag, search_params

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def api_search() -> Any:
    """Search the archive: the JSON of `news-search query --json`."""
    params = search_params(request.args, current_app.config["PER_PAGE"])
    page = search(SearchRequest.of(**params), index=store(current_app))
    return jsonify(page.to_dict())


EXPORT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}


@bp.get("/export")
def api_export() -> Any:
    """Every match of a search (not a page), streamed as CSV or JSON Lines."""
    fmt = request.args.get("format", "csv")
    check_format(fmt)  # before the export's work, not when the first row is due
    params = search_params(request.args)
    for name in ("page", "per_page", "facet_size", "relax"):
        params.pop(name)
    result = export(
        SearchRequest.of(**params), body=flag(request.args, "body"), index=store(current_app)
    )
    response = Response(
        stream_with_context(_pieces(export_lines(result, fmt))),
        mimetype=EXPORT_TYPES[fmt],
    )
    response.headers["Content-Disposition"] = f'attachment; filename="news-search.{fmt}"'
    response.headers["X-Total-Count"] = str(result.total)
    return response


#: Export lines are sent in pieces of about this many characters: one write (and one
#: HTTP chunk) for each, not one per article.
EXPORT_PIECE = 32 * 1024


def _pieces(lines: Iterator[str]) -> Iterator[str]:
    """The first line at once (the download starts), then lines joined into pieces."""
    batch: list[str] = []
    size = EXPORT_PIECE  # so the first line goes out alone
    for line in lines:
        batch.append(line)
        size += len(line)
        if size >= EXPORT_PIECE:
            yield "".join(batch)
            batch, size = [], 0
    if batch:
        yield "".join(batch)


@bp.get("/articles/<article_id>")
def api_article(article_id: str) -> Any:
    """One article, whole, with related articles and its neighbours."""
    view = get_article(article_id, request.args.get("q", ""), index=store(current_app))
    return jsonify(view.to_dict())


@bp.get("/health")
def health() -> Any:
    """Whether the index can be read, how many articles it holds, and which build it is."""
    index = store(current_app)
    snap = index.snapshot()
    if index.stale_error is not None:
        # Searches still answer from the copy in memory, but the index on disk is broken:
        # a load balancer should know, and a restart would not come back.
        raise index.stale_error
    return jsonify(
        {
            "ok": True,
            "articles": snap.doc_count,
            "generation": snap.generation,
            "toc_generation": snap.toc_generation,
            "built_at": snap.summary.get("built_at"),
            "updated_at": snap.summary.get("updated_at"),
        }
    )


@bp.get("/docs")
def docs() -> Any:
    """The API's documentation as a page (the OpenAPI document, rendered here)."""
    doc = openapi_document(public_base())
    endpoints, schemas = describe(doc)
    return render_template("api_docs.html", doc=doc, endpoints=endpoints, schemas=schemas)


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document(public_base()))
