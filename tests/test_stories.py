"""Same story, many copies: near-duplicates found at index time, one hit per story with
"N more versions", every version one click away; on generated re-scrapes of the seed and
on Reuters-21578's real repeats."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from search.backends.whoosh.store import IndexStore
from search.indexing import build, update
from search.querying import search
from search.stories import (
    KEYS,
    MAX_BUCKET,
    SKETCH,
    THRESHOLD,
    WINDOW_DAYS,
    Sketch,
    cluster,
    resemblance,
    sketch,
)
from tests.conftest import SEED, needs_reuters
from web import create_app

SEED_TEXT = SEED.read_text(encoding="utf-8")


def rescrape(today: str, edit: str | None = None) -> str:
    """The seed page scraped again another day (and, with ``edit``, lightly edited)."""
    lines = SEED_TEXT.splitlines()
    assert lines[0].startswith("Today:")
    lines[0] = f"Today: {today}"
    text = "\n".join(lines)
    if edit:
        text = text.replace("Taliban", edit, 1)
    return text


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("copies-src")
    (src / "seed.txt").write_text(SEED_TEXT, encoding="utf-8")
    (src / "again-1.txt").write_text(rescrape("11 March 2025"), encoding="utf-8")
    (src / "again-2.txt").write_text(rescrape("12 March 2025", "The Taliban"), encoding="utf-8")
    other = (
        SEED_TEXT.split("\n\n", 1)[0]
        + "\n\nA different story about the Taliban\n\n"
        + (
            "Farmers in the north sold wheat and barley at the market this week, "
            "traders said, and prices held steady.\n"
        )
    )
    (src / "other.txt").write_text(other, encoding="utf-8")
    location = tmp_path_factory.mktemp("copies") / "index"
    build([src], location)
    return location


def test_sketches_estimate_resemblance() -> None:
    a = sketch("a", date(2023, 1, 1), "Title", SEED_TEXT)
    assert resemblance(a, sketch("b", date(2023, 1, 1), "Title", SEED_TEXT)) == 1.0
    c = sketch("c", date(2023, 1, 1), "Other", "completely different words about wheat farming")
    assert resemblance(a, c) == 0.0
    day = date(2023, 1, 1)
    far = date(2023, 1, 1 + WINDOW_DAYS + 1)
    same = [sketch("x", day, "T", SEED_TEXT), sketch("y", far, "T", SEED_TEXT)]
    assert cluster(same) == {}  # the same text, too far apart: not one story


def test_rescrapes_are_one_hit_with_versions(copies: Path) -> None:
    store = IndexStore(copies)
    page = search("taliban", index=store)
    assert page.total == 4 and page.collapsed == 2
    stories = [h for h in page.hits if h.versions]
    assert len(page.hits) == 2 and len(stories) == 1
    (hit,) = stories
    assert hit.versions == 2 and hit.story is not None
    every = search("taliban", story=hit.story, index=store)
    assert every.total == 3 and len(every.hits) == 3 and every.collapsed == 0
    assert {h.story for h in every.hits} == {hit.story}


def test_versions_on_the_page_and_in_the_api(copies: Path) -> None:
    client: FlaskClient = create_app({"TESTING": True, "INDEX": str(copies)}).test_client()
    data = client.get("/api/search?q=taliban").get_json()
    (hit,) = [h for h in data["results"] if h["versions"]]
    assert data["collapsed"] == 2 and hit["versions"] == 2
    html = client.get("/?q=taliban").get_data(as_text=True)
    link = f'href="/?q=taliban&amp;story={hit["story"]}">2 more versions of this story</a>'
    assert link in html
    listing = client.get(f"/?q=taliban&story={hit['story']}").get_data(as_text=True)
    assert listing.count('<li class="hit">') == 3 and "Every version of one story" in listing


def test_an_update_clusters_a_new_copy_with_old_ones(copies: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "seed.txt").write_text(SEED_TEXT, encoding="utf-8")
    location = tmp_path / "index"
    build([src], location)
    assert search("taliban", index=IndexStore(location)).hits[0].versions == 0
    (src / "later.txt").write_text(rescrape("20 March 2025"), encoding="utf-8")
    assert update([src], location).indexed == 1
    (hit,) = search("taliban", index=IndexStore(location)).hits
    assert hit.versions == 1


@needs_reuters
@pytest.mark.parametrize(
    "title",
    ["SUMITA SAYS LITTLE ROOM FOR BANK TO EASE POLICY", "CME PROPOSES NIKKEI STOCK AVERAGE FUTURES",
     "GROUP-77 OFFICIALS SET AGENDA FOR DHAKA MEETING"],
)  # fmt: skip
def test_reuters_repeats_are_one_story(reuters_index: Path, title: str) -> None:
    page = search(f'title:"{title}"', index=IndexStore(reuters_index))
    assert page.total == 2 and page.collapsed == 1
    (hit,) = page.hits
    assert hit.versions == 1


@needs_reuters
def test_reuters_stories_never_span_more_than_the_window(reuters_index: Path) -> None:
    snap = IndexStore(reuters_index).snapshot()
    stories = snap.stories.each()
    assert len(stories) == snap.stories.count
    assert 300 < len(stories) < 1000  # hundreds of repeats, not thousands
    for name, members in stories.items():
        assert len(members) >= 2 and snap.stories.members(name).tolist() == members.tolist()
        days = [int(snap.day[d]) for d in members]
        assert max(days) - min(days) <= WINDOW_DAYS
    # A daily template story ("FED ADDS RESERVES …") is not one story across the month.
    page = search('title:"fed adds reserves via customer repurchases"', index=snap.location)
    assert page.total - page.collapsed >= 5


def test_index_check_finds_canaries_that_are_folded_copies(copies: Path) -> None:
    from search.check import check_index

    report = check_index(copies)
    assert report.ok, report.to_dict()


@needs_reuters
@pytest.mark.parametrize("q", ["oil", "bank rate", "dollar"])
def test_pages_are_over_stories_and_the_last_one_is_full(reuters_index: Path, q: str) -> None:
    """`total` counts every article and `stories` the results: paging by `total` came back
    to empty pages (671 articles, 23 folded). The last page `pages` gives is the last
    with results, and the page says both counts."""
    client = create_app({"TESTING": True, "INDEX": str(reuters_index)}).test_client()
    first = client.get("/api/search", query_string={"q": q, "per_page": 20}).get_json()
    assert first["collapsed"] > 0, "no copies among the matches: the test proves nothing"
    assert first["stories"] == first["total"] - first["collapsed"]
    assert first["pages"] == -(-first["stories"] // 20)
    last = client.get("/api/search", query_string={"q": q, "per_page": 20,
                                                   "page": first["pages"]}).get_json()  # fmt: skip
    assert len(last["results"]) == first["stories"] - 20 * (first["pages"] - 1) > 0
    past = {"q": q, "per_page": 20, "page": first["pages"] + 1}
    assert client.get("/api/search", query_string=past).get_json()["results"] == []
    html = client.get("/", query_string={"q": q}).get_data(as_text=True)
    assert (f'<strong id="stories">{first["stories"]:,}</strong> stories, '
            f'<strong id="total">{first["total"]:,}</strong> articles') in html  # fmt: skip


@needs_reuters
def test_the_pager_offers_no_false_last_page_past_the_result_window(reuters_index: Path) -> None:
    """All of Reuters is over 20,000 results and only 10,000 can be paged through: the
    pager of the first page offered "1000" as if it were the last."""
    client = create_app({"TESTING": True, "INDEX": str(reuters_index)}).test_client()
    html = client.get("/").get_data(as_text=True)
    pager = html.split('<nav class="pages"')[1].split("</nav>")[0]
    assert ">1000<" not in pager and '<span class="gap">…</span>' in pager
    assert 'rel="next"' in pager and 'id="capped"' not in html
    last = client.get("/?page=1000").get_data(as_text=True)
    assert 'id="capped"' in last and 'rel="next"' not in last
    assert "Only the first 10,000 results can be paged through" in last


def _reference_clusters(sketches: list[Sketch]) -> dict[str, str]:
    """The clustering as first written: every pair of every candidate bucket, checked
    once each, in order (the definition the faster one must agree with)."""
    items = sorted(sketches, key=lambda s: (s.published, s.id))
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(items):
        for h in s.hashes[:KEYS]:
            buckets[h].append(i)
    parent = list(range(len(items)))
    span = [(s.published, s.published) for s in items]

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    checked: set[tuple[int, int]] = set()
    for members in buckets.values():
        if len(members) < 2 or len(members) > MAX_BUCKET:
            continue
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                if (i, j) in checked:
                    continue
                checked.add((i, j))
                ri, rj = find(i), find(j)
                if ri == rj:
                    continue
                lo, hi = min(span[ri][0], span[rj][0]), max(span[ri][1], span[rj][1])
                if (hi - lo).days <= WINDOW_DAYS and resemblance(items[i], items[j]) >= THRESHOLD:
                    parent[ri] = rj
                    span[rj] = (lo, hi)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(items)):
        groups[find(i)].append(i)
    out = {}
    for members in groups.values():
        if len(members) > 1:
            first = min(members, key=lambda i: (items[i].published, items[i].id))
            for i in members:
                out[items[i].id] = items[first].id
    return out


def _generated_sketches(seed: int, n: int, days: int) -> list[Sketch]:
    """Families of near-duplicate sketches (a few hashes changed, some cut short),
    spread over ``days``: chains, bridges and buckets of every size."""
    rnd = random.Random(seed)
    families = [sorted(rnd.sample(range(1, 1 << 32), SKETCH)) for _ in range(max(2, n // 40))]
    out = []
    for i in range(n):
        hashes = list(rnd.choice(families))
        for _ in range(rnd.choice([0, 0, 2, 8, 20])):
            hashes[rnd.randrange(SKETCH)] = rnd.randrange(1, 1 << 32)
        kept = tuple(sorted(set(hashes)))[: rnd.choice([SKETCH, SKETCH, SKETCH, 3, 10, 0])]
        day = date(2020, 1, 1) + timedelta(days=rnd.randrange(days))
        out.append(Sketch(f"a{rnd.randrange(10**6):06d}-{i}", day, kept))
    return out


@pytest.mark.parametrize(("seed", "n", "days"), [(1, 2000, 12), (2, 3000, 3), (3, 1500, 400)])
def test_clusters_agree_with_the_reference(seed: int, n: int, days: int) -> None:
    sketches = _generated_sketches(seed, n, days)
    expected = _reference_clusters(sketches)
    assert expected  # the generator makes copies
    assert cluster(sketches) == expected
    rnd = random.Random(seed)
    rnd.shuffle(sketches)
    assert cluster(sketches) == expected  # whatever order they come in


def test_copies_years_apart_are_not_compared() -> None:
    """Many copies of one text, a year apart each (the bench's shifted corpora), share
    every candidate bucket: none is a story, until one is within the window."""
    text = SEED_TEXT
    sketches = [sketch(f"c{k}", date(1987 + k, 3, 1), "Title", text) for k in range(150)]
    assert cluster(sketches) == {}
    same_day = [*sketches, sketch("d", date(1987, 3, 2), "Title", text)]
    assert cluster(same_day) == {"c0": "c0", "d": "c0"}
