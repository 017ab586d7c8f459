"""The records every reader produces: an :class:`Article`, or a :class:`Skip` that says why not.

Nothing here reads a file or knows about the index.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

__all__ = [
    "MAX_CONTAINER_BYTES",
    "MAX_FILE_BYTES",
    "TAG_FIELDS",
    "Article",
    "Note",
    "Skip",
]

#: The metadata facets (singular, as in ``topic=coffee``) and the Article field of each.
TAG_FIELDS: tuple[tuple[str, str], ...] = (
    ("topic", "topics"),
    ("place", "places"),
    ("person", "people"),
    ("org", "orgs"),
    ("exchange", "exchanges"),
)

#: A single article page larger than this is not an article (a dump, a binary, a mistake).
MAX_FILE_BYTES = 5 * 1024 * 1024
#: A container (JSON Lines export, Reuters SGML) may be larger, but not unboundedly so.
MAX_CONTAINER_BYTES = 2 * 1024 * 1024 * 1024


@dataclass(frozen=True)
class Article:
    """One news article, as read from its source."""

    id: str
    path: str
    title: str
    published: date
    body: tuple[str, ...] = ()
    standfirst: str = ""
    crawled: date | None = None
    reading_minutes: int | None = None
    section: str = ""
    source: str = ""
    related: tuple[str, ...] = ()
    previous_title: str = ""
    next_title: str = ""
    #: Subject metadata where the source has it (Reuters-21578 does): facets and filters.
    topics: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    exchanges: tuple[str, ...] = ()
    #: The article's original address (http or https), where the source gives one.
    url: str = ""
    content_hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.content_hash:
            object.__setattr__(self, "content_hash", self.compute_hash())

    def compute_hash(self) -> str:
        """Hash the article's own content.

        The scrape date and the page furniture that changes as other stories are
        published (previous/next story) are left out, so that a re-scrape of an
        unchanged article is recognised as unchanged.
        """
        own = [
            self.title,
            self.published.isoformat(),
            self.standfirst,
            *self.body,
            self.section,
            self.source,
            *self.related,
        ]
        for kind, values in self.tags().items():  # absent for articles without any
            own += [f"{kind}:{v}" for v in values]
        if self.url:  # absent for articles without one, whose hashes stay as they were
            own.append(f"url:{self.url}")
        h = hashlib.sha256()
        for part in own:
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        return h.hexdigest()[:32]

    def tags(self) -> dict[str, tuple[str, ...]]:
        """The metadata by facet name (``topic``, ``place``, …), only those present."""
        out = {kind: tuple(getattr(self, attr)) for kind, attr in TAG_FIELDS if getattr(self, attr)}
        return out

    @property
    def text(self) -> str:
        """The body as one string, paragraphs separated by blank lines."""
        return "\n\n".join(self.body)

    def to_dict(self) -> dict[str, Any]:
        """The fields by their names, dates as ISO 8601 (the JSON shape of ``parse --json``)."""
        d = asdict(self)
        d["published"] = self.published.isoformat()
        d["crawled"] = self.crawled.isoformat() if self.crawled else None
        d["body"] = list(self.body)
        d["related"] = list(self.related)
        for _, attr in TAG_FIELDS:
            d[attr] = list(getattr(self, attr))
        return d


@dataclass(frozen=True)
class Skip:
    """Something that was not read as an article, and why (one line)."""

    path: str
    reason: str
    #: True when the path could not be read at all (permissions, I/O): what the index
    #: holds from under it is kept, and the run's exit code says something was not read.
    #: False for what was read and is not an article (binary, no date, a bad record).
    unreadable: bool = False

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class Note:
    """Something a reader read but did not use, and says so (one line): not a skip, the
    articles are indexed, but nothing is silently dropped (``--strict`` fails on it)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"
