"""Subscribe to a search: an Atom feed (RFC 4287) of the newest articles matching a query.

``/feed?q=…`` takes the search page's parameters (``q``, ``match``, ``from``, ``to``,
``section`` and the metadata filters)
and lists the newest matches first, so a feed reader polling it sees each new article
once. The XML is written with ElementTree, which escapes every text and attribute; what
XML 1.0 cannot carry at all (control characters other than tab and line ends, U+FFFE,
U+FFFF, lone surrogates), which scraped text does hold, is dropped from each text and
attribute first (:func:`xml_text`). The stored article keeps them: JSON escapes them,
CSV and HTML carry them as they are, and the JSON Lines export stays exact.

Links are absolute: they start with the configured public address
(``NEWS_SEARCH_BASE_URL``, :func:`web.links.public_base`), or the request's ``Host`` when none is.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, current_app, request, url_for
from werkzeug.datastructures import MultiDict

from search.querying import search
from search.request import TAG_KINDS, TAG_NAMES, SearchRequest
from search.results import SearchPage
from web import store
from web.links import public_base
from web.params import search_params

bp = Blueprint("feed", __name__)

ATOM = "http://www.w3.org/2005/Atom"
#: The search parameters a feed keeps (it is always newest first).
FEED_PARAMS = ("q", "match", "from", "to", "section", *TAG_NAMES.values(), *TAG_KINDS)
#: Entries in a feed (a reader polls it; the newest are what it needs).
FEED_ENTRIES = 30


#: What XML 1.0's ``Char`` production leaves out: C0 controls but tab, LF and CR;
#: surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters an XML 1.0 document cannot contain."""
    return _NOT_XML.sub("", text)


def feed_args(args: MultiDict[str, str] | None = None) -> dict[str, Any]:
    """The parameters a feed of this search keeps (of ``args``, else the request's)."""
    args = request.args if args is None else args
    out = {k: [v for v in args.getlist(k) if v] for k in FEED_PARAMS}
    return {k: v for k, v in out.items() if v}


def _stamp(d: date) -> str:
    """An RFC 3339 timestamp for a publication day (midnight UTC)."""
    return datetime.combine(d, time(0, 0), UTC).isoformat().replace("+00:00", "Z")


def _feed_title(page: SearchPage) -> str:
    what = f"“{page.query}”" if page.query else "all articles"
    parts = [f"News archive: {what}"]
    if page.sections:
        parts.append(f"in {' or '.join(page.sections)}")
    if page.date_from or page.date_to:
        lo = page.date_from.isoformat() if page.date_from else "…"
        hi = page.date_to.isoformat() if page.date_to else "…"
        parts.append(f"({lo} to {hi})")
    return " ".join(parts)


def atom_feed(page: SearchPage, self_url: str, html_url: str, base_url: str) -> bytes:
    """The Atom document for one page of results (newest first)."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: xml_text(v) for k, v in attrs.items()})
        if text is not None:
            el.text = xml_text(text)
        return el

    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", self_url)
    sub(feed, "title", _feed_title(page))
    newest = max((h.published for h in page.hits), default=None)
    sub(feed, "updated", _stamp(newest) if newest else _stamp(date(1970, 1, 1)))
    sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(feed, "link", rel="alternate", type="text/html", href=html_url)
    author = sub(feed, "author")
    sub(author, "name", "News archive search")
    sub(feed, "generator", "news-search")
    for hit in page.hits:
        entry = sub(feed, "entry")
        url = base_url + hit.url
        sub(entry, "id", url)
        sub(entry, "title", hit.title)
        sub(entry, "link", rel="alternate", type="text/html", href=url)
        sub(entry, "published", _stamp(hit.published))
        sub(entry, "updated", _stamp(hit.published))
        if hit.section:
            sub(entry, "category", term=hit.section)
        if hit.source:
            source_author = sub(entry, "author")
            sub(source_author, "name", hit.source)
        # The snippet is HTML (escaped text, <mark>s): Atom carries it as escaped HTML.
        sub(entry, "summary", str(hit.snippet), type="html")
    data: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return data


@bp.get("/feed")
def feed() -> Any:
    """An Atom feed of the newest articles matching the search."""
    params = search_params(request.args)
    # A feed is of what the search asks, strictly: no relaxing to any of the words.
    params.update(sort="newest", page=1, per_page=FEED_ENTRIES, half_life=None, relax=False)
    page = search(SearchRequest.of(**params), index=store(current_app))
    wanted = feed_args()
    base = public_base()
    body = atom_feed(
        page,
        self_url=base + url_for("feed.feed", **wanted),
        html_url=base + url_for("pages.index", **wanted, sort="newest"),
        base_url=base,
    )
    return Response(body, mimetype="application/atom+xml")
