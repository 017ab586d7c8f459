"""The benchmark's fixed query set: generated once from Reuters-21578, saved, reused.

Words are plain lower-case ASCII letters (three or more) that every tokenizer in the
benchmark reads as one whole word, never stop words, so the engine, SQLite FTS5 and
tantivy all accept the same text. The file holds one query a line::

    kind<TAB>query<TAB>from<TAB>to          (from/to: YYYY-MM-DD, both empty when none)

Kinds: ``common`` (one word of high document frequency), ``rare`` (one word in 2-20
articles), ``two-word`` (two words found in one article), ``phrase`` (two words
adjacent in a text, in double quotes). Each query appears twice, once without and once
with a one- or two-month date range inside the span of Reuters-21578 (1987).
"""

from __future__ import annotations

import calendar
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path

from whoosh.analysis import STOP_WORDS

from search.analysis import WORD, normalize_word
from search.articles import Article

__all__ = ["KINDS", "Query", "ensure", "generate", "load", "save"]

KINDS = ("common", "rare", "two-word", "phrase")
COUNTS = {"common": 80, "rare": 80, "two-word": 80, "phrase": 40}
SEED = 21578
#: "Common" words are drawn from this many words of highest document frequency.
COMMON_POOL = 250
RARE_DF = (2, 20)
_PLAIN = re.compile(r"[a-z]{3,}")
_STOPS = frozenset(STOP_WORDS) | {"and", "or", "not", "near", "to"}


@dataclass(frozen=True)
class Query:
    """One query of the set, with its optional date range."""

    kind: str
    text: str
    date_from: date | None = None
    date_to: date | None = None

    @property
    def dated(self) -> bool:
        return self.date_from is not None

    @property
    def words(self) -> list[str]:
        return self.text.strip('"').split()

    def line(self) -> str:
        lo = self.date_from.isoformat() if self.date_from else ""
        hi = self.date_to.isoformat() if self.date_to else ""
        return f"{self.kind}\t{self.text}\t{lo}\t{hi}"


def _plain(word: str) -> bool:
    return bool(_PLAIN.fullmatch(word)) and word not in _STOPS


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """(lower-cased word, start, end) of each word as the engine's tokenizer cuts it."""
    return [(m.group().lower(), m.start(), m.end()) for m in WORD.finditer(text)]


def _searchable(a: Article) -> str:
    return "\n".join((a.title, a.standfirst, a.text))


def _month_ranges(articles: list[Article]) -> list[tuple[date, date]]:
    """Every one- and two-month range that starts in a month holding articles."""
    months = sorted({(a.published.year, a.published.month) for a in articles})
    ranges = []
    for y, m in months:
        for length in (1, 2):
            ey, em = (y, m) if length == 1 else (y + m // 12, m % 12 + 1)
            ranges.append((date(y, m, 1), date(ey, em, calendar.monthrange(ey, em)[1])))
    return ranges


def generate(articles: Iterable[Article], seed: int = SEED) -> list[Query]:
    """The query set for a corpus, the same for the same articles and seed."""
    arts = list(articles)
    rng = random.Random(seed)
    df: Counter[str] = Counter()
    for a in arts:
        df.update({w for w, _, _ in _tokens(_searchable(a)) if _plain(w)})
    by_df = sorted(df, key=lambda w: (-df[w], w))
    common = rng.sample(by_df[:COMMON_POOL], COUNTS["common"])
    rare_pool = sorted(w for w, n in df.items() if RARE_DF[0] <= n <= RARE_DF[1])
    rare = rng.sample(rare_pool, COUNTS["rare"])

    texts = [a.text for a in arts if len(a.text) > 200]
    pairs: list[str] = []
    while len(pairs) < COUNTS["two-word"]:
        words = sorted({w for w, _, _ in _tokens(rng.choice(texts)) if _plain(w) and df[w] >= 5})
        if len(words) < 2:
            continue
        a, b = rng.sample(words, 2)
        text = f"{a} {b}"
        if normalize_word(a) != normalize_word(b) and text not in pairs:
            pairs.append(text)
    phrases: list[str] = []
    while len(phrases) < COUNTS["phrase"]:
        text = rng.choice(texts)
        toks = _tokens(text)
        adjacent = [
            (a, b)
            for (a, _, end), (b, start, _) in pairwise(toks)
            if _plain(a) and _plain(b) and a != b and text[end:start].isspace()
        ]
        if not adjacent:
            continue
        a, b = rng.choice(adjacent)
        phrase = f'"{a} {b}"'
        if phrase not in phrases:
            phrases.append(phrase)

    plain = (
        [Query("common", w) for w in common]
        + [Query("rare", w) for w in rare]
        + [Query("two-word", t) for t in pairs]
        + [Query("phrase", t) for t in phrases]
    )
    ranges = _month_ranges(arts)
    dated = [Query(q.kind, q.text, *rng.choice(ranges)) for q in plain]
    return plain + dated


def save(path: Path, queries: list[Query]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# kind\tquery\tfrom\tto  (generated by bench/queries.py; keep it fixed)\n"
    path.write_text(header + "".join(q.line() + "\n" for q in queries), encoding="utf-8")


def load(path: Path) -> list[Query]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, text, lo, hi = line.split("\t")
        out.append(
            Query(
                kind,
                text,
                date.fromisoformat(lo) if lo else None,
                date.fromisoformat(hi) if hi else None,
            )
        )
    return out


def ensure(path: Path, articles: Iterable[Article]) -> list[Query]:
    """The saved query set, generated from ``articles`` first if there is none."""
    if not path.exists():
        save(path, generate(articles))
    return load(path)
