"""Make the fixed set of misspelled queries that bench/spelling.py measures "did you mean"
against (issue 12: "at least 200 misspelled queries made from real Reuters queries").

    .venv/bin/python bench/spelling_set.py ../shared/corpora/reuters21578 \
        > bench/spelling_queries.tsv

Run once, seeded, and kept fixed so that runs compare. The intended queries are the
"rare" and "two-word" queries of bench/queries.txt (drawn from Reuters-21578 articles)
and the Reuters category codes that are words (opec, volcker, bundesbank). Each is
misspelled one way:

* ``one-edit``: one letter deleted, doubled, swapped with its neighbour, or replaced by
  a key next to it on a QWERTY keyboard;
* ``two-edits``: two such edits;
* ``real-word``: one edit that makes another word of the archive ("prices" -> "prizes"):
  no dictionary lookup alone can see it, only the rest of the query (never another form
  of the word, "houses" for "house": a stemmed search does not tell them apart).

One query a line: ``kind<TAB>typed<TAB>intended``.
"""

from __future__ import annotations

import random
import re
import sys
from collections import Counter
from pathlib import Path

from search.analysis import normalize_word
from search.readers.reuters import read_reuters
from search.records import Article

KEYBOARD = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
PER_KIND = 80
WORD = re.compile(r"[a-z]+")


def _neighbours() -> dict[str, str]:
    out: dict[str, str] = {}
    for r, row in enumerate(KEYBOARD):
        for c, ch in enumerate(row):
            near = [row[c - 1] if c else "", row[c + 1] if c + 1 < len(row) else ""]
            for rr in (r - 1, r + 1):
                if 0 <= rr < len(KEYBOARD):
                    other = KEYBOARD[rr]
                    near += [other[j] for j in (c - 1, c) if 0 <= j < len(other)]
            out[ch] = "".join(n for n in near if n)
    return out


NEAR = _neighbours()


def edit(word: str, rng: random.Random) -> str:
    """One typing slip in ``word`` (never its first letter: people rarely miss that)."""
    i = rng.randrange(1, len(word))
    kind = rng.choice(["delete", "double", "swap", "near"])
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap" and i + 1 < len(word) and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice(NEAR.get(word[i], word[i])) + word[i + 1 :]


def one_edit_words(word: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = set()
    for i in range(1, len(word) + 1):
        out.add(word[:i] + word[i + 1 :])
        for ch in letters:
            out.add(word[:i] + ch + word[i + 1 :])
            out.add(word[:i] + ch + word[i:])
        if i + 1 < len(word):
            out.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    out.discard(word)
    return out


def _misspelt(query: str, kind: str, vocabulary: Counter[str], rng: random.Random) -> str | None:
    """``query`` with one of its words misspelt ``kind``'s way, or None if it cannot be."""
    words = query.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 4]
    if not long_words:
        return None
    i = rng.choice(long_words)
    w = words[i]
    if kind == "real-word":
        # Another word, not another form of it ("experiment" for "experiments" is
        # searched the same: both are the stem "experi").
        real = sorted(
            v
            for v in one_edit_words(w)
            if vocabulary[v] >= 3 and v[0] == w[0] and normalize_word(v) != normalize_word(w)
        )
        if not real:
            return None
        typo = rng.choice(real)
    else:
        typo = edit(w, rng)
        if kind == "two-edits":
            typo = edit(typo, rng)
        if typo == w or vocabulary[typo]:  # a slip that makes a real word is real-word
            return None
    return " ".join([*words[:i], typo, *words[i + 1 :]])


def main() -> None:
    reuters = Path(sys.argv[1])
    vocabulary: Counter[str] = Counter()
    for sgm in sorted(reuters.glob("reut2-*.sgm")):
        for item in read_reuters(sgm):
            if isinstance(item, Article):
                vocabulary.update(WORD.findall(" ".join((item.title, *item.body)).lower()))
    intended: list[str] = []
    here = Path(__file__).parent
    for line in (here / "queries.txt").read_text().splitlines():
        if line.startswith("#"):
            continue
        kind, query, lo, _hi = line.split("\t")
        if kind in ("rare", "two-word") and not lo and query not in intended:
            intended.append(query)
    for listed in ("orgs", "people", "exchanges"):
        for code in (reuters / f"all-{listed}-strings.lc.txt").read_text().split():
            if code.isalpha() and len(code) >= 5 and vocabulary[code] >= 20:
                intended.append(code)
    rng = random.Random(20261203)
    rows: list[tuple[str, str, str]] = []
    used: set[str] = set()
    for kind in ("one-edit", "two-edits", "real-word"):
        pool = list(intended)
        rng.shuffle(pool)
        made = 0
        for query in pool:
            if made == PER_KIND:
                break
            typed = _misspelt(query, kind, vocabulary, rng)
            if typed is None or typed in used:
                continue
            used.add(typed)
            rows.append((kind, typed, query))
            made += 1
    print("# kind\ttyped\tintended  (generated by bench/spelling_set.py; keep it fixed)")
    for row in rows:
        print("\t".join(row))


if __name__ == "__main__":
    main()
