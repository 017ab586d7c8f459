"""Make the ~100k-article benchmark corpus from Reuters-21578 (run by hand).

Five copies of the 21,578 stories, each with new ids and its dates shifted by a whole
number of years (copy k: +k years), written as JSON Lines. Copies repeat the term
statistics of the original (every word is five times as frequent, no new words), so
this measures scale, not vocabulary growth.

    python bench/make_corpus.py [--copies 5] [--out bench/data/reuters-x5.jsonl]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from search.articles import Article, read_paths

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REUTERS = SHARED / "corpora" / "reuters21578"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path("bench/data/reuters-x5.jsonl"))
    args = ap.parse_args()
    stories = [a for a in read_paths([REUTERS], "reuters") if isinstance(a, Article)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for k in range(args.copies):
            for a in stories:
                obj = {
                    "id": f"{a.id}-c{k}",
                    "title": a.title,
                    "published": a.published.replace(year=a.published.year + k).isoformat(),
                    "standfirst": a.standfirst,
                    "body": list(a.body),
                    "source": a.source,
                }
                f.write(json.dumps(obj) + "\n")
    print(f"{len(stories) * args.copies} articles -> {args.out}")


if __name__ == "__main__":
    main()
