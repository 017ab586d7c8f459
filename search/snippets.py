"""Snippets: the best passages of an article for a query, as escaped Markup.

The whole text is read (no 32K cut-off as in Whoosh's highlighter), matches are found by
analysing it with the index's own analyzer (so "elections" marks "election"), the one
to three windows holding the most distinct query terms are chosen, cut at word
boundaries, and rendered with every character escaped by markupsafe except the
``<mark>`` around each match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from markupsafe import Markup, escape

from search.analysis import WORD, normalize_word

__all__ = ["highlight_text", "lead", "make_snippet", "plain_snippet"]

#: About how many characters of context a passage has.
PASSAGE_CHARS = 110
MAX_PASSAGES = 3
ELLIPSIS = "…"


@lru_cache(maxsize=512)
def _candidates(terms: frozenset[str]) -> re.Pattern[str] | None:
    """A pattern for the words that may stem to one of ``terms``.

    A Porter stem differs from its words only at its end ("happi" for "happy", "hope"
    for "hoping"), so every such word starts with the stem less its last letter. The
    pattern finds those starts in C; only what it finds is analysed in Python.
    """
    prefixes = sorted({t[:-1] for t in terms}, key=len, reverse=True)
    if not prefixes or any(not p or not p.isascii() for p in prefixes):
        return None  # a one-letter term: scan every word
    alternation = "|".join(re.escape(p) for p in prefixes)
    # Starts where WORD's tokens start: not after a letter, nor after "x." or "x'".
    return re.compile(rf"(?<!\w)(?<!\w[.'’])(?:{alternation})\w*(?:[.'’]\w+)*", re.IGNORECASE)


def _matches(text: str, terms: frozenset[str]) -> list[tuple[int, int, str]]:
    """(start, end, term) of every word in ``text`` whose indexed form is a query term."""
    pattern = _candidates(terms) if text.isascii() else None
    out = []
    for m in (pattern or WORD).finditer(text):
        norm = normalize_word(m.group())
        if norm in terms:
            out.append((m.start(), m.end(), norm))
    return out


def _cut_left(text: str, pos: int) -> int:
    """Move ``pos`` left to the start of a word (or of the text)."""
    if pos <= 0:
        return 0
    space = text.rfind(" ", 0, pos)
    return 0 if space == -1 else space + 1


def _cut_right(text: str, pos: int) -> int:
    """Move ``pos`` right to the end of a word (or of the text)."""
    if pos >= len(text):
        return len(text)
    space = text.find(" ", pos)
    return len(text) if space == -1 else space


def _render(text: str, start: int, end: int, marks: Iterable[tuple[int, int, str]]) -> Markup:
    parts: list[str] = []
    pos = start
    for a, b, _ in marks:
        if a < start or b > end:
            continue
        parts.append(str(escape(text[pos:a])))
        parts.append(f"<mark>{escape(text[a:b])}</mark>")
        pos = b
    parts.append(str(escape(text[pos:end])))
    return Markup("".join(parts))


def make_snippet(text: str, terms: frozenset[str], fallback: str = "") -> Markup:
    """The best one to three passages of ``text`` for the query terms.

    When no term occurs in the text (the match was in the title), the ``fallback``
    (the standfirst) is the snippet, and failing that the start of the text.
    """
    text = " ".join(text.split())
    matches = _matches(text, terms) if terms else []
    if not matches:
        return plain_snippet(fallback or text)
    # Score a window starting at each match: distinct terms first, then matches.
    half = PASSAGE_CHARS // 2
    candidates: list[tuple[int, int, int, int]] = []  # (-distinct, -count, start, end)
    j = 0
    for i, (a, _, _) in enumerate(matches):
        start = max(0, a - half // 2)
        end = start + PASSAGE_CHARS
        j = max(j, i)
        while j + 1 < len(matches) and matches[j + 1][1] <= end:
            j += 1
        window = matches[i : j + 1]
        candidates.append((-len({t for _, _, t in window}), -len(window), start, end))
    candidates.sort()
    chosen: list[tuple[int, int]] = []
    covered: set[str] = set()
    for _, _, start, end in candidates:
        if len(chosen) == MAX_PASSAGES:
            break
        if any(not (end <= s or start >= e) for s, e in chosen):
            continue
        terms_here = {t for a, b, t in matches if a >= start and b <= end}
        # A further passage must show a term not shown yet, or more of the text's matches.
        if chosen and terms_here <= covered and len(chosen) >= 1 and len(terms) > 1:
            continue
        chosen.append((start, end))
        covered |= terms_here
    chosen.sort()
    pieces: list[Markup] = []
    for start, end in chosen:
        s = _cut_left(text, start)
        e = _cut_right(text, end)
        piece = _render(text, s, e, matches)
        if s > 0:
            piece = Markup(ELLIPSIS) + piece
        if e < len(text):
            piece = piece + Markup(ELLIPSIS)
        pieces.append(piece)
    # Two passages meet at one ellipsis, not two.
    out = Markup(" ").join(pieces)
    return Markup(str(out).replace(f"{ELLIPSIS} {ELLIPSIS}", f" {ELLIPSIS} "))


#: A standfirst of fewer words that ends in no sentence is a dateline or a label
#: ("LUXEMBOURG, Oct 20", "By Staff Writer"), not a summary of the story.
MIN_STANDFIRST_WORDS = 8


def _reads_as_text(text: str) -> bool:
    words = text.split()
    return len(words) >= MIN_STANDFIRST_WORDS or (
        len(words) >= 3 and text.rstrip()[-1:] in ".!?\"'\u201d"
    )


def lead(standfirst: str, body: str) -> str:
    """What an article is about, for a result with no words to mark (browsing): its
    standfirst when that reads as text, else its body from the first paragraph that has
    a few words (Reuters' standfirst is its dateline), else whatever there is."""
    if _reads_as_text(standfirst):
        return standfirst
    paragraphs = body.split("\n")
    for i, paragraph in enumerate(paragraphs):
        if len(paragraph.split()) >= 3:
            return "\n".join(paragraphs[i:])
    return standfirst or body


def plain_snippet(text: str, limit: int = 2 * PASSAGE_CHARS) -> Markup:
    """The start of a text, cut at a word boundary, escaped."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return escape(text)
    end = _cut_left(text, limit)
    end = end - 1 if end > 0 else limit
    return escape(text[:end].rstrip(" ,;:")) + Markup(ELLIPSIS)


def highlight_text(text: str, terms: frozenset[str]) -> Markup:
    """All of ``text`` escaped, with every match of the query terms marked."""
    if not terms:
        return escape(text)
    return _render(text, 0, len(text), _matches(text, terms))
