"""Scraped article pages: the header, headline, standfirst, body and page furniture."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

from search.readers.dates import DateOrder, parse_date
from search.readers.encoding import binary_reason, decode_bytes
from search.records import MAX_FILE_BYTES, Article, Skip

__all__ = ["article_id_for", "parse_page"]


def article_id_for(path: Path) -> str:
    """A URL-safe id for a page file: its name without extension when that is safe."""
    stem = path.stem
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}", stem):
        return stem
    return "p-" + hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:16]


_TODAY = re.compile(r"^today\s*:\s*(.+)$", re.IGNORECASE)
_READING = re.compile(r"^(\d{1,3})\s*(?:min|mins|minute|minutes)\s+read$", re.IGNORECASE)
_ALSO_READ = re.compile(r"^also\s+read\s*:\s*(.*)$", re.IGNORECASE)
_LATEST_FROM = re.compile(r"^latest\s+from\s*-?\s*(.*)$", re.IGNORECASE)
_PREVIOUS = re.compile(r"^previous\s+story$", re.IGNORECASE)
_NEXT = re.compile(r"^next\s+story$", re.IGNORECASE)
_FOOTER_START = re.compile(
    r"^(?:previous\s+story|next\s+story|latest\s+from\b.*|go\s*to\s*top|don['’]t\s+miss)$",
    re.IGNORECASE,
)
_SOURCE_CREDIT = re.compile(
    r"[,;.\-–—]\s*(?:reports|writes|reported by|says|according to)\s+"
    r"(?P<source>[A-Z][\w&'’.\- ]{1,60}?)\s*\.?$"
)
_TERMINAL = re.compile(r"[.!?…\"'”’)\]]$")


def _paragraphs(lines: list[str]) -> list[list[str]]:
    """Group lines into paragraphs separated by blank lines."""
    paras: list[list[str]] = []
    cur: list[str] = []
    for line in lines:
        if line.strip():
            cur.append(line.strip())
        elif cur:
            paras.append(cur)
            cur = []
    if cur:
        paras.append(cur)
    return paras


def parse_page(
    data: bytes | str,
    path: str = "<page>",
    article_id: str | None = None,
    *,
    date_order: DateOrder = "dmy",
) -> Article | Skip:
    """Read one scraped article page. Returns the :class:`Article`, or a :class:`Skip`."""
    if isinstance(data, bytes):
        if not data.strip():
            return Skip(path, "empty file")
        if len(data) > MAX_FILE_BYTES:
            return Skip(path, f"file too large for an article page ({len(data):,} bytes)")
        reason = binary_reason(data)
        if reason:
            return Skip(path, reason)
        text = decode_bytes(data)
    else:
        text = data.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = [line.rstrip() for line in text.split("\n")]
    if not any(line.strip() for line in lines):
        return Skip(path, "empty file")

    # Header: up to the first few non-blank lines hold "Today: …", the date, "N mins read".
    crawled: date | None = None
    published: date | None = None
    reading: int | None = None
    i = 0
    seen = 0
    while i < len(lines) and seen < 4:
        s = lines[i].strip()
        if not s:
            i += 1
            continue
        m = _TODAY.match(s)
        if m and crawled is None and published is None:
            crawled = parse_date(m.group(1))
        elif published is None and (d := parse_date(s)) is not None:
            published = d
        elif (m := _READING.match(s)) is not None and reading is None:
            reading = int(m.group(1))
        else:
            break
        seen += 1
        i += 1
    if published is None:
        return Skip(path, "no publication date that can be read near the top of the page")

    paras = _paragraphs(lines[i:])
    if not paras:
        return Skip(path, "no headline after the date")
    title = " ".join(paras[0])
    if _FOOTER_START.match(title) or _ALSO_READ.match(title):
        return Skip(path, "no headline after the date")

    body: list[str] = []
    related: list[str] = []
    section = previous_title = next_title = ""
    rest = paras[1:]
    in_footer = False
    expect: str | None = None
    for para in rest:
        first = para[0]
        # Furniture that may sit on the line before a footer marker in the same block.
        lines_in_para = para
        if not in_footer:
            m = _ALSO_READ.match(first)
            if m and len(lines_in_para) == 1:
                if m.group(1).strip():
                    related.append(m.group(1).strip())
                continue
            if any(_FOOTER_START.match(x) for x in lines_in_para):
                # The body ends here; keep the lines of this block before the marker.
                for j, x in enumerate(lines_in_para):
                    if _FOOTER_START.match(x):
                        head = " ".join(lines_in_para[:j]).strip()
                        if head:
                            body.append(head)
                        in_footer = True
                        lines_in_para = lines_in_para[j:]
                        break
            else:
                body.append(" ".join(lines_in_para))
                continue
        # In the footer: read what it tells about this article, never its teasers' text.
        for x in lines_in_para:
            if expect == "previous":
                previous_title = x
                expect = None
            elif expect == "next":
                next_title = x
                expect = None
            elif _PREVIOUS.match(x):
                expect = "previous"
            elif _NEXT.match(x):
                expect = "next"
            elif (m := _LATEST_FROM.match(x)) is not None and not section:
                section = m.group(1).strip()
            elif (m := _ALSO_READ.match(x)) is not None and m.group(1).strip():
                related.append(m.group(1).strip())

    standfirst = ""
    source = ""
    if body:
        first = body[0]
        credit = _SOURCE_CREDIT.search(first)
        # A standfirst credits the outlet ("…, reports Asian Lite News") or, unlike a body
        # paragraph, does not end a sentence; with a single paragraph it is the body.
        if len(body) > 1 and (credit or not _TERMINAL.search(first)):
            standfirst = body.pop(0)
            if credit:
                source = credit.group("source").strip()

    return Article(
        id=article_id or article_id_for(Path(path)),
        path=path,
        title=title,
        published=published,
        crawled=crawled,
        reading_minutes=reading,
        standfirst=standfirst,
        body=tuple(body),
        section=section,
        source=source,
        related=tuple(related),
        previous_title=previous_title,
        next_title=next_title,
    )
