"""Near-miss lookup over the index's words: "did you mean" and ``word~`` fuzzy terms.

Whoosh's own ``terms_within`` walks the whole term list through a Levenshtein automaton
in Python (hundreds of milliseconds on Reuters-21578, seconds for ``opec~``). Instead,
the words of the title and body fields are read once per snapshot, grouped by their
first letter, and rapidfuzz computes the distance to each of a group in C. (A
symmetric-delete map of one deletion per word, as before, found every word one edit
away but only some two away: two substitutions share no entry. bench/README.md, "Did
you mean".)
"""

from __future__ import annotations

from collections.abc import Iterable
from threading import Lock
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from search import budget

__all__ = ["Lexicon", "edit_distance", "inflection", "sounds_like"]

_FIELDS = ("title", "body")


#: What a slip that sounds the same costs, as a share of its edits.
SAME_SOUND = 0.05

_SOUNDS = [("ph", "f"), ("ck", "k"), ("q", "k"), ("c", "k"), ("z", "s"), ("x", "ks"), ("y", "i")]


def sounds_like(word: str) -> str:
    """A rough key of how an English word sounds: c, k and q alike, s and z, f and ph,
    i and y, a doubled consonant as one. "opek" and "opec" share one; "oper" does not."""
    key = word.lower()
    for a, b in _SOUNDS:
        key = key.replace(a, b)
    out: list[str] = []
    for ch in key:
        if not out or out[-1] != ch or ch in "aeiou":  # "ee" is not "e"; "ff" is "f"
            out.append(ch)
    return "".join(out)


def inflection(stem: str, typed: str) -> str:
    """The ending ``typed`` has past its ``stem`` ("ing" of "meating" over "meat"), or
    "" when the stem is not a beginning of it."""
    typed = typed.lower()
    return typed[len(stem) :] if typed.startswith(stem) else ""


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap neighbours)."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        prev2, prev = prev, cur
    return prev[len(b)]


class Lexicon:
    """The alphabetic words (index terms, i.e. stems) of an index, for near-miss lookup."""

    def __init__(self, reader: Any, words: Iterable[str] | None = None) -> None:
        self._reader = reader
        self._groups: dict[str, list[str]] | None = None
        self._lock = Lock()
        if words is not None:  # read already (the index's columns keep them)
            groups: dict[str, list[str]] = {}
            for word in words:
                groups.setdefault(word[0], []).append(word)
            self._groups = groups

    def _load(self) -> dict[str, list[str]]:
        """The words, grouped by their first letter."""
        if self._groups is not None:
            return self._groups
        with budget.paused(), self._lock:  # once per snapshot: not the search's cost
            if self._groups is not None:
                return self._groups
            groups: dict[str, list[str]] = {}
            seen: set[str] = set()
            for field in _FIELDS:
                for btext in self._reader.lexicon(field):
                    if len(btext) < 3 or not btext.isalpha():
                        continue
                    word = btext.decode("utf-8")
                    if word not in seen:
                        seen.add(word)
                        groups.setdefault(word[0], []).append(word)
            self._groups = groups
            return groups

    def load(self) -> None:
        """Read the lexicon now rather than at its first lookup."""
        self._load()

    def doc_frequency(self, word: str) -> int:
        return int(sum(self._reader.doc_frequency(f, word) for f in _FIELDS))

    def candidates(self, word: str, maxdist: int = 2, prefix: int = 0) -> list[tuple[int, str]]:
        """Index words within ``maxdist`` edits of ``word`` (sharing its first ``prefix``
        letters), as (distance, word), nearest first. Every one of them: the distances
        are computed by rapidfuzz, in C, over the words that start as ``word`` does (all
        of them without a prefix)."""
        groups = self._load()
        pools = [groups.get(word[:1], [])] if prefix >= 1 else list(groups.values())
        out = []
        for pool in pools:
            for cand, d, _ in process.extract(
                word, pool, scorer=OSA.distance, score_cutoff=maxdist, limit=None
            ):
                if prefix <= 1 or cand[:prefix] == word[:prefix]:
                    out.append((int(d), cand))
        out.sort()
        return out

    def alternatives(self, word: str, typed: str = "", limit: int = 3) -> list[tuple[float, str]]:
        """Index words that ``word`` (a stem, typed as ``typed``) may have been meant as,
        with what the slip would cost: the edits between the stems plus those between
        what was typed and the candidate (so "cofee" is nearer "coffee" than "come"), and
        almost nothing for a slip that sounds the same ("opek" for "opec"). The nearest
        first, the commonest among equally near ones."""
        maxdist = 1 if len(word) <= 4 else 2
        typed = typed.lower() or word
        ending = inflection(word, typed)
        sound = sounds_like(word)
        scored = []
        for d, cand in self.candidates(word, maxdist, prefix=1):
            if cand == word:
                continue
            # What was typed against the candidate as it would be written with the same
            # ending ("meating" against "meeting", not against the stem "meet").
            cost = (d + edit_distance(typed, cand + ending, 4)) / 2
            if sounds_like(cand) == sound:
                cost *= SAME_SOUND
            scored.append((cost, -self.doc_frequency(cand), cand))
        scored.sort()
        return [(cost, cand) for cost, freq, cand in scored[:limit] if freq < 0]
