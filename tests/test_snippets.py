"""Snippets find every word that stems to a query term, whichever way the text writes it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from search.analysis import WORD, normalize_word
from search.backends.whoosh.store import IndexStore
from search.querying import search
from search.snippets import _matches, highlight_text, lead, plain_snippet
from tests.conftest import needs_reuters


def full_scan(text: str, terms: frozenset[str]) -> list[tuple[int, int, str]]:
    found = ((m.start(), m.end(), normalize_word(m.group())) for m in WORD.finditer(text))
    return [x for x in found if x[2] in terms]


@pytest.mark.parametrize(
    ("text", "query_words"),
    [
        ("A happy day; happier days; the happiest of all days.", ["happy", "day"]),
        ("Hoping for hope, they hoped and hopes rose.", ["hoping"]),
        ("Studies show the student studied; studying works.", ["studies"]),
        ("Relational databases relate; relations related.", ["relational"]),
        ("Vs.....733.5 and 733.5 and u.s. and U.S. banks", ["733.5", "u.s"]),
        ("The minister’s plan; O'Brien's dog; o'brien.", ["minister", "o'brien"]),
        ("Café culture in Zürich: cafe and zurich", ["cafe", "zurich"]),
        ("Organization, organize, organizer, organizing", ["organization"]),
        ("s and S and U.S. and A's", ["s"]),
        ("oil-prices; OIL PRICES; Oil's price, prices.", ["oil", "prices"]),
    ],
)
def test_matches_equal_a_full_scan(text: str, query_words: list[str]) -> None:
    terms = frozenset(normalize_word(w) for w in query_words)
    found = _matches(text, terms)
    assert found == full_scan(text, terms)
    assert found, "each case has matches"


def test_highlight_escapes_everything_but_marks() -> None:
    html = str(highlight_text("<b>Oil</b> & 'prices' \"up\"", frozenset({"oil", "price"})))
    assert (
        html
        == "&lt;b&gt;<mark>Oil</mark>&lt;/b&gt; &amp; &#39;<mark>prices</mark>&#39; &#34;up&#34;"
    )


def test_plain_snippet_cuts_at_a_word() -> None:
    text = "word " * 200
    out = str(plain_snippet(text))
    assert out.endswith("…") and len(out) <= 2 * 110 + 1
    assert out[:-1].endswith("word")


@pytest.mark.parametrize(
    ("standfirst", "body", "shown"),
    [
        # Reuters: the standfirst is the dateline; the story starts in the body.
        ("LUXEMBOURG, Oct 20", "EC ministers backed a farm scheme.\n\nIt saves money.",
         "EC ministers backed a farm scheme.\n\nIt saves money."),
        ("By Staff Writer", "\n\nOK\n\nPrices rose sharply in Asia today.",
         "Prices rose sharply in Asia today."),
        # A standfirst that reads as text is the summary.
        ("Markets react to the rate cut.", "Body.", "Markets react to the rate cut."),
        ("Eight words or more make a summary here", "Body text.",
         "Eight words or more make a summary here"),
        ("", "", ""),
        ("Dateline", "", "Dateline"),
    ],
)  # fmt: skip
def test_a_result_without_words_to_mark_shows_the_story_not_its_dateline(
    standfirst: str, body: str, shown: str
) -> None:
    assert lead(standfirst, body) == shown


@needs_reuters
def test_browsing_reuters_shows_stories_not_datelines(reuters_index: Path) -> None:
    page = search("", index=IndexStore(reuters_index), per_page=50)
    dateline = re.compile(r"^[A-Z][A-Za-z .,'-]+, [A-Z][a-z]{2} \d{1,2}$")
    shown = [str(h.snippet) for h in page.hits]
    assert not [s for s in shown if dateline.match(s)], shown[:5]
    assert sum(len(s.split()) >= 8 for s in shown) >= 40
