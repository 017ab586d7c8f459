"""How exactly the page reader reads generated pages: per field and per variation.

Run by hand from the repository root (it is not a test)::

    .venv/bin/python bench/page_reader.py [--pages 5000] [--seed 1] [--examples 10]

Pages come from ``tests/pagegen.py``: real stories from Reuters-21578 and the Wikinews
sample in ``../shared/corpora`` (half each), rendered in the scraped page layout with
randomised variations (dates, labels, encodings, line endings, whitespace, furniture…),
each with the truth of every field. Each page is read by
``search.readers.pages.parse_page`` with the page's ``date_order``.

Two sets of ``--pages`` pages each: *mixed* (every variation drawn at random) and
*isolated* (one group of variations drawn, the rest as in the seed page, so that a
failure belongs to that group). Markdown tables go to stdout: exactness per field, per
variation kind (its worst and best value), per variation value, then the first failing
pages (field, expected, got and the page's variations). Progress goes to stderr. A
skipped page (the reader returned a Skip) or a crash counts as wrong in every field.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.readers.pages import parse_page  # noqa: E402
from tests import pagegen  # noqa: E402


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def measure(pages: list[pagegen.RenderedPage], keep: int) -> tuple[pagegen.Tally, float]:
    """Read every page; the tally and the seconds spent in the reader."""
    tally = pagegen.Tally(keep=keep)
    reading = 0.0
    for i, page in enumerate(pages, 1):
        t0 = time.perf_counter()
        got: object
        try:
            got = parse_page(page.data, "generated.txt", date_order=page.date_order)  # type: ignore[arg-type]
        except Exception as e:
            got = e
        reading += time.perf_counter() - t0
        tally.add(page, got)
        if i % 1000 == 0:
            log(f"  {i:,} pages")
    return tally, reading


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--pages", type=int, default=5000, help="how many pages (default 5000)")
    ap.add_argument("--seed", type=int, default=1, help="the random seed (default 1)")
    ap.add_argument("--examples", type=int, default=10, help="failing pages to show (default 10)")
    ap.add_argument(
        "--all-variations",
        action="store_true",
        help="list every variation value, not only those with failures",
    )
    args = ap.parse_args(argv)

    started = time.perf_counter()
    log("loading stories …")
    missing = pagegen.corpora_missing()
    if missing:
        log(f"cannot generate pages: {missing}")
        return 2
    log(
        f"  {len(pagegen.reuters_stories()):,} Reuters-21578 and "
        f"{len(pagegen.wikinews_stories()):,} Wikinews stories"
        f" ({time.perf_counter() - started:.1f} s)"
    )
    mixed, mixed_s = measure(pagegen.random_pages(args.pages, args.seed), args.examples)
    alone, alone_s = measure(
        pagegen.random_pages(args.pages, args.seed, isolated=True), args.examples
    )
    log(f"done in {time.perf_counter() - started:.1f} s ({mixed_s + alone_s:.1f} s in the reader)")

    print(f"# Page reader on generated pages (seed {args.seed})\n")
    print(
        "Two sets of pages: *mixed*, where every variation is drawn at random (the pages a"
        " scraper gives, several variations at once), and *isolated*, where one group of"
        " variations is drawn and everything else is as in the seed page (so that a failure"
        " belongs to that group).\n"
    )
    for name, tally in (("Mixed", mixed), ("Isolated", alone)):
        print(f"## {name}: {tally.summary()}\n")
        print(
            f"Skipped: {tally.skips} pages (a Skip instead of an Article);"
            f" crashed: {tally.errors}.\n"
        )
        print(f"### {name}: fields\n")
        print(tally.field_table() + "\n")
    print("## Isolated: variation kinds (all fields exact; the worst and best value of each)\n")
    print(alone.kind_table() + "\n")
    which = "" if args.all_variations else " with failures"
    print(f"## Isolated: variations{which}\n")
    print(alone.variation_table(only_failing=not args.all_variations) + "\n")
    print(f"## Mixed: variations{which}\n")
    print(mixed.variation_table(only_failing=not args.all_variations) + "\n")
    for name, tally in (("isolated", alone), ("mixed", mixed)):
        if tally.failures:
            print(f"## First {len(tally.failures)} failing pages ({name})\n")
            print(tally.failure_report(len(tally.failures)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
