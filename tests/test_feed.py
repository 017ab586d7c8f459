"""Subscribe to a search: /feed is valid Atom (read back by feedparser), newest first,
absolute links, every text escaped, and linked from the results page."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import feedparser
import pytest
from flask.testing import FlaskClient

from tests.conftest import assert_error, index_from_records
from tests.test_web import ARTICLES


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_from_records(tmp_path_factory.mktemp("feed"), ARTICLES)


def test_feed_is_valid_atom_newest_first(client: FlaskClient) -> None:
    r = client.get("/feed?q=wheat")
    assert r.status_code == 200 and r.mimetype == "application/atom+xml"
    parsed = feedparser.parse(r.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "News archive: “wheat”"
    assert parsed.feed.id == "http://localhost/feed?q=wheat"
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {"self": "http://localhost/feed?q=wheat",
                     "alternate": "http://localhost/?q=wheat&sort=newest"}  # fmt: skip
    assert len(parsed.entries) == 30  # of 30 wheat reports, newest first
    days = [e.published for e in parsed.entries]
    assert days == sorted(days, reverse=True)
    first = parsed.entries[0]
    assert first.link.startswith("http://localhost/articles/w")
    assert first.id == first.link and first.tags[0].term == "Agriculture"
    # The snippet, as escaped HTML (feedparser's sanitizer drops the <mark> on reading).
    assert first.summary_detail.type == "text/html" and "Wheat exports" in first.summary
    assert b"&lt;mark&gt;Wheat&lt;/mark&gt; exports" in r.data


def test_feed_keeps_filters_and_escapes_everything(client: FlaskClient) -> None:
    r = client.get("/feed?q=zebra&section=%3Cb%3ESec%3C/b%3E&sort=oldest&page=9")
    root = ET.fromstring(r.data)  # well-formed XML whatever the text held
    parsed = feedparser.parse(r.data)
    assert parsed.bozo == 0
    assert parsed.feed.title == "News archive: “zebra” in <b>Sec</b>"
    (entry,) = parsed.entries
    assert entry.title == "Zebra <script>alert('t')</script>"  # text, not markup
    assert entry.title_detail.type == "text/plain"
    assert b"<script>" not in r.data and root.tag.endswith("feed")
    assert parsed.feed.links[0].href == "http://localhost/feed?q=zebra&section=%3Cb%3ESec%3C/b%3E"


def test_feed_of_nothing_and_bad_parameters(client: FlaskClient) -> None:
    parsed = feedparser.parse(client.get("/feed?q=nothingmatches").data)
    assert parsed.bozo == 0 and parsed.entries == []
    r = client.get("/feed?from=yesterday")
    assert r.status_code == 400 and "from:" in r.get_data(as_text=True)
    assert_error(client.post("/api/search"), 405)


def test_results_page_links_its_feed(client: FlaskClient) -> None:
    html = client.get("/?q=coffee&from=2023&sort=oldest&page=1").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="/feed?q=coffee&amp;from=2023"' in html
    assert 'id="feed"' in html
