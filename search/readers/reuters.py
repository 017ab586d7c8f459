"""Reuters-21578 SGML files (``reut2-*.sgm``)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from search.records import Article, Skip

__all__ = ["read_reuters"]

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
