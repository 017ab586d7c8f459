"""Read news articles from their sources into :class:`Article` records.

Three sources are understood:

* scraped article pages (plain text, the shape of ``examples/articles/``),
* JSON Lines exports (one article object per line),
* Reuters-21578 SGML files (``reut2-*.sgm``).

Every reader yields either an :class:`Article` or a :class:`Skip` (what could not be
read, and a one-line reason). Nothing here raises on bad input and nothing here knows
about Whoosh: the index is built from the records by :mod:`search.indexing`.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from dateutil import parser as dateparser

__all__ = [
    "FORMATS",
    "MAX_FILE_BYTES",
    "TAG_FIELDS",
    "Article",
    "Format",
    "Skip",
    "detect_format",
    "iter_files",
    "parse_date",
    "parse_page",
    "read_jsonl",
    "read_path",
    "read_paths",
    "read_reuters",
]

#: The metadata facets (singular, as in ``topic=coffee``) and the Article field of each.
TAG_FIELDS: tuple[tuple[str, str], ...] = (
    ("topic", "topics"),
    ("place", "places"),
    ("person", "people"),
    ("org", "orgs"),
    ("exchange", "exchanges"),
)

Format = Literal["auto", "page", "jsonl", "reuters"]
FORMATS: tuple[str, ...] = ("auto", "page", "jsonl", "reuters")

#: A single article page larger than this is not an article (a dump, a binary, a mistake).
MAX_FILE_BYTES = 5 * 1024 * 1024
#: A container (JSON Lines export, Reuters SGML) may be larger, but not unboundedly so.
MAX_CONTAINER_BYTES = 2 * 1024 * 1024 * 1024


@dataclass(frozen=True)
class Article:
    """One news article, as read from its source."""

    id: str
    path: str
    title: str
    published: date
    body: tuple[str, ...] = ()
    standfirst: str = ""
    crawled: date | None = None
    reading_minutes: int | None = None
    section: str = ""
    source: str = ""
    related: tuple[str, ...] = ()
    previous_title: str = ""
    next_title: str = ""
    #: Subject metadata where the source has it (Reuters-21578 does): facets and filters.
    topics: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    exchanges: tuple[str, ...] = ()
    content_hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.content_hash:
            object.__setattr__(self, "content_hash", self.compute_hash())

    def compute_hash(self) -> str:
        """Hash the article's own content.

        The scrape date and the page furniture that changes as other stories are
        published (previous/next story) are left out, so that a re-scrape of an
        unchanged article is recognised as unchanged.
        """
        own = [
            self.title,
            self.published.isoformat(),
            self.standfirst,
            *self.body,
            self.section,
            self.source,
            *self.related,
        ]
        for kind, values in self.tags().items():  # absent for articles without any
            own += [f"{kind}:{v}" for v in values]
        h = hashlib.sha256()
        for part in own:
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        return h.hexdigest()[:32]

    def tags(self) -> dict[str, tuple[str, ...]]:
        """The metadata by facet name (``topic``, ``place``, …), only those present."""
        out = {kind: tuple(getattr(self, attr)) for kind, attr in TAG_FIELDS if getattr(self, attr)}
        return out

    @property
    def text(self) -> str:
        """The body as one string, paragraphs separated by blank lines."""
        return "\n\n".join(self.body)

    def to_dict(self) -> dict[str, Any]:
        """The fields by their names, dates as ISO 8601 (the JSON shape of ``parse --json``)."""
        d = asdict(self)
        d["published"] = self.published.isoformat()
        d["crawled"] = self.crawled.isoformat() if self.crawled else None
        d["body"] = list(self.body)
        d["related"] = list(self.related)
        for _, attr in TAG_FIELDS:
            d[attr] = list(getattr(self, attr))
        return d


@dataclass(frozen=True)
class Skip:
    """Something that was not read as an article, and why (one line)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


# --------------------------------------------------------------------------- dates

_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|"
    "july|august|september|october|november|december"
)
_DATE_WITH_MONTH_NAME = re.compile(
    rf"^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})$",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+\-Z]*)?$")


def parse_date(text: str) -> date | None:
    """Read a publication date written the ways news sites write them, or ``None``.

    Accepted: ``29 April 2023``, ``April 29, 2023``, ``29 Apr 2023``, ``2023-04-29``
    (optionally with a time), with an optional weekday in front. Numeric forms such as
    ``04/05/2023`` are refused: their day and month cannot be told apart.
    """
    s = text.strip()
    if not s or len(s) > 40:
        return None
    try:
        if _ISO_DATE.match(s):
            return date.fromisoformat(s[:10])
        if _DATE_WITH_MONTH_NAME.match(s):
            return dateparser.parse(s).date()
    except (ValueError, OverflowError):
        pass
    return None


# ------------------------------------------------------------------ decoding text


def decode_bytes(data: bytes) -> str:
    """Decode a page: UTF-8 (with or without BOM), else Windows-1252; newlines normalised."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Scrapes saved by Windows tools: curly quotes as 0x93/0x94 and so on.
        text = data.decode("cp1252", errors="replace")
    text = text.lstrip("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _binary_reason(data: bytes) -> str | None:
    sample = data[:8192]
    if b"\x00" in sample:
        return "binary file (contains NUL bytes)"
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    if sample and controls / len(sample) > 0.05:
        return "binary file (too many control characters)"
    return None


def article_id_for(path: Path) -> str:
    """A URL-safe id for a page file: its name without extension when that is safe."""
    stem = path.stem
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}", stem):
        return stem
    return "p-" + hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:16]


# ------------------------------------------------------------------ article pages

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
    data: bytes | str, path: str = "<page>", article_id: str | None = None
) -> Article | Skip:
    """Read one scraped article page. Returns the :class:`Article`, or a :class:`Skip`."""
    if isinstance(data, bytes):
        if not data.strip():
            return Skip(path, "empty file")
        if len(data) > MAX_FILE_BYTES:
            return Skip(path, f"file too large for an article page ({len(data):,} bytes)")
        reason = _binary_reason(data)
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


# -------------------------------------------------------------------- JSON Lines

_OPTIONAL_STR = ("standfirst", "section", "source", "previous_title", "next_title")


def _article_from_json(obj: Any, path: str) -> Article | str:
    """Build an Article from one JSON object, or return the reason it cannot be."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    art_id = obj.get("id")
    if isinstance(art_id, int) and not isinstance(art_id, bool):
        art_id = str(art_id)
    if not isinstance(art_id, str) or not re.fullmatch(
        r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}", art_id
    ):
        return "missing or unusable 'id' (letters, digits, '_', '.', '-'; at most 128)"
    title = obj.get("title")
    if not isinstance(title, str) or not title.strip():
        return "missing 'title'"
    pub_raw = obj.get("published")
    published = parse_date(pub_raw) if isinstance(pub_raw, str) else None
    if published is None:
        return f"no publication date that can be read in 'published' ({pub_raw!r:.40})"
    body_raw = obj.get("body", "")
    if isinstance(body_raw, str):
        body = tuple(p.strip() for p in re.split(r"\n\s*\n", body_raw) if p.strip())
    elif isinstance(body_raw, list) and all(isinstance(p, str) for p in body_raw):
        body = tuple(p.strip() for p in body_raw if p.strip())
    else:
        return "'body' must be a string or a list of strings"
    fields: dict[str, Any] = {}
    for name in _OPTIONAL_STR:
        v = obj.get(name)
        if v is not None:
            if not isinstance(v, str):
                return f"'{name}' must be a string"
            fields[name] = v.strip()
    crawled_raw = obj.get("crawled")
    if crawled_raw is not None:
        crawled = parse_date(crawled_raw) if isinstance(crawled_raw, str) else None
        if crawled is None:
            return "'crawled' is not a date"
        fields["crawled"] = crawled
    rm = obj.get("reading_minutes")
    if rm is not None:
        if not isinstance(rm, int) or isinstance(rm, bool) or rm < 0:
            return "'reading_minutes' must be a whole number"
        fields["reading_minutes"] = rm
    for name in ("related", *(attr for _, attr in TAG_FIELDS)):
        values = obj.get(name)
        if values is not None:
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                return f"'{name}' must be a list of strings"
            cleaned = tuple(v.strip() for v in values if v.strip())
            if name != "related" and any("," in v for v in cleaned):
                return f"'{name}' values cannot contain commas"
            fields[name] = cleaned
    return Article(
        id=art_id, path=path, title=title.strip(), published=published, body=body, **fields
    )


def read_jsonl(path: Path) -> Iterator[Article | Skip]:
    """Read a JSON Lines export: one article object per line; bad lines are skipped."""
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            where = f"{path}:{lineno}"
            if not raw.strip():
                continue
            if len(raw) > MAX_FILE_BYTES:
                yield Skip(where, f"line too long for one article ({len(raw):,} bytes)")
                continue
            try:
                obj = json.loads(decode_bytes(raw))
            except ValueError as e:
                yield Skip(where, f"not valid JSON ({str(e).splitlines()[0]})")
                continue
            result = _article_from_json(obj, str(path))
            yield Skip(where, result) if isinstance(result, str) else result


# ------------------------------------------------------------------ Reuters-21578

_REUTERS_DOC = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.DOTALL)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_REUTERS_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_MON = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_CONTROL_ENTITY = re.compile(r"&#(\d+);")


def _tag(block: str, name: str) -> str | None:
    m = re.search(rf"<{name}\b[^>]*>(.*?)</{name}>", block, re.DOTALL)
    return m.group(1) if m else None


def _reuters_text(raw: str) -> str:
    """Turn SGML text into plain text: control entities dropped, &lt; and &amp; decoded."""

    def control(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return " " if n < 32 or n == 127 else chr(n)

    text = _CONTROL_ENTITY.sub(control, raw)
    text = html.unescape(text.replace("&lt;", "<").replace("&gt;", ">"))
    return text.replace("\t", " ")


def _reuters_paragraphs(text: str) -> list[str]:
    """Reuters bodies are hard-wrapped; a new paragraph starts on an indented line."""
    paras: list[str] = []
    cur: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            if cur:
                paras.append(" ".join(cur))
                cur = []
            continue
        if line.startswith((" ", "\t")) and cur:
            paras.append(" ".join(cur))
            cur = []
        cur.append(line.strip())
    if cur:
        paras.append(" ".join(cur))
    # The wire sign-off is not content.
    while paras and re.fullmatch(r"(?i)reuters?\.?", paras[-1].strip()):
        paras.pop()
    if paras:
        paras[-1] = re.sub(r"\s+Reuters?\s*$", "", paras[-1], flags=re.IGNORECASE)
    return [p for p in (re.sub(r"\s+", " ", p).strip() for p in paras) if p]


_REUTERS_D = re.compile(r"<D>(.*?)</D>", re.DOTALL)


def _reuters_list(block: str, tag: str) -> tuple[str, ...]:
    """The <D> codes of one category list (``<PLACES><D>usa</D><D>uk</D></PLACES>``)."""
    inner = _tag(block, tag) or ""
    codes = (html.unescape(c).strip().replace(",", " ") for c in _REUTERS_D.findall(inner))
    return tuple(dict.fromkeys(c for c in codes if c))


def read_reuters(path: Path) -> Iterator[Article | Skip]:
    """Read a Reuters-21578 SGML file (latin-1; every story, BRIEF and UNPROC included)."""
    text = path.read_bytes().decode("latin-1")
    found = False
    for m in _REUTERS_DOC.finditer(text):
        found = True
        attrs = dict(_ATTR.findall(m.group(1)))
        newid = attrs.get("NEWID", "").strip()
        where = f"{path}#NEWID={newid or '?'}"
        block = m.group(2)
        if not newid.isdigit():
            yield Skip(where, "story has no NEWID")
            continue
        dm = _REUTERS_DATE.search(_tag(block, "DATE") or "")
        published: date | None = None
        if dm and dm.group(2).lower() in _MON:
            try:
                published = date(int(dm.group(3)), _MON[dm.group(2).lower()], int(dm.group(1)))
            except ValueError:
                published = None
        if published is None:
            yield Skip(where, "no date that can be read in <DATE>")
            continue
        text_block = _tag(block, "TEXT") or ""
        title_raw = _tag(text_block, "TITLE")
        body_raw = _tag(text_block, "BODY")
        if body_raw is None:
            # BRIEF stories have a title only; UNPROC stories are raw text inside <TEXT>.
            body_raw = re.sub(r"<(AUTHOR|DATELINE|TITLE)>.*?</\1>", "", text_block, flags=re.DOTALL)
        paras = _reuters_paragraphs(_reuters_text(body_raw))
        title = re.sub(r"\s+", " ", _reuters_text(title_raw or "")).strip()
        if not title:
            if not paras:
                # One UNPROC story (NEWID 12793) is empty; it is still a story of the wire.
                paras = []
                title = f"Reuters story {int(newid)} (no text)"
            first_line = _reuters_text(body_raw).strip().split("\n", 1)[0].strip()
            title = title or re.sub(r"\s+", " ", first_line)[:120] or paras[0][:120]
        dateline = re.sub(r"\s+", " ", _reuters_text(_tag(text_block, "DATELINE") or "")).strip()
        yield Article(
            id=f"reuters-{int(newid)}",
            path=str(path),
            title=title,
            published=published,
            standfirst=dateline.rstrip(" -"),
            body=tuple(paras),
            source="Reuters",
            topics=_reuters_list(block, "TOPICS"),
            places=_reuters_list(block, "PLACES"),
            people=_reuters_list(block, "PEOPLE"),
            orgs=_reuters_list(block, "ORGS"),
            exchanges=_reuters_list(block, "EXCHANGES"),
        )
    if not found:
        yield Skip(str(path), "no <REUTERS> stories in this file")


# ---------------------------------------------------------------- choosing a reader

_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "jsonl": (".jsonl", ".ndjson"),
    "reuters": (".sgm", ".sgml"),
}


def detect_format(path: Path, head: bytes) -> str:
    """Pick the reader for a file from its name, then its first bytes."""
    name = path.name.lower()
    if name.endswith(_EXTENSIONS["reuters"]) or re.match(rb"\s*<(!DOCTYPE lewis|REUTERS)", head):
        return "reuters"
    if name.endswith(_EXTENSIONS["jsonl"]):
        return "jsonl"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{") and b"\n" in stripped:
        first = stripped.split(b"\n", 1)[0]
        try:
            if isinstance(json.loads(first), dict):
                return "jsonl"
        except ValueError:
            pass
    return "page"


ALREADY_WALKED = "a folder already read by another path (a link or a loop)"


def iter_files(paths: Iterable[Path | str], fmt: str = "auto") -> Iterator[Path | Skip]:
    """Every file under the given paths (sorted, hidden files left out), or why not.

    Links are followed, but each real file and folder is read once: a link back to a
    folder already walked (a loop, or a second way in) is reported and not walked again.
    """
    seen: set[str] = set()
    walked: set[str] = set()
    for p in paths:
        p = Path(p)
        if p.is_dir():
            walked.add(os.path.realpath(p))
            for root, dirs, files in os.walk(p, followlinks=True):
                keep = []
                for d in sorted(d for d in dirs if not d.startswith(".")):
                    real = os.path.realpath(os.path.join(root, d))
                    if real in walked:
                        yield Skip(os.path.join(root, d), ALREADY_WALKED)
                    else:
                        walked.add(real)
                        keep.append(d)
                dirs[:] = keep
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    if fmt in _EXTENSIONS and not name.lower().endswith(_EXTENSIONS[fmt]):
                        continue
                    f = Path(root) / name
                    key = os.path.realpath(f)
                    if key not in seen:
                        seen.add(key)
                        yield f
        elif p.is_file():
            key = os.path.realpath(p)
            if key not in seen:
                seen.add(key)
                yield p
        elif p.exists():
            yield Skip(str(p), "not a regular file or folder")
        else:
            yield Skip(str(p), "no such file or folder")


def read_path(path: Path, fmt: str = "auto") -> Iterator[Article | Skip]:
    """Read every article in one file, choosing the reader unless ``fmt`` says which."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as e:
        yield Skip(str(path), f"cannot be read ({e.strerror or e})")
        return
    kind = detect_format(path, head) if fmt == "auto" else fmt
    try:
        if kind == "page":
            if size > MAX_FILE_BYTES:
                yield Skip(str(path), f"file too large for an article page ({size:,} bytes)")
                return
            yield parse_page(path.read_bytes(), str(path))
        elif size > MAX_CONTAINER_BYTES:
            yield Skip(str(path), f"file too large ({size:,} bytes)")
        elif kind == "jsonl":
            yield from read_jsonl(path)
        elif kind == "reuters":
            yield from read_reuters(path)
        else:
            yield Skip(str(path), f"unknown format {kind!r}")
    except OSError as e:
        yield Skip(str(path), f"cannot be read ({e.strerror or e})")


def read_paths(paths: Iterable[Path | str], fmt: str = "auto") -> Iterator[Article | Skip]:
    """Every article under the given files and folders, with a Skip for what is not one."""
    for item in iter_files(paths, fmt):
        if isinstance(item, Skip):
            yield item
        else:
            yield from read_path(item, fmt)
