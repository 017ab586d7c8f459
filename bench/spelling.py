"""How often "did you mean" suggests the query the reader meant (issue 12).

    .venv/bin/python bench/spelling.py --index /tmp/reuters-index \\
        --reuters ../shared/corpora/reuters21578

Over bench/spelling_queries.tsv (made by bench/spelling_set.py: one-edit, two-edit and
real-word misspellings of Reuters queries), the share whose top suggestion is the
intended query, for three correctors on the same index and words:

* ours: ``search(typed).suggestion``, as the page and the API give it;
* Whoosh's own: each word not in the index replaced by ``corrector("body").suggest()``'s
  first (over the index's stems, as our search reads them);
* symspellpy 6: ``lookup_compound`` over a dictionary of every word of the Reuters
  texts with its count (its documented use for queries).

A suggestion counts as the intended query when its words stem to the intended words'
stems (the search reads "prices" and "price" alike). "False alarms" is the share of the
intended queries themselves, spelt right, that get a suggestion changing them.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from search.analysis import WORD, normalize_word
from search.backends.whoosh.store import IndexStore
from search.querying import search
from search.readers.reuters import read_reuters
from search.records import Article

HERE = Path(__file__).parent


def stems(text: str) -> list[str]:
    return [normalize_word(w) for w in WORD.findall(text)]


def load_set() -> list[tuple[str, str, str]]:
    rows = []
    for line in (HERE / "spelling_queries.tsv").read_text().splitlines():
        if line and not line.startswith("#"):
            kind, typed, intended = line.split("\t")
            rows.append((kind, typed, intended))
    return rows


def ours(store: IndexStore):  # type: ignore[no-untyped-def]
    def correct(text: str) -> str:
        return search(text, index=store).suggestion or text

    return correct


def whoosh_corrector(store: IndexStore):  # type: ignore[no-untyped-def]
    searcher = store.snapshot().searcher
    corrector = searcher.corrector("body")

    def correct(text: str) -> str:
        out = []
        for word in stems(text):
            if searcher.doc_frequency("body", word) > 0:
                out.append(word)
                continue
            found = corrector.suggest(word, limit=1, maxdist=2)
            out.append(found[0] if found else word)
        return " ".join(out)

    return correct


def symspell(reuters: Path):  # type: ignore[no-untyped-def]
    from symspellpy import SymSpell

    counts: Counter[str] = Counter()
    for sgm in sorted(reuters.glob("reut2-*.sgm")):
        for item in read_reuters(sgm):
            if isinstance(item, Article):
                counts.update(w.lower() for w in WORD.findall(" ".join((item.title, *item.body))))
    sym = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    for word, n in counts.items():
        if word.isalpha():
            sym.create_dictionary_entry(word, n)

    def correct(text: str) -> str:
        found = sym.lookup_compound(text.lower(), max_edit_distance=2)
        return found[0].term if found else text

    return correct


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--reuters", required=True, type=Path)
    args = ap.parse_args()
    rows = load_set()
    store = IndexStore(args.index)
    store.snapshot().lexicon.load()  # type: ignore[union-attr]
    systems = {
        "ours": ours(store),
        "Whoosh corrector": whoosh_corrector(store),
        "symspellpy": symspell(args.reuters),
    }
    kinds = sorted({k for k, _, _ in rows})
    per_kind = ", ".join(f"{sum(k == kind for k, _, _ in rows)} {kind}" for kind in kinds)
    print(f"{len(rows)} misspelled queries: {per_kind}")
    print()
    print("| corrector | " + " | ".join(kinds) + " | all | false alarms | median ms |")
    print("|---|" + "---:|" * (len(kinds) + 3))
    for name, correct in systems.items():
        right: Counter[str] = Counter()
        times = []
        for kind, typed, intended in rows:
            started = time.perf_counter()
            got = correct(typed)
            times.append(time.perf_counter() - started)
            right[kind] += stems(got) == stems(intended)
        intended_set = sorted({i for _, _, i in rows})
        alarms = sum(stems(correct(i)) != stems(i) for i in intended_set)
        shares = [f"{right[k] / sum(kk == k for kk, _, _ in rows):.0%}" for k in kinds]
        total = sum(right.values()) / len(rows)
        times.sort()
        median = times[len(times) // 2] * 1000
        alarm = alarms / len(intended_set)
        print(f"| {name} | {' | '.join(shares)} | **{total:.0%}** | {alarm:.0%} | {median:.1f} |")


if __name__ == "__main__":
    main()
