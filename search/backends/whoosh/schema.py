"""The Whoosh schema of the article index, and the Whoosh analyzer its text fields share
(search.analysis's words and stems, as a Whoosh tokenizer)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from whoosh.analysis import Token, Tokenizer
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, FieldType, SchemaClass

from search.analysis import _NORMAL, STOP_WORDS, WORD, normalize_word, ym_of
from search.articles import Article

__all__ = ["SCHEMA_VERSION", "ArticleSchema", "NewsAnalyzer", "article_document", "news_analyzer"]

#: Bumped whenever the schema or the analyzer changes in a way that needs a rebuild.
SCHEMA_VERSION = 3


class NewsAnalyzer(Tokenizer):  # type: ignore[misc]
    """Words (with inner apostrophes and dots), lower-cased, accent-folded, English stop
    words removed, Porter2 (Snowball English)-stemmed; indexing and querying use the same chain.

    It does in one pass what ``RegexTokenizer | LowercaseFilter | CharsetFilter |
    StopFilter | StemFilter`` do in five chained generators, with a cache from surface
    word to indexed form: analysis is most of the cost of a build.
    """

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NewsAnalyzer)

    def __hash__(self) -> int:
        return hash(NewsAnalyzer)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.boost = 1.0
        t.stopped = False
        if not tokenize:
            if value.lower() in STOP_WORDS:
                if removestops:
                    return
                t.stopped = True
            t.original = value
            t.text = normalize_word(value)
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char + len(value)
            yield t
            return
        pos = start_pos
        stops = STOP_WORDS
        normal = _NORMAL
        for m in WORD.finditer(value):
            word = m.group()
            if word.lower() in stops:
                if removestops:
                    continue
                t.stopped = True
            else:
                t.stopped = False
            if keeporiginal:
                t.original = word
            norm = normal.get(word)
            t.text = norm if norm is not None else normalize_word(word)
            if positions:
                t.pos = pos
                pos += 1
            if chars:
                t.startchar = start_char + m.start()
                t.endchar = start_char + m.end()
            yield t


def _column_only(field: FieldType) -> FieldType:
    """Keep a field's stored value and column, but index no terms for it."""
    field.indexed = False
    return field


def news_analyzer() -> NewsAnalyzer:
    """The analyzer of every text field."""
    return NewsAnalyzer()


class ArticleSchema(SchemaClass):  # type: ignore[misc]
    """One document per article.

    Stored fields are only those a reader is shown (the result list, the article page
    and its snippets) or that ``update`` compares; everything else is index-only.
    """

    #: Stored: every hit and every link carries it; unique so update can replace by it.
    id = ID(stored=True, unique=True)
    #: Stored: ``update`` removes articles whose file is gone, and ``parse`` shows it.
    path = ID(stored=True)
    #: Stored: ``update`` compares it to decide whether an article changed.
    content_hash = STORED()
    #: Stored: the headline is shown in every hit and highlighted; boosted in ranking.
    title = TEXT(analyzer=news_analyzer(), stored=True, field_boost=2.5)
    #: Stored: shown as the snippet when only the title matches, and on the article page.
    standfirst = TEXT(analyzer=news_analyzer(), stored=True, field_boost=1.5)
    #: Stored: snippets are cut from the whole body; the article page shows it.
    body = TEXT(analyzer=news_analyzer(), stored=True)
    # The fields below are columns, not indexed terms: dates, sections and sources are
    # filtered, sorted and counted from per-article columns held in memory
    # (search.store), which is what makes date ranges and facets cheap. Indexing them
    # as terms would only slow the build (a date is ~8 trie terms per article).
    #: Stored and sortable: shown in hits, sorts newest/oldest, read into the date column.
    published = _column_only(DATETIME(stored=True, sortable=True))
    #: Column only: year*100+month, the year and month facets.
    ym = _column_only(NUMERIC(int, bits=32, sortable=True, signed=False))
    #: Stored and sortable: shown in hits; filter and facet.
    section = _column_only(ID(stored=True, sortable=True))
    #: Stored and sortable: shown in hits; facet.
    source = _column_only(ID(stored=True, sortable=True))
    #: Stored and indexed as terms "kind:value" (topic:coffee, place:brazil): the
    #: metadata facets and filters, read into per-value document sets (search.store);
    #: stored for the article page and the JSON. Not scored, not in the query language.
    tags = KEYWORD(stored=True, commas=True, lowercase=False, scorable=False)
    #: Stored only: the article's near-duplicate sketch (search.stories), so that an
    #: update can cluster new articles with old ones without reading their text again.
    sketch = STORED()
    #: Stored only: the article page shows them; never searched.
    crawled = STORED()
    reading_minutes = STORED()
    related = STORED()
    previous_title = STORED()
    next_title = STORED()
    #: Stored only: the original's address, a link on the article page and in the JSON
    #: and exports; never searched (an address is not words a reader looks for), and not
    #: a column (nothing filters or counts by it). Indexes built before it lack the field:
    #: they read as articles without one, and ``update`` leaves it out of their documents.
    url = STORED()


def article_document(a: Article, sketch: bytes = b"") -> dict[str, Any]:
    """The Whoosh document for an article (``sketch``: its encoded stories sketch)."""
    return {
        "sketch": sketch,
        "id": a.id,
        "path": a.path,
        "content_hash": a.content_hash,
        "title": a.title,
        "standfirst": a.standfirst,
        "body": a.text,
        "published": datetime(a.published.year, a.published.month, a.published.day),
        "ym": ym_of(a.published),
        "section": a.section,
        "source": a.source,
        "crawled": a.crawled.isoformat() if a.crawled else None,
        "reading_minutes": a.reading_minutes,
        "related": list(a.related),
        "previous_title": a.previous_title,
        "next_title": a.next_title,
        "url": a.url or None,
        "tags": ",".join(f"{kind}:{v}" for kind, values in a.tags().items() for v in values),
    }
