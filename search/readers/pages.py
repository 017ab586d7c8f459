"""Scraped article pages: the header, headline, standfirst, body and page furniture.

A page is read by what each line *is*, not by where a template happened to put it:

1. **Lines.** The bytes are decoded (:mod:`search.readers.encoding`) and split on any
   line ending (LF, CRLF, CR, and Unicode's others); each line is trimmed of spaces,
   tabs, no-break spaces and zero-width marks. Blank lines separate blocks.
2. **Header.** From the top, every line that is a scrape date (``Today: …``), a date
   (optionally labelled: ``Published on …``), a reading time (``2 mins read``,
   ``Reading time: 2 minutes``, ``2-minute read``) or several of these joined by ``|``
   is header, in any order; the first line that is none of them starts the headline.
3. **Labels.** A line that is a furniture label (``ALSO READ``, ``Previous Story``,
   ``Next Story``, ``Latest from -<Section>``, ``Go toTop``, ``Don't Miss``) is read as
   one in any letter case, with or without a colon or dash, with straight or curly
   apostrophes, and with the text it introduces on the same line or the next. A line
   that merely *starts* with a label word and goes on as a sentence (``Don't miss the
   deadline, officials said.``) is body text.
4. **Paragraphs.** A block is one paragraph, unless its lines were not wrapped to a
   width, in which case each line is one (:func:`_paragraphs`).
5. **Fields.** The first paragraph is the headline; the next is the standfirst (the
   layout has one), whose closing credit ``…, reports <Outlet>`` names the source; the
   paragraphs up to the first of Previous/Next/Latest from/Go to top/Don't Miss are the
   body. After that point nothing is this article's text: the footer gives the
   previous and next titles and the section, and its teasers are dropped.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from search.readers.dates import DateOrder, parse_date, read_labelled_date
from search.readers.encoding import binary_reason, decode_bytes
from search.records import MAX_FILE_BYTES, Article, Skip

__all__ = ["Label", "article_id_for", "furniture_label", "parse_page", "read_reading_time"]


def article_id_for(path: Path) -> str:
    """A URL-safe id for a page file: its name without extension when that is safe."""
    stem = path.stem
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}", stem):
        return stem
    return "p-" + hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:16]


# ------------------------------------------------------------------------ lines

#: Trimmed from both ends of every line: whitespace (no-break spaces included), and the
#: invisible marks editors and scrapers leave (zero-width spaces, stray BOMs; not the
#: joiners, which belong to the letters of Indic and Arabic scripts).
_INVISIBLE = "\u200b\u2060\ufeff"
#: Every character ``str.strip()`` takes for whitespace, and the invisible marks: one
#: strip per line.
_TRIM = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000" + _INVISIBLE
)

#: How labels, dates and reading times are matched: curly quotes, dashes and Unicode
#: spaces made plain, one character for one, so that a match's offsets are the line's.
_PLAIN = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201b\u02bc\u00b4`", "'"),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
                        "\u2008\u2009\u200a\u202f\u205f\u3000\t", " "),
    }
)  # fmt: skip


def _clean(line: str) -> str:
    return line.strip(_TRIM)


def _fold(line: str) -> str:
    """``line`` as labels are matched (the same length: see :data:`_PLAIN`)."""
    return line.translate(_PLAIN)


# ------------------------------------------------------------------------ header

_READING = re.compile(
    r"^(?:[^\w\s]+\s*)?"  # an icon or bullet before it
    r"(?:(?:estimated\s+|approx(?:imate|\.)?\s+)?(?:reading|read)(?:ing)?\s+time|"
    r"time\s+to\s+read|read)?\s*[:\-|]?\s*"
    r"(?:about\s+|approx\.?\s+|~\s*|<\s*)?"
    r"(?P<n>\d{1,3})\s*-?\s*(?:m|mn|mns|min|mins|minute|minutes)\b\.?"
    r"(?:\s*(?:of\s+)?(?:to\s+)?read(?:ing)?(?:\s+time)?)?\s*\.?$",
    re.IGNORECASE,
)
_TODAY = re.compile(r"^today\s*(?:is\b)?\s*[:\-|,]?\s*(?P<rest>.+)$", re.IGNORECASE)
#: No header line is longer (a date, a reading time, or the three joined by "|"): a
#: longer line is the headline, and the header's patterns never see a megabyte line.
_MAX_HEADER_LINE = 200
_HEADER_SPLIT = re.compile(r"\s+[|·•]\s+|\s{3,}")


def read_reading_time(line: str) -> int | None:
    """Minutes from a reading-time line (``2 mins read``, ``Reading time: 1 minutes``)."""
    m = _READING.match(_fold(line))
    return int(m.group("n")) if m else None


@dataclass
class _Header:
    crawled: date | None = None
    reading: int | None = None
    #: Dates that are not the scrape date, with their label ("" when unlabelled).
    dates: list[tuple[str, date]] = field(default_factory=list)

    def take(self, line: str, order: DateOrder) -> bool:
        """Read one line into the header; False when it is not a header line."""
        if len(line) > _MAX_HEADER_LINE:
            return False
        if self._take_one(line, order):
            return True
        # Several header items on one line: "Today: 10 March 2025 | 29 April 2023 | 2 mins".
        parts = [p for p in _HEADER_SPLIT.split(line) if p.strip()]
        if len(parts) < 2:
            return False
        trial = _Header(self.crawled, self.reading, list(self.dates))
        if not all(trial._take_one(p, order) for p in parts):
            return False
        self.crawled, self.reading, self.dates = trial.crawled, trial.reading, trial.dates
        return True

    def _take_one(self, line: str, order: DateOrder) -> bool:
        folded = _fold(line)
        m = _TODAY.match(folded)
        if m and self.crawled is None:
            crawled = parse_date(m.group("rest"), order)
            if crawled is not None:
                self.crawled = crawled
                return True
        if self.reading is None and (minutes := read_reading_time(folded)) is not None:
            self.reading = minutes
            return True
        labelled = read_labelled_date(folded, order)
        if labelled is not None:
            self.dates.append(labelled)
            return True
        return False

    def dates_read(self) -> tuple[date | None, date | None]:
        """The publication date and the scrape date the header lines give."""
        for label, d in self.dates:  # "Published on …", "Posted …", "Date: …"
            if label and not label.endswith(("updated", "updated on", "modified")):
                return d, self.crawled
        bare = [d for label, d in self.dates if not label]
        if self.crawled is None and len(bare) >= 2:
            # Two unlabelled dates and no "Today:": the layout puts the scrape date first.
            return bare[1], bare[0]
        if bare:
            return bare[0], self.crawled
        return (self.dates[0][1] if self.dates else None), self.crawled


# ------------------------------------------------------------------------ labels

_SEP = r"\s*(?P<sep>[:\-|>»›→]+|\s)?\s*"
_LABELS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("related", rf"^(?:also\s*read|read\s*also|see\s+also){_SEP}(?P<rest>.*)$"),
        ("previous", rf"^[«‹<←]*\s*prev(?:ious|\.)?\s*(?:story|article|post){_SEP}(?P<rest>.*)$"),
        ("next", rf"^(?:next)\s*(?:story|article|post){_SEP}(?P<rest>.*?)(?:\s+[»›>→]+)?\s*$"),
        ("section", rf"^(?:latest|more)\s*(?:news\s+)?from{_SEP}(?P<rest>.*)$"),
        ("top", r"^[↑^]*\s*(?:go|back|return)\s*to\s*(?:the\s*)?top\s*[↑^!.]*(?P<sep>)(?P<rest>)$"),
        ("miss", rf"^(?:don'?t|do\s+not)\s*miss\b!?{_SEP}(?P<rest>.*)$"),
    )
)  # fmt: skip
#: The words a label line can start with: most lines are ruled out by this one test.
_LABEL_START = re.compile(
    r"^[^\w]{0,3}\s*(?:also|read|see|prev|next|latest|more|go|back|return|do)", re.IGNORECASE
)
#: The labels after which nothing is this article's own text.
_FOOTER = frozenset({"previous", "next", "section", "top", "miss"})


@dataclass(frozen=True)
class Label:
    kind: str
    rest: str  # the text after the label on the same line ("" if none)


def _sentence(text: str) -> bool:
    """Whether words read as (part of) a sentence, not a title: they begin in lower case,
    or end like a sentence and are mostly lower case ("…SETS PLANT IN U.S." is a title)."""
    first = next((c for c in text if c.isalnum()), "")
    if first.islower():
        return True
    ends = text.rstrip("\"'”’)]»").endswith((".", ",", ";"))
    return ends and sum(c.islower() for c in text) > sum(c.isupper() for c in text)


def _continues(text: list[str], line: str) -> bool:
    """Whether ``line`` carries on a paragraph wrapped over the ``text`` lines before it
    in the same block. Then a label with words after it there is just text
    ("…Their statement also" / "read: the claim is false."). It takes two lines of
    wrapping to tell, and a last line that ends mid-sentence."""
    if len(text) < 2 or not line[:1].islower():
        return False  # a label a template wrote starts its line; a sentence carries on
    if text[-1].rstrip("\"'”’)]»").endswith((".", "!", "?", ":", "…")):
        return False
    return _wrapped([*text, line])


def furniture_label(line: str) -> Label | None:
    """The furniture label a line is, or None when it is ordinary text."""
    if len(line) > 300 or not _LABEL_START.match(line):
        return None
    folded = _fold(line)
    for kind, pattern in _LABELS:
        m = pattern.match(folded)
        if not m:
            continue
        rest = line[m.start("rest") : m.end("rest")].strip()
        sep = (m.group("sep") or "").strip()
        if kind == "section":
            rest = rest.strip(" -:|»›>\u2013\u2014")
            # A section is a name: a few words, not a sentence.
            if not rest or len(rest) > 60 or rest.endswith(".") or (not sep and rest[:1].islower()):
                return None
        elif rest and not sep and _sentence(rest):
            # Without a colon or dash, words after a label make a label line only when
            # they read as a title, not as a sentence ("Don't miss the deadline, he said.").
            return None
        return Label(kind, rest)
    return None


# -------------------------------------------------------------------- paragraphs


def _wrapped(lines: list[str]) -> bool:
    """Whether a block's lines are one paragraph wrapped to a width.

    Wrapping to a width breaks a line only where the next word would not fit, so every
    line but the last, with the first word of the line after it, is longer than the
    longest line. Lines written one paragraph each break anywhere.
    """
    # A single word longer than the width stays whole on its own line: it sets no width.
    widest = max((len(line) for line in lines if " " in line), default=0)
    if widest > 120 or not widest:
        return False
    for line, after in itertools.pairwise(lines):
        if len(line) + 1 + len(after.split(" ", 1)[0]) <= widest:
            return False
    return True


def _blocks(lines: list[str]) -> list[list[str]]:
    """Runs of non-blank lines."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _paragraphs(lines: list[str]) -> list[str]:
    """The paragraphs of one block of non-blank lines with no label among them."""
    if len(lines) == 1 or _wrapped(lines):
        return [" ".join(lines)]
    return list(lines)


# ------------------------------------------------------------------------ credit

#: ``…, reports Asian Lite News`` at the end of the standfirst (a final stop allowed).
_CREDIT = re.compile(
    r"^.*[,;\-–—]\s*(?:reports|reported\s+by|reports\s+from|writes)\s+"
    r"(?P<source>[^\s].{0,79}?)\s*\.?\s*$",
    re.IGNORECASE | re.DOTALL,
)


def _source(standfirst: str) -> str:
    m = _CREDIT.match(standfirst)
    if not m:
        return ""
    source = m.group("source").strip()
    return source if len(source.split()) <= 10 else ""


# ------------------------------------------------------------------------- pages


def _decode(data: bytes | str, path: str) -> str | Skip:
    if isinstance(data, str):
        return data
    if not data.strip():
        return Skip(path, "empty file")
    if len(data) > MAX_FILE_BYTES:
        return Skip(path, f"file too large for an article page ({len(data):,} bytes)")
    reason = binary_reason(data)
    if reason:
        return Skip(path, reason)
    return decode_bytes(data)


def parse_page(
    data: bytes | str,
    path: str = "<page>",
    article_id: str | None = None,
    *,
    date_order: DateOrder = "dmy",
) -> Article | Skip:
    """Read one scraped article page. Returns the :class:`Article`, or a :class:`Skip`.

    ``date_order`` is how an all-numeric date like ``05/04/2023`` is read (``dmy``:
    5 April); year-first dates and dates with a month name are read the same either way.
    """
    text = _decode(data, path)
    if isinstance(text, Skip):
        return text
    lines = [_clean(line) for line in text.splitlines()]
    if not any(lines):
        return Skip(path, "empty file")

    header = _Header()
    i = 0
    while i < len(lines) and (not lines[i] or header.take(lines[i], date_order)):
        i += 1
    published, crawled = header.dates_read()
    if published is None:
        return Skip(path, "no publication date that can be read near the top of the page")

    # Blocks of lines between blank lines, split again at label lines.
    items: list[str | Label] = []
    for block in _blocks(lines[i:]):
        run: list[str] = []
        for line in block:
            label = furniture_label(line)
            if label is not None and label.rest and _continues(run, line):
                label = None
            if label is None:
                run.append(line)
                continue
            if run:
                items.extend(_paragraphs(run))
                run = []
            items.append(label)
        if run:
            items.extend(_paragraphs(run))

    if not items or isinstance(items[0], Label):
        return Skip(path, "no headline after the date")
    title = items[0]

    content: list[str] = []
    related: list[str] = []
    section = previous_title = next_title = ""
    in_footer = False
    pending: str | None = None  # a label waiting for its text on the next line
    for item in items[1:]:
        if isinstance(item, Label):
            pending = None
            in_footer = in_footer or item.kind in _FOOTER
            if item.kind == "section":
                section = section or item.rest
            elif item.rest:
                if item.kind == "related":
                    related.append(item.rest)
                elif item.kind == "previous":
                    previous_title = previous_title or item.rest
                elif item.kind == "next":
                    next_title = next_title or item.rest
            elif item.kind in ("related", "previous", "next"):
                pending = item.kind
            continue
        if pending == "related":
            related.append(item)
        elif pending == "previous":
            previous_title = previous_title or item
        elif pending == "next":
            next_title = next_title or item
        elif not in_footer:
            content.append(item)
        pending = None

    standfirst = source = ""
    if content and (len(content) > 1 or _source(content[0])):
        standfirst = content.pop(0)
        source = _source(standfirst)

    return Article(
        id=article_id or article_id_for(Path(path)),
        path=path,
        title=title,
        published=published,
        crawled=crawled,
        reading_minutes=header.reading,
        standfirst=standfirst,
        body=tuple(content),
        section=section,
        source=source,
        related=tuple(related),
        previous_title=previous_title,
        next_title=next_title,
    )
