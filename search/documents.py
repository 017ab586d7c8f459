"""One article from the index: for the article page and ``/api/articles/<id>``.

Gives the whole article as indexed, its body highlighted for the query a reader
arrived with, the articles most like it (Whoosh's key-term extraction, ranked by our
BM25F), and the previous/next stories when their titles are in the archive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from markupsafe import Markup

from search.analysis import terms
from search.articles import TAG_FIELDS, Article
from search.backends.whoosh.matching import match_set
from search.backends.whoosh.ranking import rank
from search.backends.whoosh.store import IndexStore, Snapshot, open_store
from search.errors import NotFound
from search.layout import day_date
from search.query import Node, Nothing, Or, Phrase, Term
from search.query_text import prepare
from search.querying import expand, highlight_terms, parse_query
from search.snippets import highlight_text

__all__ = ["ArticleLink", "ArticleView", "get_article"]

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")
MORE_LIKE_THIS = 5


@dataclass(frozen=True)
class ArticleLink:
    """Another article, as a link."""

    id: str
    title: str
    published: date

    @property
    def url(self) -> str:
        return f"/articles/{self.id}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "published": self.published.isoformat(),
            "url": self.url,
        }


@dataclass(frozen=True)
class ArticleView:
    """An article with what its page shows around it."""

    article: Article
    #: The title, standfirst and body paragraphs, escaped, the query's terms marked.
    title_html: Markup
    standfirst_html: Markup
    body_html: list[Markup]
    more_like_this: list[ArticleLink] = field(default_factory=list)
    previous: ArticleLink | None = None
    next: ArticleLink | None = None
    #: Names of the article's metadata codes, where its archive gives them.
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def label(self, kind: str, code: str) -> str:
        """What a reader sees for one of the article's codes."""
        return self.labels.get(kind, {}).get(code) or code

    def to_dict(self) -> dict[str, Any]:
        d = self.article.to_dict()
        d.pop("path", None)  # where the file lives on the server is not the reader's business
        # ``url`` is the article's page here, as in search results; the original's
        # address (the Article's ``url``) is ``original_url``.
        d["original_url"] = self.article.url or None
        d["url"] = f"/articles/{self.article.id}"
        d["more_like_this"] = [a.to_dict() for a in self.more_like_this]
        d["previous"] = self.previous.to_dict() if self.previous else None
        d["next"] = self.next.to_dict() if self.next else None
        names = dict(TAG_FIELDS)  # keyed as the article's lists are: "topics"
        d["labels"] = {names[kind]: dict(codes) for kind, codes in self.labels.items() if codes}
        return d


def _article(snap: Snapshot, docnum: int) -> Article:
    f = snap.searcher.stored_fields(docnum)
    crawled = f.get("crawled")
    return Article(
        id=f["id"],
        path=f.get("path") or "",
        title=f.get("title") or "",
        published=day_date(int(snap.day[docnum])),
        body=tuple(p for p in (f.get("body") or "").split("\n\n") if p),
        standfirst=f.get("standfirst") or "",
        crawled=date.fromisoformat(crawled) if crawled else None,
        reading_minutes=f.get("reading_minutes"),
        section=f.get("section") or "",
        source=f.get("source") or "",
        related=tuple(f.get("related") or ()),
        previous_title=f.get("previous_title") or "",
        next_title=f.get("next_title") or "",
        content_hash=f.get("content_hash") or "",
        url=f.get("url") or "",
        **_tags(f.get("tags") or ""),
    )


def _tags(stored: str) -> dict[str, tuple[str, ...]]:
    """The Article fields of the stored "kind:value,…" metadata."""
    values: dict[str, list[str]] = {}
    for item in stored.split(","):
        kind, _, value = item.partition(":")
        if value:
            values.setdefault(kind, []).append(value)
    return {attr: tuple(values.get(kind, ())) for kind, attr in TAG_FIELDS}


def _link(snap: Snapshot, docnum: int) -> ArticleLink:
    f = snap.searcher.stored_fields(docnum)
    return ArticleLink(f["id"], f.get("title") or "", day_date(int(snap.day[docnum])))


def _by_title(snap: Snapshot, title: str) -> ArticleLink | None:
    """The newest article whose headline is exactly ``title``, if any."""
    if not title.strip():
        return None
    words = tuple(terms(title))
    if not words:
        return None
    q: Node = Phrase("title", words) if len(words) > 1 else Term("title", words[0])
    found = match_set(q, snap.searcher, snap.live, snap.term_cache)
    wanted = " ".join(title.split()).casefold()
    best: int | None = None
    for d in found.tolist():
        got = " ".join((snap.searcher.stored_fields(d).get("title") or "").split()).casefold()
        if got == wanted and (best is None or snap.day[d] > snap.day[best]):
            best = d
    return _link(snap, best) if best is not None else None


def _more_like(snap: Snapshot, docnum: int, article: Article) -> list[ArticleLink]:
    text = " ".join([article.title, article.standfirst, article.text])
    keys = snap.searcher.key_terms_from_text("body", text, numterms=12)
    if not keys:
        return []
    q = Or(tuple(Term("body", word, boost=weight) for word, weight in keys))
    found = match_set(q, snap.searcher, snap.live, snap.term_cache)
    matched = found[found != docnum]
    ranked = rank(
        q, snap.searcher, matched, MORE_LIKE_THIS, snap.field_lengths(), snap.posting_cache
    )
    return [_link(snap, d) for d, _ in ranked]


def get_article(
    article_id: str, query: str = "", *, index: IndexStore | str | Path | None = None
) -> ArticleView:
    """The article with this id, or raise :class:`NotFound`.

    ``query`` (the search a reader came from) marks its terms in the title and text.
    """
    if not _ID.fullmatch(article_id or ""):
        raise NotFound(f"no article with id {article_id!r}")
    snap = open_store(index).snapshot()
    docnum = snap.docnum_for(article_id)
    article = _article(snap, docnum)
    marked: frozenset[str] = frozenset()
    title_terms: frozenset[str] = frozenset()
    q = parse_query(prepare(query or "").text)
    if not isinstance(q, Nothing):
        q = expand(q, snap, [])
        marked = highlight_terms(q)
        title_terms = highlight_terms(q, ("title",))
    return ArticleView(
        article=article,
        title_html=highlight_text(article.title, title_terms),
        standfirst_html=highlight_text(article.standfirst, marked),
        body_html=[highlight_text(p, marked) for p in article.body],
        more_like_this=_more_like(snap, docnum, article),
        previous=_by_title(snap, article.previous_title),
        next=_by_title(snap, article.next_title),
        labels={
            kind: {c: snap.labels[kind][c] for c in codes if c in snap.labels.get(kind, {})}
            for kind, codes in article.tags().items()
        },
    )
