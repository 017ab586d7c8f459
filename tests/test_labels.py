"""Names for metadata codes: declared by a source, kept in the index, shown to readers;
codes stay in URLs and filters."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from search.backends.whoosh.store import IndexStore
from search.indexing import build, update
from search.labels import REUTERS_DESCRIPTIONS, read_labels, reuters_labels
from search.querying import search
from tests.conftest import REUTERS, needs_reuters
from web import create_app

RECORDS = (
    '{"id": "a1", "title": "Cocoa deal", "published": "1987-03-02", "body": "Cocoa merger agreed.",'
    ' "topics": ["acq", "cocoa"], "places": ["ivory-coast"]}\n'
    '{"id": "a2", "title": "Cocoa output", "published": "1987-03-03", "body": "Cocoa crop up.",'
    ' "topics": ["cocoa"], "places": ["ghana"]}\n'
)
LABELS = (
    "# kind\tcode\tname\n"
    "topic\tacq\tMergers/Acquisitions\n"
    "topic\tcocoa\t<b>Cocoa</b> & beans\x07\n"
    "place\tivory-coast\tIvory Coast\n"
    "colour\tred\tRed\n"  # not a facet: ignored
    "topic\tno name here\n"  # not three fields: ignored
    "\n"
)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "records.jsonl").write_text(RECORDS, encoding="utf-8")
    (src / "labels.tsv").write_text(LABELS, encoding="utf-8")
    return src


def _names(index: Path, kind: str) -> dict[str, str]:
    page = search("cocoa", index=IndexStore(index))
    return {c.value: c.name for c in page.facets[kind]}


def test_a_sources_labels_name_its_codes(source: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build([source], index)
    assert _names(index, "topic") == {
        "cocoa": "<b>Cocoa</b> & beans",
        "acq": "Mergers/Acquisitions",
    }
    assert _names(index, "place") == {"ivory-coast": "Ivory Coast", "ghana": "ghana"}
    client: FlaskClient = create_app({"TESTING": True, "INDEX": str(index)}).test_client()
    data = client.get("/api/search?q=cocoa&topic=acq").get_json()
    assert data["filters"]["topics"] == ["acq"]
    assert {"value": "acq", "label": "Mergers/Acquisitions", "count": 1} in data["facets"]["topics"]
    html = client.get("/?q=cocoa&topic=acq").get_data(as_text=True)
    # The name is shown (escaped), the code stays in the link and the filter.
    assert ('href="/?q=cocoa&amp;topics=acq&amp;topics=cocoa" title="cocoa">'
            "&lt;b&gt;Cocoa&lt;/b&gt; &amp; beans</a>") in html  # fmt: skip
    assert "Topic: Mergers/Acquisitions <a" in html
    assert "<b>Cocoa</b>" not in html and "\x07" not in html


def test_an_update_takes_new_names(source: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build([source], index)
    (source / "labels.tsv").write_text("place\tghana\tGhana\n", encoding="utf-8")
    update([source], index)
    assert _names(index, "place") == {"ivory-coast": "Ivory Coast", "ghana": "Ghana"}


@pytest.mark.parametrize(
    "stored",
    [None, [], "acq", {"topic": "acq"}, {"topic": {"acq": 3}}, {"colour": {"red": "Red"}}],
)
def test_names_of_the_wrong_shape_in_a_summary_are_none(stored: object) -> None:
    assert all(not names for names in read_labels(stored).values())


@needs_reuters
@pytest.mark.parametrize(
    ("kind", "code", "name"),
    [
        ("topic", "acq", "Mergers/Acquisitions"),
        ("topic", "money-fx", "Money/Foreign Exchange"),
        ("topic", "castor-oil", "Castor oil"),
        ("topic", "nat-gas", "Natural Gas"),
        ("org", "ico-coffee", "International Coffee Organisation"),
        ("org", "ec", "European Community"),
        ("exchange", "nyse", "New York Stock Exchange"),
        ("place", "west-germany", "West Germany"),
        ("place", "usa", "USA"),
        ("place", "ussr", "USSR"),
        ("person", "simonsen", "Palle Simonsen"),
        ("person", "de-larosiere", "Jacques de Larosiere"),
        ("person", "mohammed-ahmed-al-razaz", "Mohammed Ahmed al-Razaz"),
        ("person", "reagan", "Ronald Reagan"),
    ],
)
def test_reuters_names_its_categories(kind: str, code: str, name: str) -> None:
    text = (REUTERS / REUTERS_DESCRIPTIONS).read_text(encoding="latin-1")
    assert reuters_labels(text)[kind][code] == name


@needs_reuters
def test_reuters_names_nearly_every_code_it_uses() -> None:
    names = reuters_labels((REUTERS / REUTERS_DESCRIPTIONS).read_text(encoding="latin-1"))
    for kind, listed in (("topic", "topics"), ("org", "orgs"), ("exchange", "exchanges"),
                         ("place", "places"), ("person", "people")):  # fmt: skip
        codes = set((REUTERS / f"all-{listed}-strings.lc.txt").read_text().split())
        named = codes & set(names[kind])
        assert len(named) >= len(codes) - 5, (kind, sorted(codes - named))


@needs_reuters
def test_the_reuters_index_shows_names(reuters_index: Path) -> None:
    page = search("merger", index=IndexStore(reuters_index))
    topics = {c.value: c.name for c in page.facets["topic"]}
    assert topics["acq"] == "Mergers/Acquisitions"


def test_the_article_page_names_its_codes(source: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build([source], index)
    client: FlaskClient = create_app({"TESTING": True, "INDEX": str(index)}).test_client()
    html = client.get("/articles/a1").get_data(as_text=True)
    assert '<a href="/?topics=acq">Mergers/Acquisitions</a>' in html
    assert '<a href="/?places=ivory-coast">Ivory Coast</a>' in html
