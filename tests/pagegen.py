"""An independent generator of scraped article pages, with the truth of every field.

It is written from the page format only (never from the page reader), so that it checks
the reader the way the reader will be used: real stories (Reuters-21578 and a Wikinews
sample, from ``../shared/corpora``) rendered into the plain-text page layout with the
variations a scraper meets over years of template changes. Each :class:`RenderedPage`
carries the encoded file, the expected fields, the ``date_order`` to read it with and the
name of every variation applied (``kind=value``), so that failures can be counted per kind.

The layout, top to bottom: header lines (``Today: <scrape date>`` optional, the
publication date, a reading time optional), the headline, the standfirst (usually ending
``…, reports <Outlet>``), the body paragraphs, then the furniture: ``ALSO READ: <title>``
lines, ``Previous Story``/``Next Story`` and their titles, ``Latest from -<Section>`` and
teasers of other stories, ``Go toTop``, ``Don't Miss`` and more teasers.

Variation kinds (the ``kind`` part of every variation name):

* ``corpus``, ``date.order`` (``dmy``/``mdy``, passed to the reader);
* ``header.today``, ``label.today``, ``header.reading``, ``header.layout`` (consecutive,
  blank-separated, reading time before the date);
* ``date.crawled``, ``date.pub`` (written forms: day-month-year, month-day-year, short
  and dotted months, ordinals, upper case, weekdays, ISO dates and date-times, year-first,
  ambiguous numeric with ``/``, ``-``, ``.``), ``date.pub_label`` (``Published: …`` …),
  ``date.pub_time`` and ``date.crawled_time`` (a time after the date);
* ``reading`` (the reading-time form) and ``reading.case``;
* ``headline`` (dates, numbers, quotes, brackets, colons, a leading ``Today:``);
* ``credit`` (``, reports X`` with or without a full stop, or none), ``outlet`` (names with
  slashes, hyphens, ampersands, digits, dots, several words, lower-case starts) and
  ``standfirst.extra`` (the word "reports" used in ordinary text before the credit);
* ``body.length`` (the story, one or two paragraphs, or well past 32K characters),
  ``body.labelwords`` (ordinary sentences with label words: "Don't miss the deadline…");
* ``related`` (how many ALSO READ lines), ``related.place`` (after the body, between
  paragraphs, glued under the last paragraph with no blank line), ``related.layout``,
  ``label.related``;
* ``prevnext`` (both, one, none), ``prevnext.layout`` (title on the next line, in the same
  block, after a separator on the label's line), ``label.prevnext``;
* ``section`` (``Latest from`` present or not), ``label.latest``, ``teasers`` (shapes),
  ``gototop`` (form), ``gototop.place`` (glued on the line under the last teaser as in the
  seed, on the teaser's own line, its own paragraph, absent), ``dontmiss``;
* ``ws.blank`` (extra blank lines, whitespace-only lines), ``ws.trailing`` (spaces, tabs,
  U+00A0 after lines), ``ws.indent`` (leading indentation), ``wrap`` and ``wrap.width``
  (hard-wrapped paragraphs);
* ``file.start`` (blank lines before the header), ``file.end`` (final newline, none, or
  trailing blank lines), ``encoding`` (UTF-8, UTF-8 with BOM, UTF-16 LE/BE with BOM,
  Windows-1252, Latin-1; ``latin-1>cp1252`` and the like when the text cannot be encoded
  and another encoding was used), ``eol`` (LF, CRLF, CR).

Every page is meant to be well defined for a person who reads the format description:
headlines, titles and paragraphs that are nothing but a date, a reading time or a
furniture label are left out of the source stories, a standfirst is on every page, and
no whitespace is put inside a line (only around it).
"""

from __future__ import annotations

import csv
import random
import re
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from hypothesis.strategies import DrawFn, SearchStrategy

__all__ = [
    "CORPORA",
    "FIELDS",
    "GROUPS",
    "SHARED",
    "Choices",
    "IsolatedChoices",
    "RandomChoices",
    "RenderedPage",
    "Story",
    "Tally",
    "all_stories",
    "compare",
    "corpora_missing",
    "pages",
    "random_pages",
    "render",
    "reuters_stories",
    "wikinews_stories",
]

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPORA = SHARED / "corpora"
REUTERS = CORPORA / "reuters21578"
WIKINEWS = CORPORA / "wikinews-sample"

#: The fields compared, in the order reports show them.
FIELDS: tuple[str, ...] = (
    "title",
    "published",
    "crawled",
    "reading_minutes",
    "standfirst",
    "source",
    "body",
    "related",
    "previous_title",
    "next_title",
    "section",
)

T = TypeVar("T")

#: Scrape dates are never later than this (no page is scraped in the future).
LATEST_SCRAPE = date(2025, 12, 31)


# ---------------------------------------------------------------- the source stories


@dataclass(frozen=True)
class Story:
    """One real story, cut into the parts a page shows."""

    corpus: str
    key: str
    title: str
    published: date
    standfirst: str
    body: tuple[str, ...]


def _norm(text: str) -> str:
    return " ".join(text.split())


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DATE_WORDS = (
    {m.lower() for m in MONTHS}
    | {m[:3].lower() for m in MONTHS}
    | {"sept"}
    | {w.lower() for w in WEEKDAYS}
    | {w[:3].lower() for w in WEEKDAYS}
    | {"st", "nd", "rd", "th", "am", "pm", "on", "at", "t", "z", "of"}
    | {"published", "posted", "date", "today", "updated", "ist", "gmt", "utc", "est", "cet"}
)
_LABEL_START = re.compile(
    r"(?i)\s*(also\s*read|previous\s*story|next\s*story|latest\s*from|go\s*to\s*top"
    r"|don['’]?t\s*miss|today|reading\s*time|read\s*time|estimated\s*reading)\s*([:|\-–—]|$)"
)
_READING_LIKE = re.compile(
    r"(?i)\s*(estimated\s+)?(reading|read)\s+time\b.*|\s*\d+\s*-?\s*(mins?|minutes?)\.?(\s+read)?\s*"
)
_CREDIT_LIKE = re.compile(r"(?i),\s*reports\b")


def _date_like(text: str) -> bool:
    """Nothing but a date (numbers, month and weekday names, a label, a time)."""
    if len(text) > 80:  # a written date, even with a weekday, label and time, is short
        return False
    toks = re.findall(r"[A-Za-z]+|\d+", text)
    return (
        bool(toks)
        and any(t.isdigit() for t in toks)
        and all(t.isdigit() or t.lower() in _DATE_WORDS for t in toks)
    )


def _ambiguous(text: str) -> bool:
    """A text a reader of the format could take for a header line or for furniture."""
    return (
        not text
        or _date_like(text)
        or (len(text) < 80 and bool(_READING_LIKE.fullmatch(text)))
        or bool(_LABEL_START.match(text))
    )


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


def _make_story(
    corpus: str, key: str, title: str, published: date, paragraphs: Sequence[str]
) -> Story | None:
    title = _norm(title)
    if _ambiguous(title) or len(title) < 4:
        return None
    paras = [p for p in (_norm(p) for p in paragraphs) if p and not _ambiguous(p)]
    if len(paras) == 1:
        sentences = _SENTENCE_END.split(paras[0], maxsplit=1)
        if len(sentences) == 2:
            paras = sentences
    if len(paras) < 2 or _CREDIT_LIKE.search(paras[0]):
        return None
    return Story(corpus, key, title, published, paras[0], tuple(paras[1:]))


@lru_cache(maxsize=1)
def reuters_stories() -> tuple[Story, ...]:
    """Reuters-21578 stories with a title and a text (none when ../shared is absent)."""
    if not REUTERS.is_dir():
        return ()
    from search.articles import read_reuters  # the Reuters reader is not the one tested
    from search.records import Article

    out: list[Story] = []
    for path in sorted(REUTERS.glob("reut2-*.sgm")):
        for a in read_reuters(path):
            if not isinstance(a, Article) or not a.body:
                continue
            s = _make_story("reuters", a.id, a.title, a.published, a.body)
            if s is not None:
                out.append(s)
    return tuple(out)


@lru_cache(maxsize=1)
def wikinews_stories() -> tuple[Story, ...]:
    """The Wikinews sample's stories (its test pages left out; none when absent)."""
    if not WIKINEWS.is_dir():
        return ()
    csv.field_size_limit(sys.maxsize)
    out: list[Story] = []
    for path in sorted(WIKINEWS.glob("wikinews_*.csv")):
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row["title"].startswith("TEST PAGE"):
                    continue
                try:
                    published = date.fromisoformat(row["date"].strip())
                except ValueError:
                    continue
                paragraphs = re.split(r"\n\s*\n", row["text"])
                s = _make_story("wikinews", row["url"], row["title"], published, paragraphs)
                if s is not None:
                    out.append(s)
    return tuple(out)


def all_stories() -> tuple[Story, ...]:
    return reuters_stories() + wikinews_stories()


def corpora_missing() -> str | None:
    """Why the generator cannot run here, or None when both corpora load."""
    if not CORPORA.is_dir():
        return f"the corpora are not at {CORPORA} (../shared is absent)"
    if not reuters_stories():
        return f"no Reuters-21578 stories under {REUTERS}"
    if not wikinews_stories():
        return f"no Wikinews stories under {WIKINEWS}"
    return None


# ---------------------------------------------------------------- choices


class Choices(Protocol):
    """Where every variation choice comes from (a seeded Random, or Hypothesis)."""

    def choice(self, name: str, options: Sequence[T]) -> T: ...

    def integer(self, name: str, lo: int, hi: int) -> int: ...


class RandomChoices:
    """Choices from a seeded :class:`random.Random` (bulk measurement)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choice(self, name: str, options: Sequence[T]) -> T:
        return self.rng.choice(options)

    def integer(self, name: str, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


#: The groups of choices that vary together when one kind is measured alone (the
#: choices a kind needs to show at all come with it: ``label.related`` needs ``related``).
GROUPS: dict[str, frozenset[str]] = {
    name: frozenset(kinds)
    for name, kinds in {
        "date.pub": ("date.pub", "date.order"),
        "date.pub_label": ("date.pub_label",),
        "date.pub_time": ("date.pub_time",),
        "date.crawled": ("date.crawled", "date.crawled_time", "date.order", "crawled.days"),
        "label.today": ("label.today",),
        "header": ("header.today", "header.reading", "header.layout"),
        "reading": ("reading", "reading.case", "reading.minutes"),
        "headline": ("headline",),
        "standfirst": ("credit", "outlet", "standfirst.extra"),
        "body": ("body.length", "body.labelwords", "body.labelword", "body.labelword_at"),
        "related": ("related", "related.place", "related.layout", "label.related"),
        "prevnext": ("prevnext", "prevnext.layout", "label.prevnext", "prevnext.separator"),
        "latest": (
            "section",
            "section.name",
            "label.latest.punct",
            "label.latest.case",
            "teasers",
            "teasers.latest",
        ),
        "gototop": ("gototop", "gototop.place"),
        "dontmiss": ("dontmiss", "dontmiss.form", "label.dontmiss", "teasers.dontmiss"),
        "whitespace": ("ws.blank", "ws.trailing", "ws.indent", "file.start", "file.end"),
        "wrap": ("wrap", "wrap.width"),
        "encoding": ("encoding",),
        "eol": ("eol",),
    }.items()
}
#: Choices made at random in every page, isolated or not (which story, where noise falls).
ALWAYS_RANDOM = frozenset({"noise.seed"})


class IsolatedChoices(RandomChoices):
    """Random choices for one group only; every other choice is its first option, the
    seed page's layout. Failures then belong to that group alone."""

    def __init__(self, rng: random.Random, group: str) -> None:
        super().__init__(rng)
        self.group = group
        self.vary = GROUPS[group] | ALWAYS_RANDOM

    def choice(self, name: str, options: Sequence[T]) -> T:
        return super().choice(name, options) if name in self.vary else options[0]

    def integer(self, name: str, lo: int, hi: int) -> int:
        return super().integer(name, lo, hi) if name in self.vary else lo


class DrawChoices:
    """Choices drawn by Hypothesis, so that a failing page shrinks to the simplest one
    (the first option of every choice is the plainest, as in the seed page)."""

    def __init__(self, draw: DrawFn) -> None:
        from hypothesis import strategies as st

        self.draw = draw
        self.st = st

    def choice(self, name: str, options: Sequence[T]) -> T:
        return self.draw(self.st.sampled_from(options), label=name)

    def integer(self, name: str, lo: int, hi: int) -> int:
        return self.draw(self.st.integers(lo, hi), label=name)


# ---------------------------------------------------------------- dates


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def _dotted(m: int) -> str:
    name = MONTHS[m - 1]
    return name if len(name) <= 4 else f"{name[:3]}."


def _ap(m: int) -> str:
    name = MONTHS[m - 1]
    return {"September": "Sept."}.get(name, name if len(name) <= 5 else f"{name[:3]}.")


def _numeric(d: date, order: str, sep: str, pad: bool) -> str:
    day, mon = (f"{d.day:02d}", f"{d.month:02d}") if pad else (str(d.day), str(d.month))
    first, second = (day, mon) if order == "dmy" else (mon, day)
    return f"{first}{sep}{second}{sep}{d.year}"


DATE_FORMS: dict[str, Callable[[date, str], str]] = {
    "d-month-y": lambda d, o: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    "month-d,-y": lambda d, o: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    "d-mon-y": lambda d, o: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",
    "mon.-d,-y": lambda d, o: f"{_dotted(d.month)} {d.day}, {d.year}",
    "ap-style": lambda d, o: f"{_ap(d.month)} {d.day}, {d.year}",
    "dth-month-y": lambda d, o: f"{_ordinal(d.day)} {MONTHS[d.month - 1]} {d.year}",
    "month-dth,-y": lambda d, o: f"{MONTHS[d.month - 1]} {_ordinal(d.day)}, {d.year}",
    "dd-month-y": lambda d, o: f"{d.day:02d} {MONTHS[d.month - 1]} {d.year}",
    "d-MONTH-y": lambda d, o: f"{d.day} {MONTHS[d.month - 1].upper()} {d.year}",
    "MON-d,-y": lambda d, o: f"{MONTHS[d.month - 1][:3].upper()} {d.day}, {d.year}",
    "d-month,-y": lambda d, o: f"{d.day} {MONTHS[d.month - 1]}, {d.year}",
    "month-d-y": lambda d, o: f"{MONTHS[d.month - 1]} {d.day} {d.year}",
    "dd-MON-yyyy": lambda d, o: f"{d.day:02d}-{MONTHS[d.month - 1][:3].upper()}-{d.year}",
    "weekday,-d-month-y": lambda d, o: (
        f"{WEEKDAYS[d.weekday()]}, {d.day} {MONTHS[d.month - 1]} {d.year}"
    ),
    "wkd-d-mon-y": lambda d, o: (
        f"{WEEKDAYS[d.weekday()][:3]} {d.day} {MONTHS[d.month - 1][:3]} {d.year}"
    ),
    "weekday,-month-d,-y": lambda d, o: (
        f"{WEEKDAYS[d.weekday()]}, {MONTHS[d.month - 1]} {d.day}, {d.year}"
    ),
    "wkd,-d-mon-y": lambda d, o: (
        f"{WEEKDAYS[d.weekday()][:3]}, {d.day:02d} {MONTHS[d.month - 1][:3]} {d.year}"
    ),
    "iso": lambda d, o: d.isoformat(),
    "iso-datetime-z": lambda d, o: f"{d.isoformat()}T10:32:00Z",
    "iso-datetime-offset": lambda d, o: f"{d.isoformat()}T18:05:41+05:30",
    "iso-space-time": lambda d, o: f"{d.isoformat()} 07:15:00",
    "y/m/d": lambda d, o: f"{d.year}/{d.month:02d}/{d.day:02d}",
    "numeric-slash": lambda d, o: _numeric(d, o, "/", True),
    "numeric-slash-unpadded": lambda d, o: _numeric(d, o, "/", False),
    "numeric-dash": lambda d, o: _numeric(d, o, "-", True),
    "numeric-dot": lambda d, o: _numeric(d, o, ".", True),
}
_HAS_TIME = {"iso-datetime-z", "iso-datetime-offset", "iso-space-time"}

TIME_FORMS: dict[str, str] = {
    "none": "",
    "hh:mm": " 10:32",
    "hh:mm:ss": " 09:05:17",
    "comma-ampm-tz": ", 10:32 AM IST",
    "ampm": " 4:07 PM",
    "pipe": " | 10:32",
    "at": " at 18:45",
    "tz": " 14:20 GMT",
    "comma-hh:mm-utc": ", 06:00 UTC",
}

PUB_LABELS: dict[str, str] = {
    "none": "",
    "published:": "Published: ",
    "published-on": "Published on ",
    "posted:": "Posted: ",
    "date:": "Date: ",
    "posted-on": "Posted on ",
    "PUBLISHED:": "PUBLISHED: ",
    "published-lower": "published: ",
    "published-dash": "Published - ",
    "published-bare": "Published ",
}

TODAY_LABELS: dict[str, str] = {
    "seed": "Today: ",
    "glued-colon": "Today:",
    "upper": "TODAY: ",
    "lower": "today: ",
    "no-colon": "Today ",
    "space-colon": "Today : ",
    "space-dash": "Today - ",
    "en-dash": "Today – ",
    "dash-glued": "Today -",
    "extra-spaces": "Today:   ",
}


# ---------------------------------------------------------------- the other parts

READING_FORMS: dict[str, Callable[[int], str]] = {
    "n-mins-read": lambda n: f"{n} mins read",
    "n-min-read": lambda n: f"{n} min read",
    "n-minutes-read": lambda n: f"{n} minutes read" if n > 1 else "1 minute read",
    "n-minute-read": lambda n: f"{n} minute read",
    "n-minute-hyphen-read": lambda n: f"{n}-minute read",
    "n-min.-read": lambda n: f"{n} min. read",
    "reading-time:-n-minutes": lambda n: f"Reading time: {n} minutes",
    "read-time:-n-min": lambda n: f"Read time: {n} min",
    "n-mins": lambda n: f"{n} mins",
    "estimated-reading-time": lambda n: f"Estimated reading time: {n} minutes",
    "reading-time-n-min": lambda n: f"Reading time {n} min",
}

HEADLINES: dict[str, Callable[[str, date], str]] = {
    "plain": lambda t, d: t,
    "date-prefix": lambda t, d: f"{d.day} {MONTHS[d.month - 1]}: {t}",
    "update-suffix": lambda t, d: f"{t} (Update 2)",
    "quoted": lambda t, d: f'"{t}"',
    "curly-quote-part": lambda t, d: f"Minister: “{t}”",
    "video-prefix": lambda t, d: f"[Video] {t}",
    "photos-suffix": lambda t, d: f"{t} [PHOTOS]",
    "year-election": lambda t, d: f"{d.year} election: {t}",
    "today-label": lambda t, d: f"Today: {t}",
    "number-prefix": lambda t, d: f"5 things to know: {t}",
    "analysis-colon": lambda t, d: f"Analysis: {t}",
    "percent-number": lambda t, d: f"{t}, up 3.5% in {d.year}",
}

OUTLETS: tuple[str, ...] = (
    "Asian Lite News",
    "RFE/RL",
    "AT&T Wire",
    "Al-Monitor",
    "Agence France-Presse",
    "bdnews24.com",
    "The Times of India",
    "ANI / IANS",
    "dpa",
    "Reuters",
    "AP",
    "Xinhua",
    "Deutsche Welle",
    "South China Morning Post",
    "Anadolu Agency",
    "euronews",
    "France 24",
    "Channel 4 News",
    "7NEWS",
    "i24NEWS",
    "NHK World-Japan",
    "theguardian.com",
    "Voice of America",
    "ABC (Australia)",
    "Wikinews",
    "Kyodo News",
)

SECTIONS: tuple[str, ...] = (
    "Top News",
    "World",
    "Asia-Pacific",
    "Sci/Tech",
    "Arts & Culture",
    "COVID-19",
    "UK News",
    "Middle East",
    "Business",
    "Lite Blogs",
    "South Asia",
    "Opinion",
)

RELATED_LABELS: dict[str, str] = {
    "seed": "ALSO READ: ",
    "title": "Also Read: ",
    "sentence": "Also read: ",
    "lower": "also read: ",
    "space-colon": "ALSO READ : ",
    "dash": "ALSO READ - ",
    "en-dash": "ALSO READ – ",
    "dash-glued": "ALSO READ-",
    "glued-colon": "ALSO READ:",
    "extra-spaces": "ALSO READ  :  ",
    "pipe": "ALSO READ | ",
    "bare-upper": "ALSO READ ",
}

PREVNEXT_CASES: dict[str, tuple[str, str]] = {
    "seed": ("Previous Story", "Next Story"),
    "upper": ("PREVIOUS STORY", "NEXT STORY"),
    "lower": ("previous story", "next story"),
    "sentence": ("Previous story", "Next story"),
    "colon-alone": ("Previous Story:", "Next Story:"),
}
PREVNEXT_SEPARATORS: tuple[str, ...] = (": ", " : ", " - ", " – ", ":  ")

LATEST_CASES: dict[str, str] = {
    "seed": "Latest from",
    "upper": "LATEST FROM",
    "lower": "latest from",
    "title": "Latest From",
}
LATEST_PUNCT: dict[str, str] = {
    "seed": " -",
    "spaced-dash": " - ",
    "en-dash-glued": " –",
    "en-dash": " – ",
    "colon": ": ",
    "space-colon": " : ",
    "none": " ",
    "dash-glued-both": "-",
    "extra-spaces": "  -  ",
}

GOTOTOP: tuple[str, ...] = (
    "Go toTop",
    "Go to Top",
    "GO TO TOP",
    "Go to top",
    "go to top",
    "Go To Top",
)
DONTMISS: tuple[str, ...] = (
    "Don't Miss",
    "Don’t Miss",
    "DON'T MISS",
    "DON’T MISS",
    "Don't miss",
    "don't miss",
    "Don't Miss:",
)

LABEL_SENTENCES: dict[str, str] = {
    "dont-miss": "Don't miss the deadline, officials said.",
    "dont-miss-curly": "Don’t miss the point, the minister told reporters.",
    "also-read": "Readers should also read the fine print.",
    "previous-story": "The previous story was denied.",
    "next-story": "The next story in the series will run on Monday.",
    "today-comma": "Today, the ministry said it had published the figures.",
    "published": "Published figures showed a rise of 2 per cent in the first quarter.",
    "latest-figures-from": "Latest figures from the ministry showed a small rise.",
    "go-to-the-top": "Go to the top of the list, the coach told the team.",
    "reading-time": "Reading time for the full report is about two hours, the agency said.",
    "minutes": "It took 2 minutes to read the statement.",
}


# ---------------------------------------------------------------- the page


@dataclass
class RenderedPage:
    """One generated page: the file's bytes, the truth, how to read it, what was varied."""

    data: bytes
    expected: dict[str, Any]
    date_order: str
    variations: list[str]
    story: str = ""
    text: str = field(default="", repr=False)
    #: The group varied alone (see :data:`GROUPS`), or None when every choice varied.
    isolated: str | None = None

    def counted_variations(self) -> list[str]:
        """The variations a failure is put down to: all, or those of the isolated group."""
        if self.isolated is None:
            return self.variations
        kinds = GROUPS[self.isolated]
        own = [v for v in self.variations if v.split("=", 1)[0].removesuffix(".actual") in kinds]
        return [f"isolated={self.isolated}", *own]


class _Doc:
    """Lines of a page (None is a blank line), written out with whitespace noise."""

    def __init__(self, noise: random.Random, blank: str, wrap: str, width: int) -> None:
        self.lines: list[str | None] = []
        self.noise = noise
        self.blank_style = blank
        self.wrap_style = wrap
        self.width = width

    def blank(self) -> None:
        n = self.noise.randint(2, 4) if self.blank_style in ("extra", "mixed") else 1
        self.lines.extend([None] * n)

    def line(self, text: str) -> None:
        self.lines.append(text)

    def para(self, text: str, wrappable: bool = True) -> None:
        if wrappable and (
            self.wrap_style == "all" or (self.wrap_style == "some" and self.noise.random() < 0.5)
        ):
            lines = textwrap.wrap(text, self.width, break_long_words=False, break_on_hyphens=False)
            if lines and " ".join(lines) == text:
                self.lines.extend(lines)
                return
        self.lines.append(text)

    def render(self, trailing: str, indent: str) -> str:
        out: list[str] = []
        rate = 0.35
        for ln in self.lines:
            if ln is None:
                if self.blank_style in ("whitespace-only", "mixed") and self.noise.random() < 0.5:
                    out.append(self.noise.choice([" ", "  ", "\t", "\xa0", " \t "]))
                else:
                    out.append("")
                continue
            if indent != "none" and self.noise.random() < rate:
                ln = {"spaces": "    ", "tab": "\t", "nbsp": "\xa0\xa0", "one-space": " "}[
                    indent
                ] + ln
            if trailing != "none" and self.noise.random() < rate:
                pad = {
                    "spaces": "  ",
                    "tabs": "\t",
                    "nbsp": "\xa0",
                    "mixed": self.noise.choice([" ", "\t", "\xa0", " \xa0\t", "   "]),
                }[trailing]
                ln += pad
            out.append(ln)
        return "\n".join(out)


def _encode(text: str, encoding: str) -> tuple[bytes, str]:
    """The file's bytes and the encoding actually used (``latin-1>cp1252`` on fallback)."""
    if encoding == "utf-8":
        return text.encode("utf-8"), encoding
    if encoding == "utf-8-bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8"), encoding
    if encoding == "utf-16-le-bom":
        return b"\xff\xfe" + text.encode("utf-16-le"), encoding
    if encoding == "utf-16-be-bom":
        return b"\xfe\xff" + text.encode("utf-16-be"), encoding
    chain = {"latin-1": ["latin-1", "cp1252"], "cp1252": ["cp1252"]}[encoding]
    for enc in chain:
        try:
            data = text.encode(enc)
        except UnicodeEncodeError:
            continue
        try:  # bytes that also read as UTF-8 are not a Windows-1252 page to a person
            if not data.isascii() and data.decode("utf-8") != text:
                continue
        except UnicodeDecodeError:
            pass
        return data, encoding if enc == encoding else f"{encoding}>{enc}"
    return text.encode("utf-8"), f"{encoding}>utf-8"


def _teaser_text(s: Story, words: int) -> str:
    """What a teaser shows: the standfirst run on into the body, cut mid-sentence."""
    run = " ".join((s.standfirst, *s.body[:2])).split()
    return " ".join(run[:words])


def render(
    story: Story,
    choices: Choices | random.Random,
    *,
    pool: Sequence[Story] | None = None,
) -> RenderedPage:
    """Render one story as a page with randomised variations; the truth comes with it."""
    ch: Choices = RandomChoices(choices) if isinstance(choices, random.Random) else choices
    pool = pool if pool is not None else all_stories()
    variations: list[str] = []

    def pick(kind: str, options: Sequence[str]) -> str:
        value = ch.choice(kind, options)
        variations.append(f"{kind}={value}")
        return value

    def note(kind: str, value: str) -> None:
        variations.append(f"{kind}={value}")

    note("corpus", story.corpus)
    noise = random.Random(ch.integer("noise.seed", 0, 2**32 - 1))

    def others(n: int) -> list[Story]:
        """n other stories with titles unlike this one's and each other's."""
        got: list[Story] = []
        seen = {story.title.lower()}
        while len(got) < n and len(pool) > 1:
            s = pool[noise.randrange(len(pool))]
            if s.title.lower() not in seen:
                seen.add(s.title.lower())
                got.append(s)
        return got

    order = pick("date.order", ["dmy", "mdy"])

    # -- header
    published = story.published
    has_today = pick("header.today", ["present", "absent"]) == "present"
    crawled: date | None = None
    today_line = ""
    if has_today:
        latest = max(0, min(14000, (LATEST_SCRAPE - published).days))
        crawled = published + timedelta(days=ch.integer("crawled.days", 0, latest))
        label = TODAY_LABELS[pick("label.today", list(TODAY_LABELS))]
        form = pick("date.crawled", list(DATE_FORMS))
        t = "none"
        if form not in _HAS_TIME:
            t = pick("date.crawled_time", ["none", "hh:mm", "comma-ampm-tz", "pipe"])
        today_line = label + DATE_FORMS[form](crawled, order) + TIME_FORMS[t]
    pub_form = pick("date.pub", list(DATE_FORMS))
    pub_label = PUB_LABELS[pick("date.pub_label", list(PUB_LABELS))]
    pub_time = "none"
    if pub_form not in _HAS_TIME:
        pub_time = pick("date.pub_time", list(TIME_FORMS))
    pub_line = pub_label + DATE_FORMS[pub_form](published, order) + TIME_FORMS[pub_time]

    reading_minutes: int | None = None
    reading_line = ""
    if pick("header.reading", ["present", "absent"]) == "present":
        reading_minutes = ch.integer("reading.minutes", 1, 25)
        reading_line = READING_FORMS[pick("reading", list(READING_FORMS))](reading_minutes)
        case = pick("reading.case", ["as-is", "upper", "lower", "title"])
        reading_line = {
            "as-is": reading_line,
            "upper": reading_line.upper(),
            "lower": reading_line.lower(),
            "title": reading_line.title(),
        }[case]

    layouts = ["consecutive", "blank-separated"]
    layout = pick("header.layout", [*layouts, "reading-first"] if reading_line else layouts)
    header = [today_line] if today_line else []
    if layout == "reading-first" and reading_line:
        header += [reading_line, pub_line]
    else:
        header += [pub_line] + ([reading_line] if reading_line else [])

    # -- headline, standfirst
    title = HEADLINES[pick("headline", list(HEADLINES))](story.title, published)

    standfirst_text = story.standfirst
    if pick("standfirst.extra", ["none", "reports-word"]) == "reports-word":
        standfirst_text += " Local media reports could not be confirmed."
    credit = pick("credit", ["no-period", "period", "none"])
    source = ""
    if credit == "none":
        standfirst = standfirst_text
    else:
        source = pick("outlet", OUTLETS)
        base = standfirst_text[:-1] if standfirst_text.endswith(".") else standfirst_text
        standfirst = f"{base}, reports {source}" + ("." if credit == "period" else "")

    # -- body
    body = list(story.body)
    length = pick("body.length", ["full", "one", "two", "long"])
    if length == "one":
        body = body[:1]
    elif length == "two":
        body = body[:2]
        if len(body) < 2:
            body += others(1)[0].body[:1]
    elif length == "long":
        target = noise.randint(33_000, 90_000)
        while sum(len(p) + 2 for p in body) < target:
            extra = others(1)
            if not extra:
                break
            body += extra[0].body
    labelwords = pick("body.labelwords", ["none", "paragraph", "prefix"])
    if labelwords != "none":
        sentence = LABEL_SENTENCES[pick("body.labelword", list(LABEL_SENTENCES))]
        at = ch.integer("body.labelword_at", 0, len(body) - 1)
        if labelwords == "paragraph":
            body.insert(at, sentence)
        else:
            body[at] = f"{sentence} {body[at]}"

    # -- furniture choices
    n_related = int(pick("related", ["0", "1", "2", "3"]))
    related = [s.title for s in others(n_related)]
    related_place = "after"
    if related:
        related_place = pick("related.place", ["after", "between", "glued"])
        if related_place == "between" and len(body) < 2:
            related_place = "after"
            note("related.place.actual", "after")
    related_layout = pick("related.layout", ["blank-lines", "consecutive"]) if related else ""
    related_label = RELATED_LABELS[pick("label.related", list(RELATED_LABELS))] if related else ""
    if related_place == "glued" and related_label == RELATED_LABELS["bare-upper"]:
        # A bare label run on under a paragraph would read as the paragraph's own text.
        related_place = "after"
        note("related.place.actual", "after")

    prevnext = pick("prevnext", ["both", "previous", "next", "none"])
    pn = others(2)
    previous_title = pn[0].title if prevnext in ("both", "previous") else ""
    next_title = pn[1].title if prevnext in ("both", "next") else ""
    pn_layout = pn_case = ""
    if prevnext != "none":
        pn_layout = pick("prevnext.layout", ["next-line", "same-block", "separator"])
        pn_case = pick("label.prevnext", list(PREVNEXT_CASES))
    pn_sep = ""
    if pn_layout == "separator":
        pn_sep = ch.choice("prevnext.separator", PREVNEXT_SEPARATORS)
        note("prevnext.separator", repr(pn_sep))

    section = ""
    if pick("section", ["present", "absent"]) == "present":
        section = pick("section.name", SECTIONS)
    teaser_shape = pick("teasers", ["pairs", "same-block", "long-paragraphs", "titles-only"])
    gototop_form = pick("gototop", [*GOTOTOP, "absent"])
    gototop_place = "own-paragraph"
    if gototop_form != "absent":
        gototop_place = pick("gototop.place", ["next-line", "same-line", "own-paragraph"])
        if not section and gototop_place != "own-paragraph":
            gototop_place = "own-paragraph"
            note("gototop.place.actual", "own-paragraph")
    dontmiss_form = pick("dontmiss", ["present", "absent"])
    dontmiss = ch.choice("dontmiss.form", DONTMISS) if dontmiss_form == "present" else ""
    if dontmiss:
        note("label.dontmiss", dontmiss)

    # -- whitespace and wrapping
    blank = pick("ws.blank", ["single", "extra", "whitespace-only", "mixed"])
    trailing = pick("ws.trailing", ["none", "spaces", "tabs", "nbsp", "mixed"])
    indent = pick("ws.indent", ["none", "spaces", "tab", "nbsp", "one-space"])
    wrap = pick("wrap", ["none", "all", "some"])
    width = 72
    if wrap != "none":
        width = int(pick("wrap.width", ["60", "64", "70", "72", "76", "80"]))

    # -- writing it out
    doc = _Doc(noise, blank, wrap, width)
    start = pick("file.start", ["clean", "blank-lines"])
    if start == "blank-lines":
        doc.blank()
    for i, h in enumerate(header):
        if i and layout == "blank-separated":
            doc.blank()
        doc.line(h)
    doc.blank()
    doc.line(title)
    doc.blank()
    doc.para(standfirst)

    between: dict[int, list[str]] = {}
    after = list(related)
    if related_place == "between":
        # in page order: the truth lists them as a reader meets them
        spots = sorted(noise.randint(1, len(body) - 1) for _ in related)
        for spot, r in zip(spots, related, strict=True):
            between.setdefault(spot, []).append(r)
        after = []

    for i, p in enumerate(body):
        for r in between.get(i, []):
            doc.blank()
            doc.line(related_label + r)
        doc.blank()
        doc.para(p)
    for j, r in enumerate(after):
        if (related_place == "glued" and j == 0) or (related_layout == "consecutive" and j):
            doc.line(related_label + r)
        else:
            doc.blank()
            doc.line(related_label + r)

    prev_label, next_label = PREVNEXT_CASES.get(pn_case, ("", ""))
    for label, t in ((prev_label, previous_title), (next_label, next_title)):
        if not t:
            continue
        doc.blank()
        if pn_layout == "separator":
            doc.line(label.rstrip(":") + pn_sep + t)
        elif pn_layout == "same-block":
            doc.line(label)
            doc.line(t)
        else:
            doc.line(label)
            doc.blank()
            doc.line(t)

    def teasers(n: int, shape: str) -> None:
        for s in others(n):
            doc.blank()
            doc.line(s.title)
            if shape == "titles-only":
                continue
            text = (
                noise.choice(s.body)
                if shape == "long-paragraphs"
                else _teaser_text(s, noise.randint(12, 30))
            )
            if shape != "same-block":
                doc.blank()
            doc.para(text)

    if section:
        punct = LATEST_PUNCT[pick("label.latest.punct", list(LATEST_PUNCT))]
        case = LATEST_CASES[pick("label.latest.case", list(LATEST_CASES))]
        doc.blank()
        doc.line(case + punct + section)
        teasers(ch.integer("teasers.latest", 1, 4), teaser_shape)
    if gototop_form != "absent":
        if gototop_place == "same-line" and doc.lines and doc.lines[-1] is not None:
            doc.lines[-1] = f"{doc.lines[-1]} {gototop_form}"
        elif gototop_place == "next-line":
            doc.line(gototop_form)
        else:
            doc.blank()
            doc.line(gototop_form)
    if dontmiss:
        doc.blank()
        doc.line(dontmiss)
        teasers(ch.integer("teasers.dontmiss", 1, 3), "pairs")

    end = pick("file.end", ["no-newline", "newline", "blank-lines"])
    text = doc.render(trailing, indent)
    if end == "newline":
        text += "\n"
    elif end == "blank-lines":
        text += "\n\n \n\n"

    eol = pick("eol", ["lf", "crlf", "cr"])
    text = text.replace("\n", {"lf": "\n", "crlf": "\r\n", "cr": "\r"}[eol])
    encoding = ch.choice(
        "encoding", ["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "cp1252", "latin-1"]
    )
    data, used = _encode(text, encoding)
    note("encoding", used)

    expected: dict[str, Any] = {
        "title": title,
        "published": published,
        "crawled": crawled,
        "reading_minutes": reading_minutes,
        "standfirst": standfirst,
        "source": source,
        "body": tuple(body),
        "related": tuple(related),
        "previous_title": previous_title,
        "next_title": next_title,
        "section": section,
    }
    return RenderedPage(data, expected, order, variations, f"{story.corpus}:{story.key}", text=text)


# ---------------------------------------------------------------- the two ways to draw pages


def random_pages(n: int, seed: int, *, isolated: bool = False) -> list[RenderedPage]:
    """n pages from a seeded Random, half from Reuters-21578 and half from Wikinews.

    Every choice is random, or with ``isolated`` the pages take the groups of
    :data:`GROUPS` in turn and vary that group alone (the rest as in the seed page).
    """
    rng = random.Random(seed)
    corpora = [c for c in (reuters_stories(), wikinews_stories()) if c]
    pool = all_stories()
    groups = sorted(GROUPS)
    out = []
    for i in range(n):
        stories = corpora[i % len(corpora)]
        story = stories[rng.randrange(len(stories))]
        if isolated:
            group = groups[(i // len(corpora)) % len(groups)]
            page = render(story, IsolatedChoices(rng, group), pool=pool)
            page.isolated = group
        else:
            page = render(story, rng, pool=pool)
        out.append(page)
    return out


def pages() -> SearchStrategy[RenderedPage]:
    """A Hypothesis strategy: a story and every variation choice are drawn, so that a
    failing page shrinks towards the seed-like page of the first story."""
    from hypothesis import strategies as st

    @st.composite
    def _page(draw: DrawFn) -> RenderedPage:
        ch = DrawChoices(draw)
        corpora = [c for c in (reuters_stories(), wikinews_stories()) if c]
        stories = ch.choice("corpus", corpora)
        story = stories[ch.integer("story", 0, len(stories) - 1)]
        return render(story, ch, pool=all_stories())

    return _page()


# ---------------------------------------------------------------- comparing and counting


def compare(page: RenderedPage, got: object) -> list[tuple[str, Any, Any]]:
    """The fields where ``got`` (an Article, a Skip or an exception) differs from the truth."""
    from search.records import Article

    if not isinstance(got, Article):
        return [(f, page.expected[f], got) for f in FIELDS]
    return [
        (f, page.expected[f], getattr(got, f))
        for f in FIELDS
        if getattr(got, f) != page.expected[f]
    ]


def _short(v: Any, limit: int = 160) -> str:
    s = repr(v)
    return s if len(s) <= limit else s[: limit - 1] + "…"


@dataclass
class Tally:
    """Exactness per field and per variation over many pages, and the first failures."""

    keep: int = 10
    pages: int = 0
    exact_pages: int = 0
    skips: int = 0
    errors: int = 0
    field_ok: Counter[str] = field(default_factory=Counter)
    var_pages: Counter[str] = field(default_factory=Counter)
    var_exact: Counter[str] = field(default_factory=Counter)
    var_fields: dict[str, Counter[str]] = field(default_factory=dict)
    failures: list[tuple[RenderedPage, list[tuple[str, Any, Any]]]] = field(default_factory=list)

    def add(self, page: RenderedPage, got: object) -> list[tuple[str, Any, Any]]:
        from search.records import Article, Skip

        bad = compare(page, got)
        self.pages += 1
        if isinstance(got, Skip):
            self.skips += 1
        elif not isinstance(got, Article):
            self.errors += 1
        wrong = {f for f, _, _ in bad}
        for f in FIELDS:
            if f not in wrong:
                self.field_ok[f] += 1
        if not bad:
            self.exact_pages += 1
        for v in page.counted_variations():
            self.var_pages[v] += 1
            if not bad:
                self.var_exact[v] += 1
            self.var_fields.setdefault(v, Counter()).update(wrong)
        if bad and len(self.failures) < self.keep:
            self.failures.append((page, bad))
        return bad

    def field_table(self) -> str:
        rows = ["| field | exact | % |", "| --- | ---: | ---: |"]
        for f in FIELDS:
            rows.append(
                f"| {f} | {self.field_ok[f]}/{self.pages} | {_pct(self.field_ok[f], self.pages)} |"
            )
        rows.append(
            f"| (all fields) | {self.exact_pages}/{self.pages} | {_pct(self.exact_pages, self.pages)} |"
        )
        return "\n".join(rows)

    def variation_table(self, only_failing: bool = False) -> str:
        rows = [
            "| variation | pages | all fields exact | % | fields most often wrong |",
            "| --- | ---: | ---: | ---: | --- |",
        ]
        for v in sorted(self.var_pages, key=lambda v: (v.split("=")[0], v)):
            n, ok = self.var_pages[v], self.var_exact[v]
            if only_failing and ok == n:
                continue
            worst = ", ".join(f"{f} {c}" for f, c in self.var_fields[v].most_common(3))
            rows.append(f"| {v} | {n} | {ok} | {_pct(ok, n)} | {worst} |")
        return "\n".join(rows)

    def kind_table(self) -> str:
        """Per kind: the exactness of its worst and best value."""
        kinds: dict[str, list[tuple[float, str]]] = {}
        for v, n in self.var_pages.items():
            kind = v.split("=", 1)[0]
            kinds.setdefault(kind, []).append((self.var_exact[v] / n, v.split("=", 1)[1]))
        rows = [
            "| kind | values | worst value | % | best value | % |",
            "| --- | ---: | --- | ---: | --- | ---: |",
        ]
        for kind in sorted(kinds):
            vals = sorted(kinds[kind])
            rows.append(
                f"| {kind} | {len(vals)} | {vals[0][1]} | {vals[0][0]:.1%} | {vals[-1][1]} | {vals[-1][0]:.1%} |"
            )
        return "\n".join(rows)

    def failure_report(self, n: int = 5) -> str:
        out = []
        for page, bad in self.failures[:n]:
            out.append(f"- {page.story} (date_order={page.date_order})")
            out.append(f"  variations: {', '.join(page.variations)}")
            whole = bad[0][2]
            if len(bad) == len(FIELDS) and not hasattr(whole, "title"):
                out.append(f"  every field: the reader gave {_short(whole, 300)}")
                continue
            for f, exp, got in bad:
                out.append(
                    f"  {f}: expected {_short(exp)}\n  {' ' * len(f)}  got      {_short(got)}"
                )
        return "\n".join(out)

    def summary(self) -> str:
        return (
            f"{self.pages} pages, {self.exact_pages} with every field exact "
            f"({_pct(self.exact_pages, self.pages)}), {self.skips} skipped, {self.errors} errors"
        )


def _pct(a: int, b: int) -> str:
    return f"{a / b:.1%}" if b else "-"
