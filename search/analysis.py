"""Words and their indexed forms: what a query and an article are made of, for every
backend.

A word is letters and digits with inner dots or apostrophes; its indexed form is
lower-cased, accent-folded, without a possessive, Porter2 (Snowball English)-stemmed,
and English stop words are not indexed. The stemmer, the stop list and the accent map
are Whoosh's, used as plain functions and tables (the language, not the engine): this
is the one module outside search.backends.whoosh that imports from ``whoosh``, and only
from ``whoosh.lang`` and ``whoosh.support.charset``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from whoosh.lang.porter2 import stem
from whoosh.lang.stopwords import stoplists
from whoosh.support.charset import accent_map

__all__ = ["STOP_WORDS", "WORD", "normalize_word", "term_positions", "terms", "ym_of"]

#: A word: letters and digits, with inner dots or apostrophes ("u.s", "o'brien").
WORD = re.compile(r"\w+(?:[.'’]\w+)*")
#: English stop words (Whoosh's NLTK-derived list, 127 words). Measured against Whoosh's
#: 34-word list on six judged collections: MAP up on all six (bench/relevance).
STOP_WORDS = frozenset(stoplists["en"])
# Module-level (not on the analyzer) so that it is not pickled into the index's schema.
_NORMAL: dict[str, str] = {}
_NORMAL_MAX = 200_000
#: Longer words are not kept (their entries would be as long): at most ~40 MB in all.
_NORMAL_WORD_MAX = 40


def normalize_word(word: str) -> str:
    """The indexed form of one word: lower-cased, accents folded, possessive dropped,
    Porter2-stemmed ("Afghanistan’s" → "afghanistan", "élections" → "elect")."""
    norm = _NORMAL.get(word)
    if norm is None:
        if word.isdigit() and word.isascii():
            norm = word  # a number: the stemmer leaves digits as they are
        else:
            low = word.lower().replace("’", "'")
            if not low.isascii():
                low = low.translate(accent_map)
            if low.endswith("'s"):
                low = low[:-2]
            norm = stem(low)
        if len(_NORMAL) < _NORMAL_MAX and len(word) <= _NORMAL_WORD_MAX:
            _NORMAL[word] = norm
    return norm


def terms(text: str) -> Iterator[str]:
    """The indexed forms of the words of ``text`` that are indexed (stop words left out),
    in order: what the analyzer of every text field makes of it."""
    for m in WORD.finditer(text):
        word = m.group()
        if word.lower() not in STOP_WORDS:
            yield normalize_word(word)


#: Surface word → indexed form, or None for a stop word: the whole analysis of a word
#: seen before in one lookup (a build analyses every word of every article).
_FORM: dict[str, str | None] = {}


def term_positions(text: str) -> dict[str, list[int]]:
    """Each indexed form in ``text`` with its positions (0, 1, … counting indexed words
    only, as :func:`terms` yields them): what a build writes of a text field."""
    out: dict[str, list[int]] = {}
    form = _FORM
    pos = 0
    for word in WORD.findall(text):
        try:
            f = form[word]
        except KeyError:  # not seen yet
            f = None if word.lower() in STOP_WORDS else normalize_word(word)
            if len(form) < _NORMAL_MAX and len(word) <= _NORMAL_WORD_MAX:
                form[word] = f
        if f is None:
            continue
        at = out.get(f)
        if at is None:
            out[f] = [pos]
        else:
            at.append(pos)
        pos += 1
    return out


def ym_of(d: date) -> int:
    """The year-month key of a date: 2023-04-29 → 202304."""
    return d.year * 100 + d.month
