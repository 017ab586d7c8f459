"""Wildcards: the same words as Whoosh's own expansion and as a glob, never a regular
expression that backtracks without bound, and never a walk over every word."""

from __future__ import annotations

import fnmatch
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from search.backends.whoosh.store import open_store
from search.wildcards import MAX_SCAN, expand, glob_regex, leading_wildcard
from tests.conftest import needs_reuters


@given(
    word=st.text(alphabet="abc", max_size=10),
    pattern=st.text(alphabet="abc*?", min_size=1, max_size=8),
)
@settings(max_examples=1000, deadline=None)
def test_a_wildcard_matches_what_a_glob_matches(word: str, pattern: str) -> None:
    assert bool(glob_regex(pattern).fullmatch(word)) == fnmatch.fnmatchcase(word, pattern)


@pytest.mark.parametrize(
    "pattern", ["a*a*a*a*a*a*a*a*b", "a*a?a*a?a*a?a*a*c", "a?*?*?*?*?*?*?*?*x", "a*" * 20 + "z"]
)
def test_a_pattern_of_many_stars_costs_little_on_long_words(pattern: str) -> None:
    # Whoosh's own translation (a.*a.*…b) of these takes minutes on a word of 2,000 'a's.
    words = ["a" * 2000, "ab" * 1000, "a" * 1999 + "c"] * 50
    rx = glob_regex(pattern)
    started = time.process_time()
    matched = [w for w in words if rx.fullmatch(w)]
    assert time.process_time() - started < 1.0
    assert matched == [w for w in words if fnmatch.fnmatchcase(w, pattern)]


@pytest.mark.parametrize(
    ("pattern", "leading"), [("*xx*", True), ("?il", True), ("oil*", False), ("o?l", False)]
)
def test_leading_wildcards_are_told_apart(pattern: str, leading: bool) -> None:
    assert leading_wildcard(pattern) is leading


WHOOSH_TABLE = ["oil*", "o?l*", "pr*ct*", "s*e*e*", "z*z", "a?", "comp*ny", "x*"]


@needs_reuters
@pytest.mark.parametrize("pattern", WHOOSH_TABLE)
def test_the_same_words_as_whooshs_expansion(reuters_index: Path, pattern: str) -> None:
    reader = open_store(reuters_index).snapshot().searcher.reader()
    for field in ("title", "standfirst", "body"):
        theirs = list(wq.Wildcard(field, pattern)._btexts(reader))
        assert len(theirs) < MAX_SCAN
        found = expand(reader, field, pattern, 10**9)
        assert (found.words, found.complete) == (theirs, True), (field, pattern)
        first = expand(reader, field, pattern, 3)
        assert first.words == theirs[:3]
        assert first.complete is (len(theirs) <= 3)
