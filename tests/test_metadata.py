"""Metadata facets where the source has them: Reuters-21578's topics, places, people,
organisations and exchanges are indexed, counted over every match, and filter."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from search.articles import read_reuters
from search.backends.whoosh.store import IndexStore
from search.errors import InvalidParameter
from search.querying import search
from tests.conftest import REUTERS, assert_error, index_from_records, needs_reuters

RECORDS = [
    {"id": "c1", "title": "Coffee quotas", "published": "1987-03-02", "body": "Coffee talks.",
     "topics": ["coffee"], "places": ["brazil", "colombia"], "orgs": ["ico-coffee"]},
    {"id": "c2", "title": "Coffee prices", "published": "1987-03-03", "body": "Coffee rose.",
     "topics": ["coffee"], "places": ["brazil"]},
    {"id": "g1", "title": "Gold output", "published": "1987-04-01", "body": "Gold fell.",
     "topics": ["gold"], "places": ["south-africa"], "people": ["botha"]},
    {"id": "n1", "title": "No metadata", "published": "1987-04-02", "body": "Coffee and gold."},
    {"id": "x1", "title": "Hostile", "published": "1987-04-03", "body": "Zebra.",
     "topics": ["<script>alert(1)</script>"]},
]  # fmt: skip


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_from_records(tmp_path_factory.mktemp("tags"), RECORDS)


def counts(page_facets: list) -> dict[str, int]:  # type: ignore[type-arg]
    return {c.value: c.count for c in page_facets}


def test_facets_count_every_match_and_filter(index_dir: Path) -> None:
    store = IndexStore(index_dir)
    page = search("coffee", index=store)
    assert page.total == 3
    assert counts(page.facets["topic"]) == {"coffee": 2}
    assert counts(page.facets["place"]) == {"brazil": 2, "colombia": 1}
    assert counts(page.facets["org"]) == {"ico-coffee": 1} and page.facets["exchange"] == []
    narrowed = search("coffee", tags={"place": "colombia"}, index=store)
    assert [h.id for h in narrowed.hits] == ["c1"] and narrowed.tags == {"place": ("colombia",)}
    both = search("", tags={"topic": "coffee", "place": "brazil"}, index=store)
    assert both.total == 2 and both.to_dict()["filters"]["topics"] == ["coffee"]
    assert search("", tags={"topic": "nosuch"}, index=store).total == 0
    with pytest.raises(InvalidParameter, match="colour: is not a metadata facet"):
        search("", tags={"colour": "red"}, index=store)


def test_api_and_page_offer_the_facets(client: FlaskClient) -> None:
    data = client.get("/api/search?q=coffee&place=brazil").get_json()
    assert data["total"] == 2 and data["filters"]["places"] == ["brazil"]
    assert data["facets"]["topics"] == [{"value": "coffee", "label": "coffee", "count": 2}]
    html = client.get("/?q=coffee").get_data(as_text=True)
    assert '<h2 id="place-h">Places</h2>' in html
    assert 'class="facet-place" href="/?q=coffee&amp;places=colombia">colombia</a>' in html
    html = client.get("/?q=coffee&place=colombia").get_data(as_text=True)
    assert 'Place: colombia <a href="/?q=coffee" aria-label="Remove place: colombia">' in html
    assert '<input type="hidden" name="places" value="colombia">' in html
    article = client.get("/api/articles/c1").get_json()
    assert article["places"] == ["brazil", "colombia"] and article["orgs"] == ["ico-coffee"]
    page = client.get("/articles/c1").get_data(as_text=True)
    assert '<a href="/?places=colombia">colombia</a>' in page
    hostile = client.get("/?q=zebra").get_data(as_text=True)
    assert "<script>alert" not in hostile and "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile
    assert_error(client.get("/api/search?topic=" + "x" * 2001), 400, "invalid_parameter")
    assert client.get("/api/export?format=jsonl&topic=gold").headers["X-Total-Count"] == "1"


def _raw_counts(kind: str) -> Counter[str]:
    """Counted straight from the SGML, independently of the reader."""
    out: Counter[str] = Counter()
    pattern = re.compile(rf"<{kind}>(.*?)</{kind}>", re.DOTALL)
    for f in sorted(REUTERS.glob("reut2-*.sgm")):
        for block in pattern.findall(f.read_bytes().decode("latin-1")):
            out.update(set(re.findall(r"<D>(.*?)</D>", block)))
    return out


@needs_reuters
@pytest.mark.parametrize(("kind", "tag"), [("topic", "TOPICS"), ("place", "PLACES"),
                                           ("person", "PEOPLE"), ("org", "ORGS"),
                                           ("exchange", "EXCHANGES")])  # fmt: skip
def test_reuters_facets_equal_a_count_of_the_source(
    reuters_index: Path, kind: str, tag: str
) -> None:
    page = search("", index=IndexStore(reuters_index))
    raw = _raw_counts(tag)
    top = counts(page.facets[kind])
    assert top == dict(sorted(raw.items(), key=lambda x: (-x[1], x[0]))[:20])
    value, n = next(iter(top.items()))
    assert search("", tags={kind: value}, index=IndexStore(reuters_index)).total == n


@needs_reuters
def test_reuters_reader_reads_the_lists() -> None:
    first = next(iter(read_reuters(REUTERS / "reut2-000.sgm")))
    assert first.tags() == {"topic": ("cocoa",), "place": ("el-salvador", "usa", "uruguay")}
