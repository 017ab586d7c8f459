"""The page reader against an independent generator of pages (tests/pagegen.py).

Real stories (Reuters-21578 and Wikinews, from ../shared) are rendered into the scraped
page layout with the variations of years of template changes, and every field the reader
returns must equal the truth the generator kept. A failure prints the variations of the
page, so that the reader's author sees which kind of page broke what.
"""

from __future__ import annotations

import codecs
import re

import pytest
from hypothesis import HealthCheck, given, settings

from search.readers.pages import parse_page
from tests import pagegen
from tests.pagegen import RenderedPage, Tally

MISSING = pagegen.corpora_missing()
needs_corpora = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

BULK_PAGES = 1500
BULK_SEED = 20230429


def _read(page: RenderedPage) -> object:
    try:
        return parse_page(page.data, "generated.txt", date_order=page.date_order)  # type: ignore[arg-type]
    except Exception as e:  # a crash is a wrong answer for every field
        return e


def _explain(page: RenderedPage, bad: list[tuple[str, object, object]]) -> str:
    lines = [
        f"{page.story} date_order={page.date_order}",
        "variations: " + ", ".join(page.variations),
    ]
    for f, exp, got in bad:
        lines.append(f"{f}: expected {exp!r:.300}")
        lines.append(f"{' ' * len(f)}  got      {got!r:.300}")
    lines.append("page starts: " + repr(page.text[:600]))
    return "\n".join(lines)


@needs_corpora
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(page=pagegen.pages())
def test_every_field_of_a_generated_page_is_read_exactly(page: RenderedPage) -> None:
    bad = pagegen.compare(page, _read(page))
    assert not bad, _explain(page, bad)


@needs_corpora
def test_bulk_pages_from_both_corpora_are_read_exactly() -> None:
    """Half the pages vary everything at once, half vary one group of variations alone
    (the rest as in the seed page), so that a failure report says which kind broke."""
    mixed, alone = Tally(keep=3), Tally(keep=5)
    for page in pagegen.random_pages(BULK_PAGES // 2, BULK_SEED):
        mixed.add(page, _read(page))
    for page in pagegen.random_pages(BULK_PAGES - BULK_PAGES // 2, BULK_SEED, isolated=True):
        alone.add(page, _read(page))
    assert mixed.exact_pages == mixed.pages and alone.exact_pages == alone.pages, "\n\n".join(
        [
            "mixed: " + mixed.summary(),
            "isolated: " + alone.summary(),
            "Fields (mixed pages):\n" + mixed.field_table(),
            "Fields (isolated pages):\n" + alone.field_table(),
            "Variations with failures (isolated pages):\n"
            + alone.variation_table(only_failing=True),
            "First mismatches (isolated pages):\n" + alone.failure_report(5),
            "First mismatches (mixed pages):\n" + mixed.failure_report(3),
        ]
    )


# ---------------------------------------------------------------- the generator itself

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _decode(page: RenderedPage) -> str:
    for bom, enc in _BOMS:
        if page.data.startswith(bom):
            return page.data[len(bom) :].decode(enc)
    used = next(v for v in page.variations if v.startswith("encoding=")).split(">")[-1]
    return page.data.decode("utf-8" if used.startswith("utf-8") else used.removeprefix("encoding="))


def _blocks(text: str) -> list[str]:
    """The page's paragraphs as a person reads them: lines between blank lines, joined."""
    out: list[str] = []
    for chunk in re.split(r"\n(?:[ \t\xa0]*\n)+", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [ln.strip(" \t\xa0") for ln in chunk.split("\n")]
        joined = " ".join(ln for ln in lines if ln)
        if joined:
            out.append(joined)
    return out


@needs_corpora
def test_the_truth_is_what_the_page_shows() -> None:
    """The generator's own check: the decoded text holds the headline, the standfirst
    and every body paragraph as paragraphs, in order, and the furniture titles."""
    for page in pagegen.random_pages(300, 7):
        text = _decode(page)
        assert text == page.text, page.variations
        blocks = _blocks(text)
        exp = page.expected
        i = blocks.index(exp["title"])
        assert blocks[i + 1] == exp["standfirst"], page.variations
        if exp["source"]:
            assert exp["standfirst"].rstrip(".").endswith(", reports " + exp["source"])
        at = i + 2
        for para in exp["body"]:
            while blocks[at] != para and not blocks[at].startswith(para + " "):
                at += 1  # ALSO READ lines between paragraphs
            at += 1
        rest = "\n".join(blocks)
        for t in (*exp["related"], exp["previous_title"], exp["next_title"], exp["section"]):
            assert t in rest, (t, page.variations)
        pos = 0
        for t in exp["related"]:  # in page order (index raises when one comes too soon)
            pos = text.index(t, pos) + len(t)


@needs_corpora
def test_the_plainest_page_is_the_seed_layout() -> None:
    """Hypothesis shrinks towards the first option of every choice: the seed's layout."""

    class First:
        def choice(self, name: str, options: list[object]) -> object:
            return options[0]

        def integer(self, name: str, lo: int, hi: int) -> int:
            return lo

    story = pagegen.wikinews_stories()[0]
    page = pagegen.render(story, First())  # type: ignore[arg-type]
    lines = page.text.split("\n")
    assert (
        lines[0]
        == f"Today: {story.published.day} {pagegen.MONTHS[story.published.month - 1]} {story.published.year}"
    )
    assert lines[2] == "1 mins read" and lines[4] == story.title
    assert page.expected["source"] == "Asian Lite News"
    assert "\nPrevious Story\n\n" in page.text and "\nLatest from -Top News\n" in page.text
