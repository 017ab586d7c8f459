"""A reader's path in a real Chromium (Debian's, driven by Playwright) against gunicorn."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT, index_from_records
from tests.live import Server

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() or shutil.which("chromium") is None,
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does it)",
)


def _articles() -> list[dict[str, str]]:
    out = []
    for i in range(40):
        # 25 in March 2020 (three pages), the rest spread over 2019 and 2020.
        when = f"2020-03-{1 + i % 28:02d}" if i < 25 else f"{2019 + i % 2}-{1 + i % 12:02d}-10"
        out.append({"id": f"w{i}", "title": f"Wheat harvest report {i}", "published": when,
                    "section": "Agriculture",
                    "body": f"Farmers reported wheat yields for field {i}. Prices held."})  # fmt: skip
    out.append({"id": "x1", "title": "Zebra <script>window.pwned=1</script>",
                "published": "2021-01-01", "body": "<img src=x onerror=window.pwned=2> zebra"})  # fmt: skip
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    index = index_from_records(tmp_path_factory.mktemp("browser"), _articles())
    srv = Server(index, tmp_path_factory.mktemp("logs") / "server.log")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield b
        b.close()


def _total(page: object) -> int:
    return int(page.locator("#total").inner_text().replace(",", ""))  # type: ignore[attr-defined]


def test_a_readers_path(server: Server, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 1400})  # type: ignore[attr-defined]
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(server.url + "/")
    # The Content-Security-Policy lets our own stylesheet in and blocks nothing we use.
    assert page.evaluate("document.styleSheets[0].cssRules.length") > 10
    page.get_by_label("Search the archive").fill("wheat")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=wheat"))
    assert _total(page) == 40
    assert page.locator(".snippet mark").count() >= 10
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "results.png"), full_page=True)

    page.locator("a.facet-year", has_text="2020").click()
    page.wait_for_url(re.compile(r"from=2020&to=2020"))
    march = page.locator("li", has=page.locator("a.facet-month", has_text="Mar 2020"))
    expected = int(march.locator(".n").inner_text())
    assert expected == 25
    months_of_2020 = page.locator("a.facet-month").count()
    assert months_of_2020 > 1
    march.locator("a").click()
    page.wait_for_url(re.compile(r"from=2020-03&to=2020-03"))
    assert _total(page) == expected
    # The month is walked: the year's months stay, March marked; the bars are its days.
    assert page.locator("a.facet-month[aria-current]").inner_text() == "Mar 2020"
    assert page.locator("a.facet-month").count() == months_of_2020
    assert page.locator(".histogram rect").count() == 31
    assert page.locator(".axis li", has_text="15").count() == 1
    page.screenshot(path=str(ARTIFACTS / "month.png"), full_page=True)
    page.locator("a.step-next").click()
    page.wait_for_url(re.compile(r"from=2020-04-01&to=2020-04-30"))
    assert page.locator("li.date-filter .period").inner_text() == "April 2020"
    page.locator("a.step-prev").click()
    page.wait_for_url(re.compile(r"from=2020-03-01&to=2020-03-31"))
    assert _total(page) == expected

    page.locator("a[rel=next]").first.click()
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator("[aria-current=page]").inner_text() == "2"
    assert page.locator("li.hit").count() == 10

    first = page.locator("li.hit h2 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/articles/w\d+"))
    assert page.locator("h1").inner_text() == title
    assert page.locator("article mark").count() >= 1
    # The way back is at the top, to the very page of results, and the box keeps the query.
    assert page.get_by_label("Search the archive").input_value() == "wheat"
    back = page.locator("#back")
    assert _box(back)["y"] < _box(page.locator("h1"))["y"]
    page.locator("nav.matches a").first.click()
    page.wait_for_url(re.compile(r"#p\d+$"))
    back.click()
    page.wait_for_url(re.compile(r"/\?q=wheat&from=2020-03-01&to=2020-03-31&page=2$"))
    assert page.locator("[aria-current=page]").inner_text() == "2"

    page.goto(server.url + "/?q=wheet")
    assert _total(page) == 0
    page.locator("#suggestion").click()
    page.wait_for_url(re.compile(r"q=wheat"))
    assert _total(page) == 40
    assert not [m for m in console if "Content Security Policy" in m or "Refused" in m], console
    page.close()


def test_hostile_article_stays_inert(server: Server, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server.url + "/?q=zebra")
    assert page.locator("li.hit h2").inner_text() == "Zebra <script>window.pwned=1</script>"
    page.locator("li.hit h2 a").click()
    page.wait_for_url(re.compile(r"/articles/x1"))
    assert page.evaluate("window.pwned === undefined")
    assert page.locator("img").count() == 0
    page.close()


def _box(locator: object) -> dict[str, float]:
    box = locator.bounding_box()  # type: ignore[attr-defined]
    assert box is not None, "not laid out"
    return dict(box)


def test_on_a_phone_filters_and_sort_are_above_the_results(server: Server, browser: object) -> None:
    """390 px: the filters are one line above the first result (a disclosure, no script)
    and the sort is in plain view; opening the filters and choosing a year works."""
    page = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    page.goto(server.url + "/?q=wheat")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "scrolls sideways"
    first_hit = _box(page.locator("li.hit").first)
    panel = page.locator("details.filter-panel > summary")
    assert panel.is_visible() and _box(panel)["y"] < first_hit["y"]
    assert _box(panel)["y"] + _box(panel)["height"] < 844, "the filters are below the fold"
    sort = page.locator("nav.sort")
    assert sort.is_visible() and _box(sort)["y"] < first_hit["y"]
    assert not page.locator("a.facet-year").first.is_visible()  # closed until asked
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone-results.png"))
    panel.click()
    year = page.locator("li", has=page.locator("a.facet-year", has_text="2020"))
    assert year.is_visible()
    in_2020 = int(year.locator(".n").inner_text())
    page.screenshot(path=str(ARTIFACTS / "phone-filters-open.png"))
    year.locator("a").click()
    page.wait_for_url(re.compile(r"from=2020&to=2020"))
    assert _total(page) == in_2020 > 25
    assert "1 chosen" in page.locator("details.filter-panel > summary").inner_text()
    page.locator("nav.sort a", has_text="newest first").click()
    page.wait_for_url(re.compile(r"sort=newest"))
    assert page.locator("nav.sort [aria-current]").inner_text() == "newest first"
    assert _total(page) == in_2020  # the year is kept
    page.screenshot(path=str(ARTIFACTS / "phone-year-newest.png"), full_page=True)
    page.close()


def test_on_a_wide_screen_filters_are_a_column_beside_the_results(
    server: Server, browser: object
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page.goto(server.url + "/?q=wheat")
    assert not page.locator("details.filter-panel > summary").is_visible()
    year = page.locator("a.facet-year").first
    assert year.is_visible()  # without opening anything
    first_hit = _box(page.locator("li.hit").first)
    assert _box(year)["x"] + _box(year)["width"] < first_hit["x"]
    assert (
        abs(_box(page.locator("aside.facets"))["y"] - _box(page.locator("section.results"))["y"])
        < 5
    )
    assert page.locator("nav.sort").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "wide-results.png"), full_page=True)
    page.close()


def test_a_reader_asks_for_any_of_the_words(server: Server, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    page.goto(server.url + "/?q=zebra+wheat")
    # No article has both: those with either are shown, with a note saying so.
    assert _total(page) == 41
    assert page.locator(".notes li", has_text="no article has all of these words").is_visible()
    page.locator("summary", has_text="Words and dates").click()
    page.get_by_label("Words").select_option("any")
    page.get_by_label("Search the archive").press("Enter")
    page.wait_for_url(re.compile(r"match=any"))
    assert _total(page) == 41
    assert page.get_by_label("Words").input_value() == "any"
    # The choice survives narrowing by a facet.
    page.locator("a.facet-year", has_text="2021").click()
    page.wait_for_url(re.compile(r"match=any&from=2021&to=2021"))
    assert _total(page) == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "match-any.png"), full_page=True)
    page.close()


@pytest.fixture(scope="module")
def other_origin() -> Iterator[str]:
    """A blank page on another port of loopback: another origin, without our CSP."""

    class Blank(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<!doctype html><title>another site</title>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Blank)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_a_page_on_another_origin_reads_the_api_the_export_and_the_feed(
    server: Server, browser: object, other_origin: str
) -> None:
    """What a developer's page does: send an X-Request-Id (a preflight), read the
    export's X-Total-Count and our X-Request-Id, and read why a request failed."""
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(other_origin)
    got = page.evaluate(
        """async (base) => {
            const id = {headers: {"X-Request-Id": "from-another-site"}};
            const s = await fetch(base + "/api/search?q=wheat", id);
            const e = await fetch(base + "/api/export?q=wheat&format=jsonl", id);
            const lines = (await e.text()).split("\\n").filter(Boolean).length;
            const f = await fetch(base + "/feed?q=wheat", id);
            const bad = await fetch(base + "/api/search?page=0", id);
            return {
                search: [s.status, s.headers.get("X-Request-Id"), (await s.json()).total],
                export: [e.status, e.headers.get("X-Total-Count"), lines],
                feed: [f.status, (await f.text()).includes("<feed")],
                bad: [bad.status, (await bad.json()).error.code],
            };
        }""",
        server.url,
    )
    assert got == {
        "search": [200, "from-another-site", 40],
        "export": [200, "40", 40],
        "feed": [200, True],
        "bad": [400, "invalid_parameter"],
    }
    page.close()


def test_a_reader_types_dates_in_words(server: Server, browser: object) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    page.goto(server.url + "/?q=wheat")
    page.locator("summary", has_text="Words and dates").click()
    page.get_by_label("From").fill("March 2020")
    page.get_by_label("To").fill("March 2020")
    page.get_by_label("To").press("Enter")
    page.wait_for_url(re.compile(r"from=March"))
    assert _total(page) == 25  # the 25 of March 2020
    assert page.locator("li.date-filter .period").inner_text() == "March 2020"
    # A date without a year: the search is answered without it, the reason beside it.
    page.get_by_label("From").fill("March")
    page.get_by_label("From").press("Enter")
    page.wait_for_url(re.compile(r"from=March&"))
    error = page.locator("#from-error")
    assert error.is_visible() and "has no year" in error.inner_text()
    assert page.get_by_label("Search the archive").input_value() == "wheat"
    assert page.get_by_label("From").input_value() == "March"
    assert page.get_by_label("To").input_value() == "March 2020"
    assert page.locator("li.date-filter .period").inner_text() == "until March 2020"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone-date-problem.png"))
    page.close()
