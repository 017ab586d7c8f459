"""The Flask app through its test client: every route, every parameter, every error."""

from __future__ import annotations

import calendar
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from search.indexing import build
from search.querying import RELAXED_NOTE
from tests.conftest import assert_error, index_from_records
from web import create_app
from web.errors import error_body

ARTICLES = [
    {"id": "a1", "title": "Oil prices rise", "published": "2023-01-05", "section": "Markets",
     "standfirst": "Markets react, reports Test Wire", "body": "Crude oil prices rose sharply in Asia."},
    {"id": "a2", "title": "Coffee harvest in Brazil", "published": "2023-02-10",
     "section": "Agriculture", "body": "Brazil coffee growers expect a record crop.",
     "previous_title": "Oil prices rise"},
    {"id": "a3", "title": "Coffee prices fall", "published": "2022-06-01", "section": "Markets",
     "body": "Coffee traders in Vietnam saw prices fall."},
    {"id": "evil", "title": "Zebra <script>alert('t')</script>", "published": "2021-03-03",
     "section": "<b>Sec</b>", "standfirst": '<img src=x onerror="alert(1)">',
     "body": "The zebra said <script>alert(\"b\")</script> and <img src=x onerror=alert(2)> 'q'."},
]  # fmt: skip
for i in range(30):
    ARTICLES.append({"id": f"w{i}", "title": f"Wheat report {i}", "published": f"2020-{1 + i % 12:02d}-15",
                     "section": "Agriculture", "body": f"Wheat exports number {i}."})  # fmt: skip


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_from_records(tmp_path_factory.mktemp("web"), ARTICLES)


def test_error_body_shape() -> None:
    assert error_body(400, "page: bad", request_id="r1") == {
        "error": {"status": 400, "code": "bad_request", "message": "page: bad", "request_id": "r1"}
    }


# ------------------------------------------------------------------------- API


def test_api_search_shape(client: FlaskClient) -> None:
    r = client.get("/api/search?q=coffee")
    assert r.status_code == 200
    data = r.get_json()
    assert list(data)[:11] == ["query", "total", "stories", "pages", "page", "per_page", "took_ms",
                               "collapsed", "sort", "half_life", "match"]  # fmt: skip
    assert data["total"] == 2
    hit = data["results"][0]
    assert set(hit) == {"id", "title", "published", "section", "source", "url", "original_url",
                        "score", "snippet", "story", "versions"}  # fmt: skip
    assert hit["url"] == f"/articles/{hit['id']}"
    assert "<mark>" in hit["snippet"]
    assert data["facets"]["year"] == [
        {"value": "2022", "label": "2022", "count": 1},
        {"value": "2023", "label": "2023", "count": 1},
    ]
    assert r.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("method", "path", "cors"),
    [
        ("OPTIONS", "/api/search", True),
        ("GET", "/api/search?page=0", True),  # an error: a script can read why
        ("GET", "/api/no-such-route", True),
        ("GET", "/api/export?q=wheat", True),
        ("GET", "/feed", True),
        ("GET", "/", False),
        ("GET", "/articles/a1", False),
    ],
)
def test_cors_on_the_api_and_the_feed_only(
    client: FlaskClient, method: str, path: str, cors: bool
) -> None:
    r = client.open(path, method=method, headers={"Origin": "https://elsewhere.example",
                    "Access-Control-Request-Method": "GET",
                    "Access-Control-Request-Headers": "x-request-id, if-none-match"})  # fmt: skip
    if not cors:
        assert "Access-Control-Allow-Origin" not in r.headers
        return
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"x-request-id", "if-none-match"} <= allowed
    exposed = {h.strip() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"X-Total-Count", "X-Request-Id", "ETag", "Retry-After"} <= exposed


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ("q=coffee&from=2023", 1),
        ("q=coffee&to=2022-12", 1),
        ("q=&section=Markets", 2),
        ("q=wheat&from=2020-03&to=2020-03", 3),
        ("q=wheat&per_page=5&page=2", 30),
        ("q=wheat&sort=newest", 30),
        ("q=wheat&sort=oldest", 30),
        ("q=" + "x" * 4000, 0),
        ("q=" + "+".join(["oil"] * 1000), 1),  # one word, repeated: 3,999 characters
        ("q=" + "+".join(f"oil{i}" for i in range(128)), 0),
        ("q=" + "+".join(f"oil{i}" for i in range(127)) + "+oil&match=any", 1),
        ("q=" + "+OR+".join(f"oil{i}" for i in range(127)) + "+OR+oil", 1),
        ("q=coffee+wheat&match=any", 32),
        ('q="unclosed', 0),
        ("q=AND OR NOT", 34),
    ],
)
def test_api_search_parameters(client: FlaskClient, query: str, total: int) -> None:
    r = client.get("/api/search?" + query)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["total"] == total


def test_api_paging_and_sorting(client: FlaskClient) -> None:
    p2 = client.get("/api/search?q=wheat&per_page=5&page=2&sort=oldest").get_json()
    assert p2["page"] == 2 and p2["per_page"] == 5 and len(p2["results"]) == 5
    dates = [h["published"] for h in p2["results"]]
    assert dates == sorted(dates)


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=%C2%B2", "page"),  # "²": a digit to str.isdigit, not to int()
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=ten", "per_page"),
        ("from=yesterday", "from"),
        ("to=2023-02-30", "to"),
        ("from=2023-05&to=2023-04", "from"),
        ("page=1001&per_page=10", "page"),
        ("sort=best", "sort"),
        ("q=" + "x" * 4001, "q"),
        ("q=" + "+".join(f"oil{i}" for i in range(129)), "q"),
        ("q=" + "+OR+".join(f"oil{i}" for i in range(129)) + "&match=any", "q"),
        ("match=some", "match"),
        ("match=everything", "match"),
    ],
)
def test_api_bad_parameters_are_400(client: FlaskClient, query: str, param: str) -> None:
    body = assert_error(client.get("/api/search?" + query), 400, "invalid_parameter")
    assert body["error"]["message"].startswith(param + ":")


def test_api_article(client: FlaskClient) -> None:
    data = client.get("/api/articles/a2").get_json()
    assert data["title"] == "Coffee harvest in Brazil"
    assert data["body"] == ["Brazil coffee growers expect a record crop."]
    assert data["previous"] == {"id": "a1", "title": "Oil prices rise", "published": "2023-01-05",
                                "url": "/articles/a1"}  # fmt: skip
    assert data["next"] is None
    assert "path" not in data
    assert all(set(r) == {"id", "title", "published", "url"} for r in data["more_like_this"])


@pytest.mark.parametrize("path", ["/api/articles/nope", "/api/articles/..%2F..%2Fetc%2Fpasswd",
                                  "/api/nothing", "/api"])  # fmt: skip
def test_api_404(client: FlaskClient, path: str) -> None:
    assert_error(client.get(path), 404, "not_found")


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_api_405(client: FlaskClient, method: str) -> None:
    r = getattr(client, method)("/api/search")
    assert_error(r, 405, "method_not_allowed")
    assert "GET" in r.headers["Allow"]


def test_api_health(client: FlaskClient) -> None:
    data = client.get("/api/health").get_json()
    assert data["ok"] is True and data["articles"] == len(ARTICLES)
    assert data["generation"] == "gen-000001"
    assert data["built_at"]


def test_api_health_without_index(tmp_path: Path) -> None:
    client = create_app({"TESTING": True, "INDEX": str(tmp_path / "none")}).test_client()
    body = assert_error(client.get("/api/health"), 503, "index_unavailable")
    assert "news-search index build" in body["error"]["message"]
    r = client.get("/")
    assert r.status_code == 503 and b"news-search index build" in r.data


def test_openapi_document(client: FlaskClient) -> None:
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) == {"/api/search", "/api/export", "/api/articles/{id}", "/api/health",
                                 "/api/openapi.json", "/api/docs", "/feed"}  # fmt: skip
    names = [p["name"] for p in doc["paths"]["/api/search"]["get"]["parameters"]]
    assert names == ["q", "match", "from", "to", "section", "topics", "places", "people", "orgs",
                     "exchanges", "relax", "facet_size", "story", "sort", "half_life", "page",
                     "per_page"]  # fmt: skip


def _undescribed(prefix: str, schema: dict[str, Any]) -> list[str]:
    out = []
    for name, sub in (schema.get("properties") or {}).items():
        if not sub.get("description"):
            out.append(f"{prefix}.{name}")
        out += _undescribed(f"{prefix}.{name}", sub)
    return out


def _keys_missing(
    value: Any, schema: dict[str, Any], schemas: dict[str, Any], at: str
) -> list[str]:
    """Keys of a served JSON value that its schema does not list."""
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    if isinstance(value, list):
        items = schema.get("items") or {}
        return [m for v in value for m in _keys_missing(v, items, schemas, at + "[]")]
    if not isinstance(value, dict) or "properties" not in schema:
        return []
    out = []
    for key, v in value.items():
        if key not in schema["properties"]:
            out.append(f"{at}.{key}")
        else:
            out += _keys_missing(v, schema["properties"][key], schemas, f"{at}.{key}")
    return out


def test_the_document_describes_every_field_of_every_answer(client: FlaskClient) -> None:
    doc = client.get("/api/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    assert [f for name, s in schemas.items() for f in _undescribed(name, s)] == []
    served = {
        "SearchPage": client.get("/api/search?q=coffee&from=2023-02&to=2023-02").get_json(),
        "Article": client.get("/api/articles/a2").get_json(),
        "Health": client.get("/api/health").get_json(),
        "Error": client.get("/api/search?page=0").get_json(),
    }
    for name, value in served.items():
        assert _keys_missing(value, schemas[name], schemas, name) == []
    # One shape for one thing: an article's body is its paragraphs, in the API and in the
    # export; metadata is named by the article's fields (topics, places...) everywhere.
    export = json.loads(
        client.get("/api/export?q=coffee&format=jsonl&body=true").data.split(b"\n")[0]
    )
    article = client.get(f"/api/articles/{export['id']}").get_json()
    assert isinstance(article["body"], list) and export["body"] == article["body"]
    tag_fields = {"topics", "places", "people", "orgs", "exchanges"}
    assert tag_fields <= set(article) and tag_fields <= set(export)
    assert tag_fields <= set(served["SearchPage"]["facets"])
    assert tag_fields <= set(served["SearchPage"]["filters"])


def test_api_json_equals_cli_json(client: FlaskClient, index_dir: Path) -> None:
    from click.testing import CliRunner

    from search.cli import main

    cli = CliRunner().invoke(main, ["query", "coffee", "--json", "--index", str(index_dir)])
    api = client.get("/api/search?q=coffee").get_json()
    cli_data = json.loads(cli.output)
    for d in (cli_data, api):
        d.pop("took_ms")
    assert cli_data == api


# ----------------------------------------------------------------------- pages


def test_search_page(client: FlaskClient) -> None:
    r = client.get("/?q=coffee")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'value="coffee"' in html
    assert '<strong id="total">2</strong>' in html
    assert "<mark>coffee</mark>" in html or "<mark>Coffee</mark>" in html
    assert 'href="/articles/a2?q=coffee"' in html
    assert 'class="facet-year" href="/?q=coffee&amp;from=2022&amp;to=2022"' in html
    assert "<svg" in html and "<rect" in html


def test_year_then_month_facets(client: FlaskClient) -> None:
    html = client.get("/?q=wheat&from=2020&to=2020").get_data(as_text=True)
    assert "Months of 2020" in html
    assert 'href="/?q=wheat&amp;from=2020-03&amp;to=2020-03"' in html
    month = client.get("/?q=wheat&from=2020-03&to=2020-03").get_data(as_text=True)
    assert '<strong id="total">3</strong>' in month
    assert '<span class="period">March 2020</span>' in month
    assert 'aria-label="Remove the date filter"' in month


def _bars(html: str) -> list[tuple[str, float]]:
    """The histogram's bars: (title, height)."""
    svg = html.split('<figure class="histogram">')[1].split("</figure>")[0]
    return [(t, float(h)) for h, t in re.findall(r'height="([\d.]+)"><title>([^<]+)</title>', svg)]


def _axis(html: str) -> list[str]:
    axis = html.split('<ol class="axis" aria-hidden="true">')[1].split("</ol>")[0]
    return re.findall(r"<li>([^<]*)</li>", axis)


def test_a_chosen_month_keeps_its_year_and_is_drawn_by_day(client: FlaskClient) -> None:
    html = client.get("/?q=wheat&from=2020-03&to=2020-03").get_data(as_text=True)
    months = html.split('id="months-h">Months of 2020</h2>')[1].split("</nav>")[0]
    assert months.count("<li") == 12  # every month of the year, not only the chosen one
    assert ('<li class="chosen"><a class="facet-month" href="/?q=wheat&amp;from=2020-03&amp;'
            'to=2020-03" aria-current="true">Mar 2020</a>') in months  # fmt: skip
    assert '<li class="chosen"><a class="facet-year"' in html
    bars = _bars(html)
    assert len(bars) == 31 and bars[14] == ("15 March 2020: 3", 80.0)
    assert [b for b in bars if b[1]] == [bars[14]]
    assert _axis(html) == [str(d) if d % 7 == 1 else "" for d in range(1, 32)]
    assert ('<a class="step-prev" href="/?q=wheat&amp;from=2020-02-01&amp;to=2020-02-29" '
            'aria-label="Previous: February 2020">') in html  # fmt: skip
    assert 'aria-label="Next: April 2020"' in html
    data = client.get("/api/search?q=wheat&from=2020-03&to=2020-03").get_json()
    assert data["total"] == 3 and data["facets"]["day"] == [
        {"value": "2020-03-15", "label": "15 March 2020", "count": 3}
    ]
    assert len(data["facets"]["month"]) == 12 and data["facets"]["year"] == [
        {"value": "2020", "label": "2020", "count": 30}
    ]


def test_a_chosen_year_is_drawn_by_month_with_month_names_under_the_bars(
    client: FlaskClient,
) -> None:
    html = client.get("/?q=wheat&from=2020&to=2020").get_data(as_text=True)
    assert [t for t, _ in _bars(html)][:2] == ["January 2020: 3", "February 2020: 3"]
    assert _axis(html) == [calendar.month_abbr[m] for m in range(1, 13)]
    # Wheat has no other year: there is nowhere to step.
    assert "step-prev" not in html and "step-next" not in html
    assert client.get("/api/search?q=wheat&from=2020&to=2020").get_json()["facets"]["day"] == []


def test_a_range_of_days_steps_by_its_length(client: FlaskClient) -> None:
    html = client.get("/?from=2022-06-01&to=2022-06-10").get_data(as_text=True)
    assert '<span class="period">1–10 June 2022</span>' in html
    assert 'aria-label="Previous: 22–31 May 2022"' in html
    assert 'aria-label="Next: 11–20 June 2022"' in html
    # Days outside the filter are drawn, paler: where the chosen days stand in the month.
    svg = html.split('<figure class="histogram">')[1].split("</svg>")[0]
    assert svg.count('class="chosen"') == 10 and svg.count('class="other"') == 20


@pytest.mark.parametrize(
    ("typed", "words", "total"),
    [
        ({"from": "March 2020", "to": "March 2020"}, "March 2020", 3),
        ({"from": "Mar 2020", "to": "april 2020"}, "March – April 2020", 6),
        ({"from": "15 March 2020", "to": "March 15, 2020"}, "15 March 2020", 3),
        ({"from": "2020"}, "from 2020", 30),
        ({"to": "Feb 2020"}, "until February 2020", 6),
    ],
)
def test_dates_as_people_type_them(
    client: FlaskClient, typed: dict[str, str], words: str, total: int
) -> None:
    r = client.get("/", query_string={"q": "wheat", **typed})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and f'<span class="period">{words}</span>' in html
    assert f'<strong id="total">{total}</strong>' in html
    for name, value in typed.items():  # the form shows what was typed
        assert f'name="{name}" id="{name}" value="{value}"' in html


@pytest.mark.parametrize(
    ("typed", "field", "reason"),
    [
        ({"from": "March"}, "from", "From: &#39;March&#39; has no year: try 1987, March 1987, "
                                    "3 March 1987 or 1987-03-03"),
        ({"to": "3/4/2020"}, "to", "To: &#39;3/4/2020&#39; could be 3 April or March 4: write "
                                   "4 Mar 2020 or Apr 3 2020"),
        ({"from": "2021", "to": "2020"}, "from", "From: 2021-01-01 is after to=2020-12-31"),
        ({"from": "<script>x</script>"}, "from", "From: &#39;&lt;script&gt;x&lt;/script&gt;&#39; "
                                                 "is not a date"),
    ],
)  # fmt: skip
def test_a_rejected_date_keeps_the_query_and_every_other_choice(
    client: FlaskClient, typed: dict[str, str], field: str, reason: str
) -> None:
    """ "March 1987" in From threw the search away and emptied the query box: now the
    search is answered without the date, and the reason stands beside the field."""
    r = client.get("/", query_string={"q": "wheat", "section": "Agriculture", **typed})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert '<strong id="total">30</strong>' in html  # wheat in Agriculture, no date
    assert 'id="q" name="q" type="search" value="wheat"' in html
    assert 'aria-label="Remove section: Agriculture"' in html
    assert f'aria-invalid="true" aria-describedby="{field}-error"' in html
    error = html.split(f'id="{field}-error" role="alert">')[1].split("</span>")[0]
    assert error.startswith(reason)
    assert "<script>x" not in html


def test_other_rejected_parameters_are_left_out_with_a_note(client: FlaskClient) -> None:
    r = client.get("/?q=wheat&page=0&match=some")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and '<strong id="total">30</strong>' in html
    assert '<li class="problem">page: must be a whole number, 1 or more (left out)</li>' in html
    assert '<li class="problem">match: ' in html


def test_section_filter_and_removal(client: FlaskClient) -> None:
    html = client.get("/?q=&section=Markets").get_data(as_text=True)
    assert "Section: Markets" in html
    assert 'href="/" aria-label="Remove section: Markets"' in html


def test_pagination_links(client: FlaskClient) -> None:
    html = client.get("/?q=wheat&page=2").get_data(as_text=True)
    assert 'rel="prev" href="/?q=wheat&amp;page=1"' in html
    assert 'rel="next" href="/?q=wheat&amp;page=3"' in html
    assert '<span aria-current="page">2</span>' in html


def test_did_you_mean_and_empty_state(client: FlaskClient) -> None:
    html = client.get("/?q=cofee").get_data(as_text=True)
    assert '<a id="suggestion" href="/?q=coffee">coffee</a>' in html
    assert "No articles match" in html and "fewer or more general words" in html


def test_notes_are_shown(client: FlaskClient) -> None:
    html = client.get('/?q="coffee').get_data(as_text=True)
    assert "an unclosed quote was ignored" in html


def test_article_page(client: FlaskClient) -> None:
    html = client.get("/articles/a2?q=coffee").get_data(as_text=True)
    assert "<h1>" in html and "<mark>Coffee</mark> harvest in Brazil" in html
    assert "Brazil <mark>coffee</mark> growers" in html
    assert 'rel="prev" href="/articles/a1"' in html
    assert "Related articles" in html


def test_an_article_found_by_a_search_leads_back_to_it(client: FlaskClient) -> None:
    results = client.get("/?q=coffee&from=2022&sort=newest").get_data(as_text=True)
    assert '<a href="/articles/a2?q=coffee&amp;from=2022&amp;sort=newest">' in results
    html = client.get("/articles/a2?q=coffee&from=2022&sort=newest&page=1&evil=1").get_data(
        as_text=True
    )
    top = html.split("<article")[0]
    assert ('<a id="back" href="/?q=coffee&amp;from=2022&amp;sort=newest&amp;page=1">'
            "← Back to results for “coffee”</a>") in top  # fmt: skip
    assert 'id="q" name="q" type="search" value="coffee"' in html  # the box keeps the query
    # Only the passages that match are offered, each linked from the top and to the next.
    assert '1 passage matches:\n      <a href="#p1">1</a></nav>' in html
    assert '<p id="p1" class="matched">Brazil <mark>coffee</mark> growers' in html
    # An article reached without a search has no way back to offer.
    assert 'id="back"' not in client.get("/articles/a2").get_data(as_text=True)


def test_the_back_link_and_the_box_are_escaped(client: FlaskClient) -> None:
    html = client.get('/articles/a1?q="><script>x</script>&section=<b>').get_data(as_text=True)
    assert "<script>x" not in html and "<b>" not in html.split("<article")[0]
    assert "%3Cscript%3E" in html and "&#34;&gt;&lt;script&gt;x&lt;/script&gt;" in html


def test_a_favicon(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    r = client.get("/favicon.ico")
    assert r.status_code == 301 and r.headers["Location"] == "/static/favicon.svg"
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.content_type.startswith("image/svg+xml")


def test_the_api_docs_page_shows_every_endpoint_and_field(client: FlaskClient) -> None:
    doc = client.get("/api/openapi.json").get_json()
    r = client.get("/api/docs")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.content_type.startswith("text/html")
    for path in doc["paths"]:
        assert f"<code>GET {path}</code>" in html
    for name, schema in doc["components"]["schemas"].items():
        assert f'id="schema-{name}"' in html
        for field in schema.get("properties", {}):
            assert f"<code>{field}</code>" in html, (name, field)
    assert "<script" not in html and not re.search(r'(src|href)="(https?:)?//', html)
    assert '<a href="/api/docs">the JSON API</a>' in client.get("/").get_data(as_text=True)


def test_page_errors(client: FlaskClient) -> None:
    r = client.get("/articles/nope")
    assert (
        r.status_code == 404 and b"Not found" in r.data and r.content_type.startswith("text/html")
    )
    r = client.get("/?page=0")
    assert r.status_code == 400 and b"page: must be a whole number" in r.data
    assert client.get("/nowhere").status_code == 404
    assert client.post("/").status_code == 405


@pytest.mark.parametrize(
    "url", ["/?q=zebra", "/?q=zebra+<script>alert(9)</script>", "/articles/evil?q=zebra",
            "/?q=<img+src=x+onerror=alert(1)>&section=<b>Sec</b>", "/?q=\"'><script>x</script>"],
)  # fmt: skip
def test_hostile_text_is_inert_in_pages(client: FlaskClient, url: str) -> None:
    html = client.get(url).get_data(as_text=True)
    assert "<script" not in html
    assert "<img" not in html and "<b>Sec</b>" not in html
    # Only <mark> survives as markup from our text.
    body = html.split('<main id="main">', 1)[1]
    assert set(re.findall(r"<(mark|script|img|b)\b", body)) <= {"mark"}


def test_hostile_text_is_escaped_in_json(client: FlaskClient) -> None:
    data = client.get("/api/search?q=zebra").get_json()
    (hit,) = data["results"]
    assert hit["title"] == "Zebra <script>alert('t')</script>"  # JSON carries the text as text
    assert "<script" not in hit["snippet"] and "<img" not in hit["snippet"]
    article = client.get("/api/articles/evil").get_json()
    assert article["standfirst"] == '<img src=x onerror="alert(1)">'


def test_a_new_build_is_seen_without_restart(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.jsonl").write_text(json.dumps(ARTICLES[0]) + "\n")
    location = tmp_path / "index"
    build([src], location)
    client = create_app({"TESTING": True, "INDEX": str(location)}).test_client()
    assert client.get("/api/search?q=coffee").get_json()["total"] == 0
    with open(src / "a.jsonl", "a") as f:
        f.write(json.dumps(ARTICLES[1]) + "\n")
    build([src], location)  # a new generation, switched in
    assert client.get("/api/search?q=coffee").get_json()["total"] == 1
    assert client.get("/api/health").get_json()["generation"] == "gen-000002"
    from search.indexing import update

    with open(src / "a.jsonl", "a") as f:
        f.write(json.dumps(ARTICLES[2]) + "\n")
    update([src], location)  # committed in place
    assert client.get("/api/search?q=coffee").get_json()["total"] == 2


def test_recent_sort_in_api_and_page(client: FlaskClient) -> None:
    data = client.get("/api/search?q=coffee&sort=recent&half_life=30").get_json()
    assert data["sort"] == "recent" and data["half_life"] == 30.0
    assert [h["id"] for h in data["results"]] == ["a2", "a3"]  # 2023 before 2022
    assert client.get("/api/search?q=coffee").get_json()["half_life"] is None
    for bad in ("x", "0", "nan", "1e12"):
        body = assert_error(client.get(f"/api/search?q=coffee&sort=recent&half_life={bad}"), 400)
        assert body["error"]["message"].startswith("half_life: ")
    html = client.get("/?q=coffee&sort=recent&half_life=30").get_data(as_text=True)
    assert '<span aria-current="true">relevant and recent</span>' in html
    assert '<a href="/?q=coffee&amp;sort=newest">newest first</a>' in html
    # A new query in the form keeps the order and its half-life.
    assert '<input type="hidden" name="sort" value="recent">' in html
    assert '<input type="hidden" name="half_life" value="30.0">' in html


def test_match_any_on_the_page_is_kept_by_its_links(client: FlaskClient) -> None:
    html = client.get("/?q=coffee+wheat&match=any").get_data(as_text=True)
    assert '<strong id="total">32</strong>' in html
    assert '<option value="any" selected>any of them</option>' in html
    year = 'class="facet-year" href="/?q=coffee+wheat&amp;match=any&amp;from=2020&amp;to=2020"'
    assert year in html
    assert 'id="feed" href="/feed?q=coffee+wheat&amp;match=any"' in html
    feed = client.get("/feed?q=coffee+wheat&match=any").get_data(as_text=True)
    assert feed.count("<entry>") == 30
    # No article has both words: the page shows those with either, and says so; the
    # form still asks for all of them next time.
    plain = client.get("/?q=coffee+wheat").get_data(as_text=True)
    assert '<strong id="total">32</strong>' in plain
    assert "<li>no article has all of these words: these have some of them</li>" in plain
    assert '<option value="all" selected>all of them</option>' in plain


@pytest.mark.parametrize(
    ("query", "total", "match", "relaxed"),
    [
        ("q=coffee+wheat", 0, "all", False),  # the API does what it is asked
        ("q=coffee+wheat&relax=true", 32, "any", True),
        ("q=coffee+brazil&relax=true", 1, "all", False),  # one has both: no relaxing
        ("q=zebrafish&relax=true", 0, "all", False),  # one word: nothing to relax
        ("q=coffee+zebrafish&relax=true&match=any", 2, "any", False),
    ],
)
def test_relax_answers_with_any_of_the_words_when_none_has_all(
    client: FlaskClient, query: str, total: int, match: str, relaxed: bool
) -> None:
    data = client.get("/api/search?" + query).get_json()
    assert (data["total"], data["match"], data["relaxed"]) == (total, match, relaxed)
    assert (RELAXED_NOTE in data["notes"]) == relaxed


def test_relax_must_be_true_or_false(client: FlaskClient) -> None:
    body = assert_error(client.get("/api/search?q=a+b&relax=maybe"), 400, "invalid_parameter")
    assert body["error"]["message"] == "relax: must be true or false"
