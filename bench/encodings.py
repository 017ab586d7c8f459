"""Our decoding chain against charset-normalizer, on real texts in every encoding (by hand).

Each text (the seed page, the Wikinews sample's articles, a sample of Reuters-21578
stories with curly quotes and accents put in, since the wire is ASCII) is encoded in
each of UTF-8, UTF-8 with BOM, UTF-16 LE/BE with BOM, UTF-16 LE without BOM,
Windows-1252 and Latin-1 (where it can be), and decoded again by
``search.readers.encoding.decode_bytes`` and by ``charset_normalizer.from_bytes(...).best()``.
A decode is exact when it gives the original text back. Also timed (median per file).

    python bench/encodings.py [--reuters 300]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from collections import Counter
from pathlib import Path

import charset_normalizer

from search.articles import Article, read_paths
from search.readers.encoding import decode_bytes

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "utf-16-le", "cp1252", "latin-1")
#: Characters a Western newsroom's text holds beyond ASCII (all in Windows-1252).
ACCENTS = ("’", "“", "”", "–", "—", "é", "ü", "ñ", "ç", "£", "€", "…", "°")


def texts(reuters: int) -> list[str]:
    out = [(SHARED / "seed" / "000_a8076a032570bd83.txt").read_text(encoding="utf-8")]
    for name in ("wikinews_2019.csv", "wikinews_2020.csv"):
        path = SHARED / "corpora" / "wikinews-sample" / name
        with open(path, encoding="utf-8", newline="") as f:
            out += [f"{row['title']}\n\n{row['text']}" for row in csv.DictReader(f)]
    stories = [
        a for a in read_paths([SHARED / "corpora" / "reuters21578" / "reut2-000.sgm"])
        if isinstance(a, Article)
    ][:reuters]  # fmt: skip
    for n, a in enumerate(stories):
        # The wire is ASCII: put in what a newsroom's text holds, one kind per story.
        mark = ACCENTS[n % len(ACCENTS)]
        out.append(
            f"{a.title} {mark}\n\n"
            + "\n\n".join(p.replace(" the ", f" {mark} ", 2) for p in a.body)
        )
    return out


def encode(text: str, encoding: str) -> bytes | None:
    try:
        if encoding == "utf-16-be-bom":
            return b"\xfe\xff" + text.encode("utf-16-be")
        return text.encode(encoding)
    except UnicodeEncodeError:
        return None


def ours(data: bytes) -> str:
    return decode_bytes(data)


def theirs(data: bytes) -> str:
    best = charset_normalizer.from_bytes(data).best()
    text = str(best) if best is not None else data.decode("utf-8", errors="replace")
    return text.lstrip("\ufeff")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reuters", type=int, default=300)
    args = ap.parse_args()
    corpus = texts(args.reuters)
    exact: dict[str, Counter[str]] = {"ours": Counter(), "charset-normalizer": Counter()}
    files: Counter[str] = Counter()
    seconds: dict[str, list[float]] = {"ours": [], "charset-normalizer": []}
    for text in corpus:
        for encoding in ENCODINGS:
            data = encode(text, encoding)
            if data is None:
                continue
            files[encoding] += 1
            for name, fn in (("ours", ours), ("charset-normalizer", theirs)):
                started = time.perf_counter()
                got = fn(data)
                seconds[name].append(time.perf_counter() - started)
                exact[name][encoding] += got == text
    print(f"{len(corpus)} texts; exact decodes per encoding (files):")
    print(f"{'encoding':<16}{'files':>7}{'ours':>10}{'charset-normalizer':>21}")
    for encoding in ENCODINGS:
        n = files[encoding]
        mine, cn = exact["ours"][encoding] / n, exact["charset-normalizer"][encoding] / n
        print(f"{encoding:<16}{n:>7}{mine:>10.1%}{cn:>21.1%}")
    total = sum(files.values())
    print(
        f"{'all':<16}{total:>7}{sum(exact['ours'].values()) / total:>10.1%}"
        f"{sum(exact['charset-normalizer'].values()) / total:>21.1%}"
    )
    for name, values in seconds.items():
        print(f"median per file, {name}: {statistics.median(values) * 1000:.3f} ms")


if __name__ == "__main__":
    main()
