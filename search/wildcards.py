"""Wildcard terms (``oil*``, ``pr*ct*``, ``wom?n``) expanded without unbounded cost.

Whoosh expands a wildcard by walking every word of the field that starts with its
literal prefix (every word of the field, for a leading ``*``) through a regular
expression that can backtrack exponentially (``a*a*a*a*a*b`` on a long word). Here:

* a wildcard must start with a letter or digit: ``*xx*`` would read every word of the
  index (Lucene's query parser refuses it by default). :func:`leading_wildcard` says
  so, and the query reader searches the pattern without its leading wildcards;
* the words under the literal prefix are read from the index's sorted term list, at
  most :data:`MAX_SCAN` of them per field, and matched by a pattern that cannot
  backtrack without bound: the text between stars is matched at its leftmost place and
  committed (an atomic group), which is exact for globs (``*`` any run of characters,
  ``?`` one), so its cost is linear in the word's length times the pattern's.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

__all__ = ["MAX_SCAN", "Expansion", "expand", "glob_regex", "leading_wildcard"]

#: Words of one field read for one wildcard, at most: ``s*t*`` reads the words in 's'.
MAX_SCAN = 20_000


def _segment(text: str) -> str:
    return "".join("." if c == "?" else re.escape(c) for c in text)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex whose ``fullmatch`` is the glob ``pattern``'s match, in linear time."""
    parts = pattern.split("*")
    if len(parts) == 1:
        return re.compile(_segment(pattern), re.DOTALL)
    first, *middle, last = parts
    out = [_segment(first)]
    out += [f"(?>.*?{_segment(seg)})" for seg in middle if seg]
    out.append(f".*{_segment(last)}")
    return re.compile("".join(out), re.DOTALL)


def leading_wildcard(pattern: str) -> bool:
    """Whether the pattern starts with a wildcard (and so has no prefix to seek to)."""
    return pattern[:1] in ("*", "?")


class Expansion:
    """The words a wildcard stands for in one field, and whether that is all of them."""

    def __init__(self, words: list[bytes], complete: bool) -> None:
        self.words = words
        self.complete = complete


def expand(reader: Any, fieldname: str, pattern: str, limit: int) -> Expansion:
    """The first ``limit`` words of the field (in sorted order) that ``pattern`` matches,
    reading at most :data:`MAX_SCAN` words under its literal prefix."""
    prefix = re.split(r"[*?]", pattern, maxsplit=1)[0]
    if not prefix:
        raise ValueError(f"{pattern!r} starts with a wildcard")
    rx = glob_regex(pattern)
    words: list[bytes] = []
    scanned = 0
    for btext in islice(reader.expand_prefix(fieldname, prefix), MAX_SCAN):
        scanned += 1
        if rx.fullmatch(btext.decode("utf-8", "replace")):
            words.append(btext)
            if len(words) > limit:
                return Expansion(words[:limit], False)
    return Expansion(words, scanned < MAX_SCAN)
