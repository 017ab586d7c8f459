"""Reading articles: the seed field by field, the ways real scrapes vary, bad input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from search.articles import (
    MAX_FILE_BYTES,
    Article,
    DateOrder,
    Note,
    Skip,
    detect_format,
    parse_date,
    parse_page,
    read_path,
    read_paths,
)
from search.readers.dates import read_labelled_date
from search.readers.pages import furniture_label, read_reading_time
from tests.conftest import REUTERS, SEED, needs_reuters, page


def parse_ok(data: bytes | str, path: str = "x.txt") -> Article:
    result = parse_page(data, path)
    assert isinstance(result, Article), result
    return result


# ----------------------------------------------------------------------- the seed


@pytest.fixture(scope="module")
def seed() -> Article:
    return parse_ok(SEED.read_bytes(), str(SEED))


def test_seed_header(seed: Article) -> None:
    assert seed.title == "Taliban seek to prove legitimacy through anti-IS campaign"
    assert seed.published == date(2023, 4, 29)
    assert seed.crawled == date(2025, 3, 10)
    assert seed.reading_minutes == 2
    assert seed.section == "Top News"
    assert seed.source == "Asian Lite News"
    assert seed.id == "seed"


def test_seed_standfirst_and_body(seed: Article) -> None:
    assert seed.standfirst.startswith("The Taliban regime appears to have weakened the group")
    assert seed.standfirst.endswith("reports Asian Lite News")
    assert len(seed.body) == 14
    assert seed.body[0].startswith("The Taliban regime in Afghanistan has intensified")
    assert seed.body[-1].endswith("a crackdown on the rights of women and girls.")


def test_seed_furniture(seed: Article) -> None:
    assert seed.related == ("Neighbours urge Taliban to form inclusive govt",)
    assert seed.previous_title == "Wheat shortage hits Pakistan in unprecedented levels"
    assert seed.next_title == "Medicines or Exercise?"
    text = " ".join([seed.title, seed.standfirst, *seed.body])
    for teaser_word in ("Zelenskyy", "Hezbollah", "Wheat", "Bagram", "ALSO READ", "Go toTop"):
        assert teaser_word not in text


def test_content_hash_ignores_scrape_date_and_neighbours(seed: Article) -> None:
    rescraped = SEED.read_text(encoding="utf-8").replace(
        "Today: 10 March 2025", "Today: 1 May 2026"
    )
    rescraped = rescraped.replace("Medicines or Exercise?", "A newer story")
    again = parse_ok(rescraped, str(SEED))
    assert again.crawled == date(2026, 5, 1)
    assert again.content_hash == seed.content_hash
    edited = parse_ok(SEED.read_text(encoding="utf-8").replace("170 Afghans", "171 Afghans"))
    assert edited.content_hash != seed.content_hash


def test_to_dict_is_json_with_iso_dates(seed: Article) -> None:
    d = json.loads(json.dumps(seed.to_dict()))
    assert d["published"] == "2023-04-29"
    assert d["crawled"] == "2025-03-10"
    assert d["related"] == ["Neighbours urge Taliban to form inclusive govt"]
    assert set(d) == {
        "id", "path", "title", "published", "crawled", "reading_minutes", "standfirst", "body",
        "section", "source", "related", "previous_title", "next_title", "content_hash",
        "topics", "places", "people", "orgs", "exchanges", "url",
    }  # fmt: skip
    assert d["topics"] == [] and seed.tags() == {}


# -------------------------------------------------------------- how scrapes vary


D = date(2023, 4, 29)


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("29 April 2023", "dmy", D),
        ("April 29, 2023", "dmy", D),
        ("29 Apr 2023", "dmy", D),
        ("Apr. 29, 2023", "dmy", D),
        ("29th April 2023", "dmy", D),
        ("April 29th, 2023", "dmy", D),
        ("29 APRIL 2023", "dmy", D),
        ("29-Apr-2023", "dmy", D),
        ("29 April, 2023", "dmy", D),
        ("Saturday, 29 April 2023", "dmy", D),
        ("Sat 29 Apr 2023", "dmy", D),
        ("Sat, 29 Apr 2023 10:32:00 +0000", "dmy", D),
        ("29 April 2023 10:32", "dmy", D),
        ("April 29, 2023, 10:32 AM IST", "dmy", D),
        ("10:32 AM, April 29, 2023", "dmy", D),
        ("2023-04-29", "dmy", D),
        ("2023-04-29", "mdy", D),
        ("2023/04/29", "mdy", D),  # year first is always year-month-day
        ("2023.04.29", "dmy", D),
        ("2023-04-29T10:32:00Z", "dmy", D),
        ("2023-04-29 10:32:00+05:30", "dmy", D),
        ("2025-03-10", "dmy", date(2025, 3, 10)),
        ("05/04/2023", "dmy", date(2023, 4, 5)),
        ("05/04/2023", "mdy", date(2023, 5, 4)),
        ("05-04-2023", "dmy", date(2023, 4, 5)),
        ("05.04.2023", "mdy", date(2023, 5, 4)),
        ("29/04/2023", "mdy", D),  # one valid reading: read that way
        ("04/29/2023", "dmy", D),
        ("29/04/23", "dmy", D),
        ("Sept 3, 2021", "dmy", date(2021, 9, 3)),
        ("1 January 1999", "dmy", date(1999, 1, 1)),
        ("2 mins read", "dmy", None),
        ("30 February 2023", "dmy", None),
        ("31/02/2023", "dmy", None),
        ("April 2023", "dmy", None),  # no day: not a publication date
        ("1987", "dmy", None),
        ("2023 election", "dmy", None),
        ("Taliban seek to prove legitimacy", "dmy", None),
        ("", "dmy", None),
    ],
)
def test_parse_date(text: str, order: DateOrder, expected: date | None) -> None:
    assert parse_date(text, order) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Published: 29 April 2023", ("published", D)),
        ("Published on 29 April 2023", ("published on", D)),
        ("published on: April 29, 2023", ("published on", D)),
        ("Posted: Apr 29, 2023", ("posted", D)),
        ("Date: 2023-04-29", ("date", D)),
        ("Updated: 29 April 2023", ("updated", D)),
        ("29 April 2023", ("", D)),
        ("Published: soon", None),
        ("Published", None),
    ],
)
def test_read_labelled_date(text: str, expected: tuple[str, date] | None) -> None:
    assert read_labelled_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 mins read", 2),
        ("2 min read", 2),
        ("2 minutes read", 2),
        ("1 minute read", 1),
        ("2-minute read", 2),
        ("2 min. read", 2),
        ("12 MINS READ", 12),
        ("Reading time: 2 minutes", 2),
        ("Reading time: 1 minutes", 1),
        ("Read time: 2 min", 2),
        ("Estimated reading time: 3 minutes", 3),
        ("2 mins", 2),
        ("⏱ 4 min read", 4),
        ("2 miles read", None),
        ("Read the 2 minutes", None),
        ("Taliban seek", None),
    ],
)
def test_read_reading_time(text: str, expected: int | None) -> None:
    assert read_reading_time(text) == expected


SEED_TEXT = SEED.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "data", "checks"),
    [
        (
            "date April 29, 2023",
            SEED_TEXT.replace("\n29 April 2023\n", "\nApril 29, 2023\n"),
            {"published": date(2023, 4, 29)},
        ),
        (
            "date 29 Apr 2023",
            SEED_TEXT.replace("\n29 April 2023\n", "\n29 Apr 2023\n"),
            {"published": date(2023, 4, 29)},
        ),
        (
            "date 2023-04-29",
            SEED_TEXT.replace("\n29 April 2023\n", "\n2023-04-29\n"),
            {"published": date(2023, 4, 29)},
        ),
        (
            "no Today line",
            SEED_TEXT.replace("Today: 10 March 2025\n", ""),
            {"crawled": None, "published": date(2023, 4, 29), "reading_minutes": 2},
        ),
        (
            "no reading time",
            SEED_TEXT.replace("2 mins read\n", ""),
            {
                "reading_minutes": None,
                "title": "Taliban seek to prove legitimacy through anti-IS campaign",
            },
        ),
        ("1 min read", SEED_TEXT.replace("2 mins read", "1 min read"), {"reading_minutes": 1}),
        (
            "a standfirst without a credit is still the standfirst (the layout has one)",
            page(standfirst="It ends like a sentence.", body=["First para.", "Second para."]),
            {
                "standfirst": "It ends like a sentence.",
                "body": ("First para.", "Second para."),
                "source": "",
            },
        ),
        (
            "one paragraph only: the body, no standfirst",
            page(standfirst=None, body=["Only para."]),
            {"standfirst": "", "body": ("Only para.",), "source": ""},
        ),
        (
            "no footer",
            page(section=None, body=["Only para one.", "Only para two."]),
            {"section": "", "body": ("Only para one.", "Only para two."), "previous_title": ""},
        ),
        (
            "ALSO READ in the body",
            page(
                body=["One.", "ALSO READ: First link", "Two.", "ALSO READ: Second link", "Three."]
            ),
            {"body": ("One.", "Two.", "Three."), "related": ("First link", "Second link")},
        ),
        (
            "CRLF line endings",
            SEED_TEXT.replace("\n", "\r\n").encode("utf-8"),
            {
                "title": "Taliban seek to prove legitimacy through anti-IS campaign",
                "section": "Top News",
            },
        ),
        (
            "UTF-8 BOM",
            b"\xef\xbb\xbf" + SEED_TEXT.encode("utf-8"),
            {"crawled": date(2025, 3, 10), "published": date(2023, 4, 29)},
        ),
        (
            "Windows-1252 bytes",
            page(title="Minister’s “big” day", body=["It’s “here”."]).encode("cp1252"),
            {"title": "Minister’s “big” day", "body": ("It’s “here”.",)},
        ),
        (
            "trailing whitespace and blank runs",
            SEED_TEXT.replace("\n", "   \n").replace("\n   \n", "\n\n\n\n"),
            {
                "title": "Taliban seek to prove legitimacy through anti-IS campaign",
                "section": "Top News",
                "reading_minutes": 2,
            },
        ),
    ],
)
def test_variations_parse(name: str, data: str | bytes, checks: dict[str, object]) -> None:
    article = parse_ok(data)
    for field, value in checks.items():
        assert getattr(article, field) == value, f"{name}: {field}"


def test_variations_keep_the_seed_body() -> None:
    for data in (SEED_TEXT.replace("\n", "\r\n"), SEED_TEXT.replace("\n", "  \n")):
        article = parse_ok(data)
        assert len(article.body) == 14
        assert article.related == ("Neighbours urge Taliban to form inclusive govt",)


# --------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty", b"", "empty file"),
        ("only whitespace", b"  \n\n \r\n", "empty file"),
        ("binary", bytes(range(256)) * 4, "binary file"),
        ("PNG header", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100, "binary file"),
        ("no date", b"Just a title\n\nAnd some text.\n", "no publication date"),
        (
            "unreadable date",
            b"Today: 10 March 2025\n31 Smarch 2023\n\nTitle\n\nBody.\n",
            "no publication date",
        ),
        ("date but no title", b"29 April 2023\n2 mins read\n\n", "no headline"),
        ("footer instead of title", b"29 April 2023\n\nPrevious Story\n\nX\n", "no headline"),
        ("too large", b"29 April 2023\n\nT\n\n" + b"x " * (MAX_FILE_BYTES // 2 + 10), "too large"),
    ],
)
def test_bad_input_is_skipped_with_reason(name: str, data: bytes, reason: str) -> None:
    result = parse_page(data, f"/archive/{name}.txt")
    assert isinstance(result, Skip), name
    assert reason in result.reason
    assert result.path == f"/archive/{name}.txt"
    assert "\n" not in str(result)


def test_read_paths_reports_missing_and_keeps_going(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(page(title="Good one"), encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02")
    (tmp_path / ".hidden.txt").write_text(page(title="Hidden"), encoding="utf-8")
    items = list(read_paths([tmp_path, tmp_path / "nope.txt"]))
    articles = [i for i in items if isinstance(i, Article)]
    skips = {Path(s.path).name: s.reason for s in items if isinstance(s, Skip)}
    assert [a.title for a in articles] == ["Good one"]
    assert skips == {"bad.txt": "binary file (contains NUL bytes)",
                     "nope.txt": "no such file or folder"}  # fmt: skip


# -------------------------------------------------------------------- JSON Lines


def test_jsonl_reads_good_lines_and_reports_bad_ones(tmp_path: Path) -> None:
    lines = [
        {"id": "a1", "title": "First", "published": "2023-04-29", "body": "Para one.\n\nPara two."},
        {
            "id": 7,
            "title": "Second",
            "published": "April 29, 2023",
            "body": ["P1", "P2"],
            "section": "World",
            "source": "Wire",
            "crawled": "2025-03-10",
            "reading_minutes": 3,
            "related": ["R"],
            "standfirst": "S",
        },
        "not an object",
        {"id": "no-title", "published": "2023-01-01", "body": ""},
        {"id": "bad-date", "title": "T", "published": "soon", "body": ""},
        {"id": "../etc/passwd", "title": "T", "published": "2023-01-01", "body": ""},
    ]
    path = tmp_path / "export.jsonl"
    text = "\n".join(json.dumps(x) for x in lines) + "\n{broken json\n"
    path.write_text(text, encoding="utf-8")
    items = list(read_path(path))
    articles = [i for i in items if isinstance(i, Article)]
    skips = [i for i in items if isinstance(i, Skip)]
    assert [a.id for a in articles] == ["a1", "7"]
    assert articles[0].body == ("Para one.", "Para two.")
    assert articles[1].section == "World" and articles[1].reading_minutes == 3
    assert articles[1].crawled == date(2025, 3, 10)
    assert [s.path.rsplit(":", 1)[1] for s in skips] == ["3", "4", "5", "6", "7"]
    reasons = [s.reason for s in skips]
    assert reasons[0] == "not a JSON object"
    assert reasons[1] == "missing required field 'title'"
    assert reasons[2] == "'published' is not a date that can be read ('soon')"
    assert reasons[3] == (
        "'id' '../etc/passwd' is not usable as an id (letters, digits, '_', '.', '-'; at most 128)"
    )
    assert reasons[4].startswith("not valid JSON")


def test_jsonl_missing_required_fields_are_named_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(
        '{"id": "ok", "title": "Fine", "published": "2023-01-01"}\n'
        "\n"
        '{"title": "No id", "published": "2023-01-01"}\n'
        '{"id": "x", "body": "neither title nor date"}\n'
        '{"id": "y", "title": "", "published": "2023-01-01"}\n',
        encoding="utf-8",
    )
    skips = [str(i) for i in read_path(path) if isinstance(i, Skip)]
    assert skips == [
        f"{path}:3: missing required field 'id'",
        f"{path}:4: missing required fields 'title', 'published'",
        f"{path}:5: missing required field 'title'",
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50, "binary file (contains NUL bytes): not JSON Lines"),
        (
            b"Today: 10 March 2025\n29 April 2023\n\nA headline\n\n" + b"A paragraph.\n" * 40,
            "not JSON Lines (the first 3 lines are not JSON objects; line 1: not valid JSON "
            "(Expecting value: line 1 column 1 (char 0)))",
        ),
        (b"just one line\n", "not JSON Lines (no line is a JSON object; line 1: not valid JSON "
         "(Expecting value: line 1 column 1 (char 0)))"),
    ],
    ids=["binary", "a page", "one line"],
)  # fmt: skip
def test_jsonl_forced_on_a_file_that_is_not_gives_one_skip(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "thing.txt"
    path.write_bytes(content)
    assert list(read_path(path, "jsonl")) == [Skip(str(path), reason)]


def test_jsonl_with_a_few_bad_lines_reports_each(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    good = '{"id": "a%d", "title": "T", "published": "2023-01-01"}\n'
    path.write_text("oops\n" + good % 1 + "{bad\n" + good % 2 + "[1]\n", encoding="utf-8")
    items = list(read_path(path))
    assert [a.id for a in items if isinstance(a, Article)] == ["a1", "a2"]
    assert [s.path for s in items if isinstance(s, Skip)] == [f"{path}:{n}" for n in (1, 3, 5)]


def test_jsonl_unknown_keys_and_bad_urls_are_one_note_per_file(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    records = [
        {"id": "a", "headline": "H", "title": "T", "published": "2023-01-01", "text": "x",
         "url": "https://example.com/a?b=1"},
        {"id": "b", "title": "T", "published": "2023-01-01", "text": "y", "zzz": 1,
         "url": "javascript:alert(1)"},
        {"id": "c", "title": "T", "published": "2023-01-01", "url": "/relative",
         "page_url": "/articles/c", "score": 1.5, "story": ""},
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    items = list(read_path(path, notes=True))
    assert [(a.id, a.url) for a in items if isinstance(a, Article)] == [
        ("a", "https://example.com/a?b=1"), ("b", ""), ("c", ""),
    ]  # fmt: skip
    assert [str(n) for n in items if isinstance(n, Note)] == [
        f"{path}: unknown keys ignored: headline (did you mean title?), "
        "text (did you mean body?), zzz",
        f"{path}: 'url' is not an http(s) address on 2 lines (first: line 2): "
        "dropped, the articles kept",
    ]
    # Without notes=True (what parse and the benchmarks ask for), only articles and skips.
    assert not [n for n in read_path(path) if isinstance(n, Note)]


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("reut2-000.sgm", b'<!DOCTYPE lewis SYSTEM "lewis.dtd">\n<REUTERS', "reuters"),
        ("stories.dat", b"<REUTERS TOPICS=", "reuters"),
        ("export.jsonl", b"", "jsonl"),
        ("export.txt", b'{"id": "1", "title": "x"}\n{"id": "2"}\n', "jsonl"),
        ("page.txt", SEED_TEXT.encode()[:200], "page"),
        ("weird", b"{not json\n", "page"),
    ],
)
def test_detect_format(name: str, head: bytes, expected: str) -> None:
    assert detect_format(Path(name), head) == expected


# ------------------------------------------------------------------ Reuters-21578


@needs_reuters
def test_reuters_file_traps() -> None:
    # reut2-017.sgm holds the one 0xFC byte and the broken hour of NEWID 17192.
    stories = {a.id: a for a in read_path(REUTERS / "reut2-017.sgm") if isinstance(a, Article)}
    assert len(stories) == 1000
    broken_hour = stories["reuters-17192"]
    assert broken_hour.published == date(1987, 3, 31)
    assert all("&#" not in a.text and "&lt;" not in a.text for a in stories.values())
    assert any("<" in a.text for a in stories.values())  # &lt;Woodco Inc> → <Woodco Inc>
    assert all(a.source == "Reuters" for a in stories.values())
    assert all(not a.text.endswith("Reuter") for a in stories.values())


@needs_reuters
def test_reuters_brief_and_unproc_stories_get_titles() -> None:
    items = list(read_path(REUTERS / "reut2-012.sgm"))
    assert all(isinstance(i, Article) for i in items)
    by_id = {a.id: a for a in items if isinstance(a, Article)}
    assert len(by_id) == 1000
    assert all(a.title for a in by_id.values())
    assert by_id["reuters-12793"].title == "Reuters story 12793 (no text)"


# ------------------------------------------------------------ what a line *is*

LABEL_LINES = [
    ("ALSO READ: Neighbours urge Taliban", "related", "Neighbours urge Taliban"),
    ("Also Read - Neighbours urge Taliban", "related", "Neighbours urge Taliban"),
    ("also read– Minister’s “big” day", "related", "Minister’s “big” day"),
    ("ALSO READ Neighbours urge Taliban", "related", "Neighbours urge Taliban"),
    ("READ ALSO: Who pays?", "related", "Who pays?"),
    ("ALSO READ", "related", ""),
    ("Previous Story", "previous", ""),
    ("PREVIOUS STORY:", "previous", ""),
    ("« Previous story: Wheat shortage hits Pakistan", "previous", "Wheat shortage hits Pakistan"),
    ("Next Story", "next", ""),
    ("next story -", "next", ""),
    ("Next Story: Medicines or Exercise? »", "next", "Medicines or Exercise?"),
    ("Latest from -Top News", "section", "Top News"),
    ("Latest from - Top News", "section", "Top News"),
    ("LATEST FROM –Top News", "section", "Top News"),
    ("Latest From: South Asia", "section", "South Asia"),
    ("Latest from Top News", "section", "Top News"),
    ("Go toTop", "top", ""),
    ("GO TO TOP", "top", ""),
    ("Back to top ↑", "top", ""),
    ("Don't Miss", "miss", ""),
    ("Don’t Miss", "miss", ""),
    ("DONT MISS:", "miss", ""),
    ("Do not miss", "miss", ""),
]

BODY_LINES = [
    "Don't miss the deadline, officials said.",
    "Also read the fine print before signing.",
    "Previous story was denied by the ministry.",
    "Next story in the series runs tomorrow.",
    "Latest from the front, he said, was grim.",
    "Latest from Kabul is that fighting continues.",
    "Go to the polls early, voters were told.",
    "The previous story was denied.",
]


@pytest.mark.parametrize(("line", "kind", "rest"), LABEL_LINES)
def test_label_lines(line: str, kind: str, rest: str) -> None:
    label = furniture_label(line)
    assert label is not None, line
    assert (label.kind, label.rest) == (kind, rest)


@pytest.mark.parametrize("line", BODY_LINES)
def test_a_label_word_in_a_sentence_is_body_text(line: str) -> None:
    assert furniture_label(line) is None
    article = parse_ok(page(body=["First.", line, "Last."]))
    assert article.body == ("First.", line, "Last.")


@pytest.mark.parametrize(
    ("name", "data", "checks"),
    [
        (
            "header in another order, labelled, with a weekday and time",
            "2-minute read\nTODAY : Monday, 10 March 2025\nPublished on: Sat, 29 Apr 2023 10:32 IST\n\n"
            "Headline\n\nStandfirst, reports RFE/RL.\n\nBody one.\n\nBody two.\n",
            {"published": D, "crawled": date(2025, 3, 10), "reading_minutes": 2,
             "title": "Headline", "source": "RFE/RL", "standfirst": "Standfirst, reports RFE/RL.",
             "body": ("Body one.", "Body two.")},
        ),
        (
            "header on one line, split by bars",
            "Today: 10 March 2025 | 29 April 2023 | 2 mins read\n\nHeadline\n\nS, reports X\n\nB.\n",
            {"published": D, "crawled": date(2025, 3, 10), "reading_minutes": 2, "title": "Headline"},
        ),
        (
            "two bare dates: the scrape date comes first",
            "10 March 2025\n29 April 2023\n\nHeadline\n\nS\n\nB.\n",
            {"published": D, "crawled": date(2025, 3, 10)},
        ),
        (
            "an updated date is not the publication date",
            "Updated: 1 May 2023\nPublished: 29 April 2023\n\nHeadline\n\nS\n\nB.\n",
            {"published": D, "title": "Headline"},
        ),
        (
            "ambiguous numeric date read as the setting says, whatever the scrape date shows",
            "Today: 03/25/2025\n05/04/2023\n\nHeadline\n\nS\n\nB.\n",
            {"published": date(2023, 4, 5), "crawled": date(2025, 3, 25)},
        ),
        (
            "headline with a date, a number, quotes and brackets",
            page(title="29 April: ‘We won’ [Video] (Update 2)"),
            {"title": "29 April: ‘We won’ [Video] (Update 2)"},
        ),
        (
            "headline starting with a label word",
            page(title="Today: markets rally on 2023 figures"),
            {"title": "Today: markets rally on 2023 figures", "crawled": date(2025, 3, 10)},
        ),
        (
            "credit with slashes, ampersands and a final stop",
            page(standfirst="Talks resume, reports AT&T / ANI-IANS News."),
            {"source": "AT&T / ANI-IANS News"},
        ),
        (
            "credit with a lower-case outlet",
            page(standfirst="Talks resume, reports bdnews24.com"),
            {"source": "bdnews24.com"},
        ),
        (
            "hard-wrapped paragraphs are joined",
            "29 April 2023\n\nA headline that\nwraps\n\nS\n\nThe first paragraph of the body is\nwrapped at forty "
            "columns, as old\ntools did.\n\nB.\n",
            {"title": "A headline that wraps",
             "body": ("The first paragraph of the body is wrapped at forty columns, as old tools did.", "B.")},
        ),
        (
            "paragraphs one per line, no blank lines",
            "29 April 2023\nHeadline of the story\nThe standfirst is a longer sentence that says what happened, reports X\n"
            "First paragraph of the body, long enough not to look like a wrapped line at all.\nSecond.\n",
            {"title": "Headline of the story", "source": "X",
             "body": ("First paragraph of the body, long enough not to look like a wrapped line at all.", "Second.")},
        ),
        (
            "only a next story, title on the same line; teasers that look like body",
            page(section=None, body=["Body."])
            + "\nNext Story: After\n\nLatest from -World\n\nTeaser title\n\nA teaser that reads like a body paragraph.\n"
            "Go to Top\n\nDon’t Miss\n\nOther\n",
            {"next_title": "After", "previous_title": "", "section": "World", "body": ("Body.",)},
        ),
        (
            "UTF-16 with a BOM, old Mac line endings",
            SEED_TEXT.replace("\n", "\r").encode("utf-16"),
            {"title": "Taliban seek to prove legitimacy through anti-IS campaign", "section": "Top News"},
        ),
        (
            "UTF-16 big endian without a BOM",
            SEED_TEXT.encode("utf-16-be"),
            {"source": "Asian Lite News", "next_title": "Medicines or Exercise?"},
        ),
        (
            "Latin-1",
            page(title="Café in São Paulo", body=["Crème brûlée."]).encode("latin-1"),
            {"title": "Café in São Paulo", "body": ("Crème brûlée.",)},
        ),
        (
            "UTF-8 with a stray Windows-1252 byte",
            page(title="Über café").encode("utf-8").replace("Über".encode(), "Über".encode() + b"\x96"),
            {"title": "Über– café"},
        ),
        (
            "a body far past 32K characters",
            page(body=[f"Paragraph {n} " + "word " * 200 + "end." for n in range(60)]),
            {"body": tuple(f"Paragraph {n} " + "word " * 200 + "end." for n in range(60))},
        ),
    ],
)  # fmt: skip
def test_pages_as_templates_vary(name: str, data: str | bytes, checks: dict[str, object]) -> None:
    article = parse_ok(data)
    for field, value in checks.items():
        assert getattr(article, field) == value, f"{name}: {field}"
