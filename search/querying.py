"""Answer a query: the one ``search()`` that the CLI, the page and the JSON API share.

How a query is answered (see DESIGN.md for the measurements behind it):

1. The text is read leniently (:mod:`search.query_text`): ``date:`` clauses become a
   date filter, unknown fields and stray operators become words, and every liberty
   taken is reported as a note.
2. Whoosh parses the rest into our query tree (:mod:`search.query`); the document
   numbers of ALL matches come from the decoded postings as sorted arrays
   (:mod:`search.docsets`, :mod:`search.backends.whoosh.matching`). Filters, the
   total and the facet counts come from the mapped columns over them
   (:mod:`search.facets`).
3. Only the page's worth of results is taken: by BM25F term at a time over arrays
   (:mod:`search.backends.whoosh.ranking`), or by date from the columns, without
   scoring at all.
4. Snippets are cut from the stored text of the hits on the page only.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from search import budget, docsets, facets
from search.analysis import WORD, normalize_word, terms
from search.backends.whoosh import parsing
from search.backends.whoosh.matching import match_set
from search.backends.whoosh.ranking import rank, scores_of, scoring_terms, top_of
from search.backends.whoosh.store import IndexStore, Snapshot, open_store
from search.docsets import EMPTY, Ids
from search.layout import day_date
from search.query import (
    EVERY,
    NOTHING,
    And,
    Every,
    Fuzzy,
    Node,
    Nothing,
    Or,
    Prefix,
    Term,
    Wildcard,
    rebuild,
)
from search.query_text import Prepared, prepare
from search.request import (
    MATCH_MODES,
    SearchRequest,
)
from search.results import Hit, SearchPage
from search.snippets import lead, make_snippet, plain_snippet
from search.spelling import inflection
from search.wildcards import MAX_SCAN, leading_wildcard
from search.wildcards import expand as expand_wildcard

__all__ = [
    "Matches",
    "expand",
    "find_matches",
    "highlight_terms",
    "parse_query",
    "ranked_matches",
    "search",
]

#: A prefix, wildcard or fuzzy term expands to at most this many index terms.
MAX_EXPANSION = 64
SEARCH_FIELDS = parsing.SEARCH_FIELDS
RELAXED_NOTE = "no article has all of these words: these have some of them"
TANGLED_OPERATORS_NOTE = "the query's operators could not be read together; its words were searched"


# ---------------------------------------------------------------------- parsing


def expand(node: Node, snap: Snapshot, notes: list[str]) -> Node:
    """Replace every prefix, wildcard and fuzzy term by the words it stands for (at most
    :data:`MAX_EXPANSION` of them, with a note when there were more), so that what is
    priced, matched and ranked is terms and phrases only."""
    reader = snap.searcher.reader()
    noted: set[str] = set()

    def capped(field: str, boost: float, words: Sequence[str | bytes], label: str) -> Node:
        if len(words) > MAX_EXPANSION:
            if label not in noted:
                noted.add(label)
                notes.append(
                    f"'{label}' matches too many words; searched the first {MAX_EXPANSION}"
                )
            words = words[:MAX_EXPANSION]
        if not words:
            return NOTHING
        return Or(tuple(Term(field, _word(w), boost) for w in words))

    def fix(node: Node) -> Node:
        budget.check()
        if isinstance(node, Fuzzy):
            # Whoosh's own expansion walks every term in Python: look it up instead.
            assert snap.lexicon is not None
            near = snap.lexicon.candidates(node.text, node.maxdist, node.prefix)
            return capped(node.field, node.boost, [w for _, w in near[: MAX_EXPANSION + 1]],
                          node.text)  # fmt: skip
        if isinstance(node, Wildcard):
            pattern = node.text
            if leading_wildcard(pattern):
                rest = pattern.lstrip("*?")
                if pattern not in noted:
                    noted.add(pattern)
                    notes.append(
                        f"'{pattern}' cannot start with a wildcard (it would read every word "
                        + (f"of the index); searched '{rest}' instead" if rest else "of the index)")
                    )
                if not rest:
                    return NOTHING
                if "*" not in rest and "?" not in rest:
                    return Term(node.field, rest, node.boost)
                pattern = rest
            found = expand_wildcard(reader, node.field, pattern, MAX_EXPANSION + 1)
            if not found.complete and len(found.words) <= MAX_EXPANSION and pattern not in noted:
                noted.add(pattern)
                notes.append(
                    f"'{pattern}' has too many words under its prefix to read them all; "
                    f"searched what the first {MAX_SCAN:,} gave"
                )
            return capped(node.field, node.boost, found.words, pattern)
        if isinstance(node, Prefix):
            words = list(islice(reader.expand_prefix(node.field, node.text), MAX_EXPANSION + 1))
            return capped(node.field, node.boost, words, node.text)
        return rebuild(node, fix)

    return fix(node)


def _word(w: str | bytes) -> str:
    return w.decode("utf-8") if isinstance(w, bytes) else w


def _all_matches(q: Node, snap: Snapshot) -> Ids:
    """Document numbers of every match (one unscored pass, see search.matching)."""
    return match_set(q, snap.searcher, snap.live, snap.term_cache)


# ----------------------------------------------------------------------- ranking


def _top_by_date(ids: Ids, snap: Snapshot, k: int, newest: bool) -> list[int]:
    """The first ``k`` of ``ids`` newest (or oldest) first; one day's articles in
    document order, the later first when newest first (the reverse when oldest)."""
    if not len(ids) or k <= 0:
        return []
    if len(ids) * 8 >= len(snap.live):
        # Many matches: the global date order, kept where it matches.
        order = snap.by_date_desc if newest else snap.by_date_desc[::-1]
        chosen = facets.mask_of(ids, snap)[order]
        top: list[int] = order[chosen][:k].tolist()
        return top
    ordered = ids[np.lexsort((ids, snap.day[ids]))]
    first: list[int] = (ordered[::-1] if newest else ordered)[:k].tolist()
    return first


def _top_by_score(
    q: Node,
    snap: Snapshot,
    matched: Ids,
    k: int,
    counts: Mapping[bytes, int] | None = None,
) -> list[tuple[int, float]]:
    return rank(q, snap.searcher, matched, k, snap.field_lengths(), snap.posting_cache, counts)


_FIELD_PREFIX = re.compile(r"\b\w+:")


def query_word_counts(text: str) -> Counter[bytes]:
    """How many times each indexed word occurs in a prepared query (field names left
    out): a word a reader repeats weighs more (``ranking.K3``)."""
    return Counter(t.encode("utf-8") for t in terms(_FIELD_PREFIX.sub(" ", text)))


def _top_by_recency(
    q: Node,
    snap: Snapshot,
    matched: Ids,
    k: int,
    half_life: float,
    counts: Mapping[bytes, int] | None = None,
) -> list[tuple[int, float]]:
    """The k best by relevance decayed with age: every match is scored, as any of them
    may be new enough to overtake the most relevant."""
    if not len(matched) or k <= 0:
        return []
    scores = scores_of(q, snap.searcher, matched, snap.field_lengths(), snap.posting_cache, counts)
    newest = int(snap.day[snap.by_date_desc[0]])
    age = np.maximum(0, newest - snap.day[matched].astype(np.int64))
    ages = np.flatnonzero(np.bincount(age))  # the distinct ages, ascending
    rate = math.log(2) / half_life
    # One exp per distinct age, by the math library (as a score is defined).
    decay = np.zeros(int(ages[-1]) + 1, dtype=np.float64)
    decay[ages] = [math.exp(-rate * a) for a in ages.tolist()]
    return top_of(matched, scores * decay[age], k)


# ------------------------------------------------------------------- suggestions


#: Words weighed against their alternatives (the first ones that may be slips), and
#: whole queries weighed, at most: a paste of a hundred unknown words is not a typo.
MAX_WEIGHED = 6
MAX_COMBINATIONS = 27
#: A word found in fewer articles is weighed against its alternatives even when the
#: query finds something (it may be a slip, the reader's or the archive's).
RARE = 3
#: When the query finds something, a correction must find this many times as much.
BETTER = 10


def _suggest(prepared: Prepared, snap: Snapshot, total: int) -> str | None:
    """A corrected query, chosen with what the whole query would then find.

    The words that may be slips get their likely intended words
    (search.spelling.Lexicon.alternatives, nearest first): a word the index lacks or
    has rarely, and, when the query finds nothing, every word (in "opec meating" both
    words exist; "opec meeting" is what finds articles). Of the queries the alternatives
    make, the nearest to what was typed wins, and among equally near ones the one that
    finds most; it is offered if it finds articles, and when the query as typed found
    some, BETTER times as many."""
    lexicon = snap.lexicon
    assert lexicon is not None
    options: list[list[tuple[float, str, str]]] = []  # per word: (cost, as written, stem)
    weighed = 0
    for word in prepared.plain_words:
        norm = normalize_word(word)
        if not norm.isalpha() or not any(True for _ in terms(word)):
            options.append([(0.0, word, "")])  # a stop word is not searched: kept, not counted
            continue
        freq = lexicon.doc_frequency(norm)
        here = [(0.0, word, norm)] if freq > 0 else []
        if (total == 0 or freq < RARE) and weighed < MAX_WEIGHED:
            weighed += 1
            here += [(cost, word, cand) for cost, cand in lexicon.alternatives(norm, word)]
        options.append(here or [(0.0, word, norm)])
    if not any(cost for here in options for cost, _, _ in here):
        return None  # no word has an alternative
    best: tuple[float, int, tuple[tuple[float, str, str], ...]] | None = None
    for combo in islice(itertools.product(*options), MAX_COMBINATIONS):
        cost = sum(c for c, _, _ in combo)
        if cost == 0 or (best is not None and cost > best[0]):
            continue  # the query as typed, or farther than one already found
        hits = _articles_with_all(tuple(stem for _, _, stem in combo if stem), snap)
        if hits and (best is None or (cost, -hits) < (best[0], -best[1])):
            best = (cost, hits, combo)
    if best is None or (total and best[1] < BETTER * total):
        return None
    return prepared.with_words([_written(c, typed, stem, snap) for c, typed, stem in best[2]])


def _written(cost: float, typed: str, stem: str, snap: Snapshot) -> str:
    """How to write a chosen word: as typed if unchanged; else as typed where that is the
    candidate's word ("meating": "meeting"), else as the archive writes it ("opek":
    "opec"). Only the chosen query's words are looked up."""
    if not cost:
        return typed
    ending = inflection(normalize_word(typed), typed)
    if ending and normalize_word(stem + ending) == stem:
        return _cased(stem + ending, typed)
    return _surface_form(stem, typed, snap)


def _articles_with_all(stems: tuple[str, ...], snap: Snapshot) -> int:
    """How many articles have every one of ``stems`` (in any searched field)."""
    if not stems:
        return 0
    q = And(tuple(Or(tuple(Term(f, s) for f in SEARCH_FIELDS)) for s in dict.fromkeys(stems)))
    return len(_all_matches(q, snap))


def _cased(word: str, typed: str) -> str:
    """``word`` in the case the reader typed (capitalised if they capitalised)."""
    if typed.isupper():
        return word.upper()
    return word.capitalize() if typed[:1].isupper() else word


def _surface_form(stem: str, typed: str, snap: Snapshot) -> str:
    """A readable word for an index term (a stem): the first word of an article holding
    it whose indexed form it is ("price" for "price", "coffee" for "coffe")."""
    searcher = snap.searcher
    docnum = searcher.document_number(title=stem)
    if docnum is None:
        docnum = searcher.document_number(body=stem)
    if docnum is not None:
        fields = searcher.stored_fields(docnum)
        for text in (fields.get("title", ""), fields.get("body", "")):
            for m in WORD.finditer(text or ""):
                if normalize_word(m.group()) == stem:
                    return _cased(m.group().lower(), typed)
    return stem


# ------------------------------------------------------------------------ search


@budget.bounded
def search(
    request: SearchRequest | str = "",
    *,
    index: IndexStore | str | Path | None = None,
    **params: Any,
) -> SearchPage:
    """Search the archive: one page of results, with the counts over every match.

    ``request`` is a :class:`SearchRequest`, or a query text with the other parameters
    of :meth:`SearchRequest.of` as keywords (``search("oil", sort="newest")``).

    The query uses the query language in the README (words all required, or any of
    them with ``match="any"``; ``OR``, ``NOT``/``-word``, ``"phrases"``,
    ``title:word``, ``prefix*``, ``word~``, ``date:2023``,
    ``date:[2023-01 to 2023-06]``); it is never rejected, only read leniently, with
    notes. ``sort="recent"`` multiplies each score by ``0.5 ** (age / half_life)``, the
    age in days counted back from the newest article in the index. An article matches a
    filter with any of its values, and must match every filter given. With ``relax``, a
    query of several words of which no article has all finds the articles with any of
    them instead, says so in a note and in ``relaxed`` (as news sites do). Bad
    parameters raise :class:`InvalidParameter`.
    """
    started = time.perf_counter()
    req = _request(request, params)
    m = find_matches(req, index=index)
    match = req.match
    relaxed = False
    if req.relax and match == "all" and not len(m.ids) and len(set(m.prepared.plain_words)) > 1:
        some = find_matches(req.but(match="any"), index=index)
        if len(some.ids):
            m, match, relaxed = some, "any", True
            m.notes.insert(0, RELAXED_NOTE)
    snap, q, ids, notes, lo, hi = m.snap, m.query, m.ids, m.notes, m.date_from, m.date_to
    total = len(ids)
    counted = facets.count(snap, m.view(), req.facet_size)
    page, per_page, sort, story = req.page, req.per_page, req.sort, req.story
    k = page * per_page
    # Copies of one story are one hit ("N more versions"), unless one story is asked for.
    versions = None
    if not story and snap.stories.count:
        window = _collapsed(m, sort, k)[(page - 1) * per_page : k]
        versions = _versions(m)
    else:
        window = ranked_matches(m, sort, k)[(page - 1) * per_page : k]

    term_set: frozenset[str] = frozenset()
    if window and not isinstance(q, Every):
        term_set = highlight_terms(q)
    hits = []
    for docnum, score in window:
        f = snap.searcher.stored_fields(docnum)
        title = f.get("title", "")
        if term_set:
            about = lead(f.get("standfirst") or "", f.get("body") or "")
            snippet = make_snippet(f.get("body", ""), term_set, fallback=about)
        else:
            snippet = plain_snippet(lead(f.get("standfirst") or "", f.get("body") or ""))
        which = int(snap.stories.of[docnum]) if versions is not None else -1
        hits.append(
            Hit(
                id=f["id"],
                title=title,
                published=day_date(int(snap.day[docnum])),
                section=f.get("section") or "",
                source=f.get("source") or "",
                score=score,
                snippet=snippet,
                story=snap.story_name(docnum),
                versions=max(int(versions[which]) - 1, 0) if which >= 0 else 0,  # type: ignore[index]
                original_url=f.get("url") or "",
            )
        )

    suggestion = None
    if m.prepared.plain_words and total < 5:
        suggestion = _suggest(m.prepared, snap, total)

    return SearchPage(
        query=req.query,
        total=total,
        page=page,
        per_page=per_page,
        took_ms=(time.perf_counter() - started) * 1000,
        hits=hits,
        facets=counted,
        suggestion=suggestion,
        notes=notes,
        sort=sort,
        date_from=lo,
        date_to=hi,
        sections=req.sections,
        half_life=req.half_life if sort == "recent" else None,
        tags=dict(req.tags),
        collapsed=int(np.maximum(versions - 1, 0).sum()) if versions is not None else 0,
        story=story or None,
        match=match,
        relaxed=relaxed,
    )


def _versions(m: Matches) -> npt.NDArray[np.int64]:
    """How many matching articles each story has (by story index)."""
    stories = m.snap.stories
    of = stories.of[m.ids]
    return np.bincount(of[of >= 0], minlength=len(stories.names))


def _collapsed(m: Matches, sort: str, k: int) -> list[tuple[int, float | None]]:
    """The first ``k`` hits in ``sort`` order, each story once (at its best-placed copy)."""
    story_of = m.snap.stories.of
    # A little deeper than k is nearly always enough (few stories have copies there);
    # when it is not, rank every match once rather than deepening step by step.
    for depth in (k + k // 2 + 10, len(m.ids)):
        hits: list[tuple[int, float | None]] = []
        seen: set[int] = set()
        ranked = ranked_matches(m, sort, depth)
        stories = story_of[[d for d, _ in ranked]].tolist() if ranked else []
        for (docnum, score), story in zip(ranked, stories, strict=True):
            if story >= 0:
                if story in seen:
                    continue
                seen.add(story)
            hits.append((docnum, score))
            if len(hits) == k:
                return hits
        if depth >= len(m.ids):
            break
    return hits


@dataclass
class Matches:
    """Every article a query and its filters match, before any ranking."""

    request: SearchRequest
    snap: Snapshot
    query: Node
    ids: Ids
    notes: list[str]
    prepared: Prepared
    #: The date filter in force: the request's, narrowed by dates in the query text.
    date_from: date | None
    date_to: date | None
    #: How many times each indexed word occurs in the query (see query_word_counts).
    counts: Counter[bytes] = field(default_factory=Counter)
    #: For each filter in force, the matches of all the others (what its facet counts).
    facet_ids: dict[str, Ids] = field(default_factory=dict)
    #: The matches of every filter but the dates (what the date facets count).
    undated: Ids = field(default_factory=lambda: EMPTY)

    def view(self) -> facets.Selection:
        """What the facets count: the matches, each filter's and the chosen values."""
        chosen: dict[str, tuple[str, ...]] = dict(self.request.tags)
        if self.request.sections:
            chosen["section"] = self.request.sections
        return facets.Selection(
            self.ids, self.facet_ids, self.undated, chosen, self.date_from, self.date_to
        )


def _request(request: SearchRequest | str, params: Mapping[str, Any]) -> SearchRequest:
    if isinstance(request, SearchRequest):
        if params:
            raise TypeError(f"a SearchRequest and parameters besides it: {sorted(params)}")
        return request
    if "query" in params:  # search(query="oil", ...)
        if request:
            raise TypeError("the query given twice")
        return SearchRequest.of(**params)
    return SearchRequest.of(request, **params)


@budget.bounded
def find_matches(
    request: SearchRequest | str = "",
    *,
    index: IndexStore | str | Path | None = None,
    **params: Any,
) -> Matches:
    """The set of all matches of a request's query within its filters (see :func:`search`)."""
    req = _request(request, params)
    with budget.paused():  # a new generation's first search does not pay for its loading
        snap = open_store(index).snapshot()

    query, lo, hi = req.query, req.date_from, req.date_to
    sections, tag_values = req.sections, dict(req.tags)
    prepared = prepare(query or "")
    notes = list(prepared.notes)
    # Dates in the query narrow the parameters' range further.
    if prepared.date_from and (lo is None or prepared.date_from > lo):
        lo = prepared.date_from
    if prepared.date_to and (hi is None or prepared.date_to < hi):
        hi = prepared.date_to

    q: Node
    if prepared.text.strip():
        q = parse_query(prepared.text, notes, req.match)
        if isinstance(q, Nothing):
            notes.append("only very common words were given; they are not searched on their own")
    else:
        q = EVERY
    ids = EMPTY
    if not isinstance(q, Nothing):
        q = expand(q, snap, notes)
        budget.enforce(q, snap.frequencies or snap.searcher.reader())
        if not isinstance(q, Nothing):
            ids = _all_matches(q, snap)

    if req.story:
        ids = docsets.intersect(ids, snap.stories.members(req.story))
    chosen = facets.filters(snap, sections, tag_values)
    dated = facets.in_period(ids, snap, lo, hi)
    facet_ids = {kind: facets.narrowed(dated, chosen, kind) for kind in chosen}
    undated = facets.narrowed(ids, chosen) if (lo or hi) else None
    ids = facets.narrowed(dated, chosen)
    counts = query_word_counts(prepared.text)
    return Matches(
        req, snap, q, ids, notes, prepared, lo, hi, counts,
        facet_ids, ids if undated is None else undated,
    )  # fmt: skip


def ranked_matches(m: Matches, sort: str, k: int) -> list[tuple[int, float | None]]:
    """The first ``k`` matches in ``sort`` order (one of SORTS), with their scores (None
    for date sorts)."""
    effective_sort = sort
    if sort in ("relevance", "recent") and isinstance(m.query, Every):
        effective_sort = "newest"
    if effective_sort == "relevance":
        return list(_top_by_score(m.query, m.snap, m.ids, k, m.counts))
    if effective_sort == "recent":
        return list(_top_by_recency(m.query, m.snap, m.ids, k, m.request.half_life, m.counts))
    return [(d, None) for d in _top_by_date(m.ids, m.snap, k, effective_sort == "newest")]


def highlight_terms(q: Node, fields: tuple[str, ...] = ("standfirst", "body")) -> frozenset[str]:
    """The index terms (stems) that ``q`` looks for in ``fields``: what a snippet marks.

    The terms BM25F scores, restricted to ``fields``: a query for ``title:zebra`` marks
    nothing in the body (its match is the headline), and terms under a NOT none at all.
    """
    return frozenset(btext.decode("utf-8") for f, btext, _ in scoring_terms(q) if f in fields)


def parse_query(text: str, notes: list[str] | None = None, match: str = "all") -> Node:
    """The query tree of a prepared query text (:data:`NOTHING` for nothing to search),
    its bare words joined as ``match`` says (see :data:`MATCH_MODES`)."""
    if match not in MATCH_MODES:
        SearchRequest(match=match)  # says why
    if not text.strip():
        return NOTHING
    try:
        return parsing.parse(text, match)
    except Exception:  # Whoosh's parser fails on a few operator tangles: "(NOT AND )"
        words = [w for w in WORD.findall(text) if w not in ("AND", "OR", "NOT")]
        if notes is not None:
            notes.append(TANGLED_OPERATORS_NOTE)
        return parsing.parse(" ".join(words), match) if words else NOTHING
