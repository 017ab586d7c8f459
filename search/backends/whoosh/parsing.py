"""The query language read by Whoosh's query parser, and its tree made ours.

Whoosh's parser (used as a library: it needs no index) reads the operators, groups,
fields, phrases, prefixes, wildcards, fuzzy terms and boosts of the query language;
the tree it makes is converted at once into search.query's, which is what every
backend receives. search.querying.parse_query is the entry point (it adds the lenient
reading and the notes).
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.qparser import FuzzyTermPlugin, MultifieldParser, OrGroup
from whoosh.qparser.plugins import RangePlugin, SingleQuotePlugin

from search import query as q
from search.backends.whoosh.schema import ArticleSchema

__all__ = ["SEARCH_FIELDS", "parse", "to_node", "whoosh_query"]

SEARCH_FIELDS = ("title", "standfirst", "body")

_PARSERS: dict[str, MultifieldParser] = {}


def _parser(match: str = "all") -> MultifieldParser:
    """Whoosh's parser for one match mode: bare words joined by AND, or by OR."""
    p = _PARSERS.get(match)
    if p is None:
        kwargs = {"group": OrGroup} if match == "any" else {}
        p = MultifieldParser(list(SEARCH_FIELDS), ArticleSchema(), **kwargs)
        # 'single quotes' are apostrophes in news text, and [a TO b] ranges on words
        # mean nothing to a reader; date ranges are read before Whoosh sees the text.
        p.remove_plugin_class(SingleQuotePlugin)
        p.remove_plugin_class(RangePlugin)
        p.add_plugin(FuzzyTermPlugin())
        _PARSERS[match] = p
    return p


def _exclusions_apart(node: wq.Query) -> wq.Query:
    """In "any" mode, ``a b -c`` means (a OR b) AND NOT c, as a reader (and
    Elasticsearch's bool query) means it; Whoosh's OR group reads it as
    a OR b OR (NOT c), which matches nearly everything.

    Whoosh flattens an OR inside an OR, so a parenthesised exclusion applies to the
    whole query: ``(a -b) c`` is (a OR c) AND NOT b, and ``a -(b c)`` excludes both b
    and c (in "all" mode, articles with both). ``a OR NOT b`` is a AND NOT b."""
    if isinstance(node, wq.Or):
        kids = [_exclusions_apart(c) for c in node.subqueries]
        excluded = [c.query for c in kids if isinstance(c, wq.Not)]
        wanted = [c for c in kids if not isinstance(c, wq.Not)]
        if not excluded:
            return wq.Or(kids, boost=node.boost)
        nots = wq.Not(excluded[0] if len(excluded) == 1 else wq.Or(excluded))
        if not wanted:
            return nots
        # The group's boost (``(a b -c)^2``) stays on what it scores.
        return wq.And([wanted[0] if len(wanted) == 1 else wq.Or(wanted), nots], boost=node.boost)
    if node.children():
        return node.apply(_exclusions_apart)
    return node


def whoosh_query(text: str, match: str = "all") -> wq.Query:
    """Whoosh's own query for a prepared query text (what :func:`parse` converts; the
    tests check our matching and counts against Whoosh's searcher with it).

    Raises what Whoosh's parser raises on the few operator tangles it cannot read
    (``(NOT AND )``)."""
    node = _parser(match).parse(text).normalize()
    if match == "any" and node is not wq.NullQuery:
        node = _exclusions_apart(node).normalize()
    return node


def parse(text: str, match: str = "all") -> q.Node:
    """The tree of a prepared query text, its bare words joined as ``match`` says.

    Raises what Whoosh's parser raises on the few operator tangles it cannot read
    (``(NOT AND )``); the caller reads the words alone instead."""
    return to_node(whoosh_query(text, match))


def _text(t: str | bytes) -> str:
    return t.decode("utf-8") if isinstance(t, bytes) else str(t)


def to_node(node: wq.Query) -> q.Node:
    """Whoosh's query tree as search.query's."""
    boost = float(getattr(node, "boost", 1.0) or 1.0)
    if node is wq.NullQuery or isinstance(node, wq.NullQuery.__class__):
        return q.NOTHING
    if isinstance(node, wq.Every):
        return q.EVERY
    if isinstance(node, wq.FuzzyTerm):
        return q.Fuzzy(
            node.fieldname, _text(node.text), int(node.maxdist), int(node.prefixlength), boost
        )
    if isinstance(node, wq.Prefix):
        return q.Prefix(node.fieldname, _text(node.text), boost)
    if isinstance(node, wq.Wildcard):
        return q.Wildcard(node.fieldname, _text(node.text), boost)
    if isinstance(node, wq.Term):
        return q.Term(node.fieldname, _text(node.text), boost)
    if isinstance(node, wq.Phrase):
        return q.Phrase(node.fieldname, tuple(_text(w) for w in node.words), int(node.slop), boost)
    if isinstance(node, wq.Not):
        return q.Not(to_node(node.query))
    if isinstance(node, wq.AndNot):
        return q.AndNot(to_node(node.a), to_node(node.b), boost)
    if isinstance(node, wq.AndMaybe):
        return q.AndMaybe(to_node(node.a), to_node(node.b), boost)
    if isinstance(node, wq.And):
        return q.And(tuple(to_node(c) for c in node.subqueries), boost)
    if isinstance(node, (wq.Or, wq.DisjunctionMax)):
        return q.Or(tuple(to_node(c) for c in node.subqueries), boost)
    # Nothing else is made by this parser's plugins; any other kind is read as its words.
    words = tuple(q.Term(f, _text(t), boost) for f, t in node.iter_all_terms())
    return q.Or(words, boost) if words else q.NOTHING
