"""Did you mean: the likely intended words, chosen with what the whole query finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.backends.whoosh.store import IndexStore
from search.querying import search
from search.spelling import inflection, sounds_like
from tests.conftest import needs_reuters


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("opek", "opec", True),  # c, k and q sound alike
        ("opek", "oper", False),
        ("cofe", "coffe", True),  # a doubled consonant is one
        ("wheet", "whet", False),  # a doubled vowel is not
        ("fosfate", "phosphate", True),
        ("analyze", "analyse", True),
    ],
)
def test_sounds_like(a: str, b: str, same: bool) -> None:
    assert (sounds_like(a) == sounds_like(b)) is same


@pytest.mark.parametrize(
    ("stem", "typed", "ending"),
    [("meat", "meating", "ing"), ("meat", "Meating", "ing"), ("cofe", "cofee", "e"),
     ("happi", "happy", "")],
)  # fmt: skip
def test_inflection(stem: str, typed: str, ending: str) -> None:
    assert inflection(stem, typed) == ending


@needs_reuters
@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("opek", "opec"),  # not "oper" (2,736 articles) over "opec" (201): it sounds so
        ("OPEK", "OPEC"),
        ("opec meating", "opec meeting"),  # "meat" exists: the whole query says otherwise
        ("cofee", "coffee"),
        ("Brazzil", "Brazil"),
        ("cofee brazzil", "coffee brazil"),
        ("oil prizes", "oil prices"),  # a real word, found by what the query finds
        ("bundesbnak rates", "bundesbank rates"),  # a slip the archive has once
        ("wheet", "wheat"),
        ("volckr", "volcker"),
    ],
)
def test_the_suggestion_is_what_the_reader_meant(
    reuters_index: Path, typed: str, meant: str
) -> None:
    assert search(typed, index=IndexStore(reuters_index)).suggestion == meant


@needs_reuters
@pytest.mark.parametrize("typed", ["wheat", "opec meeting", "coffee brazil", "volcker"])
def test_a_query_spelt_right_gets_no_suggestion(reuters_index: Path, typed: str) -> None:
    assert search(typed, index=IndexStore(reuters_index)).suggestion is None
