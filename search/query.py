"""A parsed query, as every backend receives it: a tree of small frozen values.

The query language (README, "Query language") is read leniently by
:func:`search.querying.parse_query` into this tree; a backend matches, ranks, prices
and highlights it (the Whoosh backend over its postings, another engine by translating
it into its own query language). Nothing here knows an engine.

Words in the tree are index terms (stems, as search.analysis makes them). Prefix,
wildcard and fuzzy terms are expanded into the words they stand for before a search
(:func:`search.querying.expand`), so what a backend matches and ranks is terms and
phrases combined by AND, OR and NOT.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

__all__ = [
    "EVERY",
    "NOTHING",
    "And",
    "AndMaybe",
    "AndNot",
    "Every",
    "Fuzzy",
    "Node",
    "Not",
    "Nothing",
    "Or",
    "Phrase",
    "Prefix",
    "Term",
    "Wildcard",
    "children",
    "rebuild",
]


@dataclass(frozen=True)
class Term:
    """One index term in one field."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    """Words in order, each within ``slop`` positions of the one before (1: adjacent)."""

    field: str
    words: tuple[str, ...]
    slop: int = 1
    boost: float = 1.0


@dataclass(frozen=True)
class Prefix:
    """Every word of the field that starts with ``text`` (``oil*``)."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Wildcard:
    """Every word of the field that the glob ``text`` matches (``wom?n``, ``pr*ct*``)."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Fuzzy:
    """Every word within ``maxdist`` edits of ``text`` sharing its first ``prefix``
    letters (``opec~``)."""

    field: str
    text: str
    maxdist: int = 1
    prefix: int = 1
    boost: float = 1.0


@dataclass(frozen=True)
class And:
    """Documents that match every item (an item that is a :class:`Not` excludes)."""

    items: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Or:
    """Documents that match any item, scored by the items they match."""

    items: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Not:
    """Documents that do not match ``item`` (never scored)."""

    item: Node
    boost: float = 1.0


@dataclass(frozen=True)
class AndNot:
    """Documents matching ``positive`` and not ``negative`` (``a ANDNOT b``)."""

    positive: Node
    negative: Node
    boost: float = 1.0


@dataclass(frozen=True)
class AndMaybe:
    """Documents matching ``required``; ``optional`` adds to their score where it matches."""

    required: Node
    optional: Node
    boost: float = 1.0


@dataclass(frozen=True)
class Every:
    """Every document (a search with no words: browsing)."""

    boost: float = 1.0


@dataclass(frozen=True)
class Nothing:
    """No document (only stop words were given, or an expansion found no word)."""

    boost: float = 1.0


EVERY = Every()
NOTHING = Nothing()

Node = (
    Term | Phrase | Prefix | Wildcard | Fuzzy | And | Or | Not | AndNot | AndMaybe | Every | Nothing
)


def children(q: Node) -> tuple[Node, ...]:
    """The sub-queries of a compound query (none for a leaf)."""
    if isinstance(q, (And, Or)):
        return q.items
    if isinstance(q, Not):
        return (q.item,)
    if isinstance(q, AndNot):
        return (q.positive, q.negative)
    if isinstance(q, AndMaybe):
        return (q.required, q.optional)
    return ()


def rebuild(q: Node, fn: Callable[[Node], Node]) -> Node:
    """``q`` with ``fn`` applied to each of its sub-queries (``q`` itself if a leaf)."""
    if isinstance(q, (And, Or)):
        return replace(q, items=tuple(fn(c) for c in q.items))
    if isinstance(q, Not):
        return replace(q, item=fn(q.item))
    if isinstance(q, AndNot):
        return replace(q, positive=fn(q.positive), negative=fn(q.negative))
    if isinstance(q, AndMaybe):
        return replace(q, required=fn(q.required), optional=fn(q.optional))
    return q
