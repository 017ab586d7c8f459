"""Where links to this service start: the configured public address, or the request's.

Used by every absolute link we emit (the Atom feed, the OpenAPI ``servers`` entry).
"""

from __future__ import annotations

import re

from flask import current_app, request

from search.errors import InvalidParameter

__all__ = ["check_base_url", "public_base"]


def check_base_url(value: str) -> str:
    """A public base URL as configured (``https://news.example.org`` or with a path
    prefix, ``https://example.org/news``), without its final slash; or raise
    :class:`InvalidParameter` saying what it must be."""
    url = value.strip().rstrip("/")
    m = re.fullmatch(r"(?i)https?://[^\s/?#@]+(/[^\s?#]*)?", url)
    if m is None:
        raise InvalidParameter(
            "NEWS_SEARCH_BASE_URL",
            "must be an absolute http(s) address with no query, fragment or user, "
            f"such as https://news.example.org, not {value!r:.80}",
        )
    return url


def public_base() -> str:
    """Where links to this service start: ``BASE_URL`` (``NEWS_SEARCH_BASE_URL``) when
    configured, else the scheme and ``Host`` of the request (no ``X-Forwarded-*``
    header is read)."""
    configured: str | None = current_app.config.get("BASE_URL")
    return configured or request.host_url.rstrip("/")
