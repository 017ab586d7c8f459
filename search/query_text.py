"""Read what a reader typed into something the query parser can take, leniently.

Nothing here raises: every input becomes a query text plus notes on what was
ignored or reinterpreted (a lone ``AND``, an unclosed quote, an unknown field, a
``date:`` that is not a date, punctuation soup, a paste too long to be a query).
``date:`` clauses are taken out of the text and returned as a date range.

Size is the one thing not forgiven: :func:`limit_problem` says why a query is too big
to search (the API's 400). What costs is the number of different words searched (each
is a posting list to read and score), so that is what the limit counts: a pasted
paragraph of a few hundred words, most of them common or repeated, is a query.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

from search.analysis import STOP_WORDS, WORD, normalize_word

__all__ = [
    "MAX_QUERY_CHARS",
    "MAX_QUERY_WORDS",
    "Prepared",
    "count_words",
    "limit_problem",
    "parse_period",
    "prepare",
    "searched_words",
]

#: Longer queries are refused (a paragraph or two, such as a verbose research question,
#: fits; ~4 KB is also what one URL of a GET request carries through every server).
MAX_QUERY_CHARS = 4000
#: At most this many different words are searched: each is a posting list to read and
#: score. Stop words, repeats, operators and field names do not count.
MAX_QUERY_WORDS = 128
SEARCHABLE_FIELDS = frozenset({"title", "standfirst", "body"})
OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})

_PERIOD = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_DATE_CLAUSE = re.compile(
    r"(?i)(?<![\w:])date:\s*(?:(?P<open>[\[{])(?P<range>[^\]}]*)(?:[\]}]|$)|(?P<single>[^\s()]*))"
)
_RANGE_SPLIT = re.compile(r"(?i)\s+to\s+|\s+to$|^to\s+|^to$")
_FIELD = re.compile(r"^(?P<name>\w+):(?P<rest>.*)$")
_WORDCHAR = re.compile(r"\w")
_BOOST = re.compile(r"\^(\d+(?:\.\d+)?)$")
_FUZZY = re.compile(r"~(\d)?$")


def parse_period(value: str, end: bool = False) -> date | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` → its first day (or last, if ``end``)."""
    m = _PERIOD.match(value.strip())
    if not m:
        return None
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else None
    day = int(m.group(3)) if m.group(3) else None
    try:
        if month is None:
            return date(year, 12, 31) if end else date(year, 1, 1)
        if day is None:
            last = calendar.monthrange(year, month)[1]
            return date(year, month, last) if end else date(year, month, 1)
        return date(year, month, day)
    except ValueError:
        return None


@dataclass
class Prepared:
    """A query made ready for the parser."""

    original: str
    text: str
    date_from: date | None = None
    date_to: date | None = None
    notes: list[str] = field(default_factory=list)
    #: Bare words the reader typed, with their spans in ``original`` (for "did you mean").
    word_spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def plain_words(self) -> list[str]:
        return [self.original[a:b] for a, b in self.word_spans]

    def with_words(self, words: list[str]) -> str:
        """The original query with its bare words replaced, in order."""
        out = []
        last = 0
        for (a, b), w in zip(self.word_spans, words, strict=True):
            out.append(self.original[last:a])
            out.append(w)
            last = b
        out.append(self.original[last:])
        return "".join(out)


def _segments(text: str, notes: list[str]) -> list[tuple[str, int, bool]]:
    """Split into (piece, start, is_phrase): quoted phrases and whitespace tokens."""
    out: list[tuple[str, int, bool]] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in '"“”':
            j = min(
                (k for k in (text.find('"', i + 1), text.find("”", i + 1)) if k != -1), default=-1
            )
            if j == -1:
                notes.append("an unclosed quote was ignored")
                i += 1
                continue
            out.append((text[i + 1 : j], i, True))
            # A slop (~2) written straight after the phrase stays with it.
            i = j + 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in '"“”':
            j += 1
        out.append((text[i:j], i, False))
        i = j
    return out


def _clean_token(tok: str) -> tuple[str, str | None]:
    """Keep a word with its query syntax; return (token, note) — '' drops it."""
    lead = ""
    while tok and tok[0] in "(-+":
        lead += tok[0]
        tok = tok[1:]
    trail = ""
    while tok and tok[-1] == ")":
        trail = ")" + trail
        tok = tok[:-1]
    suffix = ""
    m = _BOOST.search(tok) or _FUZZY.search(tok)
    if m:
        suffix = m.group(0)
        tok = tok[: m.start()]
    # Punctuation around a word is not part of it ("war," "(sic)" "!!!").
    core = tok.strip(".,;:!?'’`´&%$#@|/\\<>=")
    star = ""
    if core.endswith("*") or core.endswith("?"):
        star_m = re.search(r"[*?]+$", core)
        assert star_m is not None
        star = star_m.group(0)[:1] if star_m.group(0)[0] == "*" else star_m.group(0)
        core = core[: star_m.start()].strip(".,;:!?'’`´&%$#@|/\\<>=")
    if not _WORDCHAR.search(core):
        inner = (lead.replace("-", "").replace("+", "") + trail).strip()
        return (inner, "punctuation without words was ignored" if tok or star or suffix else None)
    lead = lead.replace("+", "")
    if lead.count("-") > 1:
        lead = lead.replace("-", "", lead.count("-") - 1)
    # Wildcards are allowed at the end of a word or inside it; a word needs 2 letters first.
    if star and len(core) < 2:
        return (lead + core + trail, f"'{core}{star}' is too short to expand; searched as a word")
    return (lead + core + star + suffix + trail, None)


#: A boost or an edit distance (``^2``, ``~1``: syntax, not words), or a word as the
#: analyzer reads one and whether a colon follows it (a field name).
_COUNTED = re.compile(r"[\^~]\d+(?:\.\d+)?|(" + WORD.pattern + r")(:?)")


def searched_words(text: str) -> set[str]:
    """The different words a query text searches, as the index holds them (stemmed):
    not stop words, operators (AND, OR, NOT, ...), field names (``title:``), boosts or
    edit distances. ``date:`` clauses are taken out first, as :func:`prepare` does."""
    return _words_of(_DATE_CLAUSE.sub(" ", text))


def _words_of(text: str) -> set[str]:
    """:func:`searched_words` of a text whose ``date:`` clauses are already out."""
    return {
        normalize_word(m.group(1))
        for m in _COUNTED.finditer(text)
        if m.group(1)
        and not m.group(2)
        and m.group(1) not in OPERATORS
        and m.group(1).lower() not in STOP_WORDS
    }


def count_words(text: str) -> int:
    """How many words a query's size limit counts: :func:`searched_words`."""
    return len(searched_words(text))


def limit_problem(text: str) -> str | None:
    """Why a query is over the size limits (a caller's 400), or None.

    Malformed syntax is forgiven and noted; size is not: a query longer than
    ``MAX_QUERY_CHARS`` or searching more than ``MAX_QUERY_WORDS`` different words is
    refused whole rather than searched in part.
    """
    if len(text) > MAX_QUERY_CHARS:
        return f"is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,} characters"
    words = count_words(text)
    if words > MAX_QUERY_WORDS:
        return (
            f"searches {words} different words; at most {MAX_QUERY_WORDS} can be searched "
            "at once (common words like 'the' and repeats do not count)"
        )
    return None


def prepare(text: str) -> Prepared:
    """Make a reader's query ready for the parser. Never raises."""
    notes: list[str] = []
    text = "".join(c if c.isprintable() or c in "\t\n" else " " for c in text)
    if len(text) > MAX_QUERY_CHARS:
        cut = text.rfind(" ", 0, MAX_QUERY_CHARS)
        text = text[: cut if cut > MAX_QUERY_CHARS // 2 else MAX_QUERY_CHARS]
        notes.append(f"the query was cut to its first {len(text)} characters")
    original = text
    prepared = Prepared(original=original, text="", notes=notes)

    # date: clauses become a date range (and leave the text).
    def take_date(m: re.Match[str]) -> str:
        raw = m.group(0)
        if m.group("open"):
            parts = _RANGE_SPLIT.split(m.group("range").strip(), maxsplit=1)
            a = parts[0].strip() if parts else ""
            b = parts[1].strip() if len(parts) > 1 else ""
            if len(parts) == 1:
                b = a
        else:
            a = b = (m.group("single") or "").strip()
        lo = parse_period(a, end=False) if a not in ("", "*") else None
        hi = parse_period(b, end=True) if b not in ("", "*") else None
        bad = (a not in ("", "*") and lo is None) or (b not in ("", "*") and hi is None)
        if bad or (lo is None and hi is None):
            notes.append(
                f"'{raw.strip()}' is not a date and was ignored (use date:2023, "
                "date:2023-04 or date:[2023-01 to 2023-06])"
            )
            return " "
        if lo and (prepared.date_from is None or lo > prepared.date_from):
            prepared.date_from = lo
        if hi and (prepared.date_to is None or hi < prepared.date_to):
            prepared.date_to = hi
        return " " * len(raw)  # keep offsets of the words that follow

    stripped = _DATE_CLAUSE.sub(take_date, text)

    out: list[str] = []
    depth = 0
    unknown: list[str] = []
    dropped_ops: list[str] = []
    seen: set[str] = set()
    for piece, start, is_phrase in _segments(stripped, notes):
        # The same count as limit_problem's (on the same text, date: clauses out), so a
        # query within the limit is never cut.
        new = _words_of(piece) - seen
        if len(seen) + len(new) > MAX_QUERY_WORDS:
            notes.append(f"only the first {len(seen)} different words were searched")
            break
        seen |= new
        if is_phrase:
            words = piece.strip()
            if _WORDCHAR.search(words):
                phrase = '"' + words.replace('"', " ") + '"'
                if out and out[-1].endswith(":"):
                    out[-1] += phrase  # title:"two words"
                else:
                    out.append(phrase)
            continue
        fm = _FIELD.match(piece)
        prefix = ""
        if fm:
            name = fm.group("name")
            if name.lower() in SEARCHABLE_FIELDS:
                prefix = name.lower() + ":"
                piece = fm.group("rest")
                if not piece:
                    # "title:" followed by a phrase or a group: keep the field for it.
                    out.append(prefix)
                    continue
            else:
                # An unknown field: search its value everywhere, as the reader meant.
                unknown.append(name)
                piece = fm.group("rest")
                if not piece:
                    continue
        if piece in OPERATORS:
            out.append(piece)
            continue
        cleaned, note = _clean_token(piece)
        if note and note not in notes:
            notes.append(note)
        if not cleaned:
            continue
        depth += cleaned.count("(") - cleaned.count(")")
        if depth < 0:
            cleaned = cleaned.replace(")", "", -depth)
            depth = 0
            if "an unmatched ')' was ignored" not in notes:
                notes.append("an unmatched ')' was ignored")
            if not cleaned:
                continue
        if cleaned.startswith("-") and len(cleaned) > 1:
            negated = cleaned[1:]
            if negated.strip("()") in OPERATORS:  # "-AND": the word "and", not an operator
                negated = negated.lower()
            cleaned = "NOT " + negated
        out.append(prefix + cleaned)
        if not prefix and re.fullmatch(r"[^\W\d_]{3,}", piece):
            prepared.word_spans.append((start, start + len(piece)))
    if depth > 0:
        out.append(")" * depth)
        notes.append("an unclosed '(' was closed at the end")
    for name in dict.fromkeys(unknown):
        notes.append(
            f"there is no field '{name}'; what follows '{name}:' was searched in all fields"
        )

    # Operators need something on both sides (NOT: after it).
    cleaned_out: list[str] = []
    for tok in out:
        if tok in ("AND", "OR", "ANDNOT", "ANDMAYBE") and (
            not cleaned_out or cleaned_out[-1] in OPERATORS or cleaned_out[-1].endswith("(")
        ):
            dropped_ops.append(tok)
            continue
        if tok == "NOT" and cleaned_out and cleaned_out[-1] == "NOT":
            dropped_ops.append(tok)
            continue
        cleaned_out.append(tok)
    while cleaned_out and cleaned_out[-1] in OPERATORS:
        dropped_ops.append(cleaned_out.pop())
    for op in dict.fromkeys(dropped_ops):
        notes.append(f"'{op}' with nothing to join was ignored")
    # A field with nothing after it ("title:" at the end) searches nothing.
    for t in cleaned_out:
        if t.endswith(":"):
            notes.append(f"'{t}' with nothing after it was ignored")
    prepared.text = " ".join(t for t in cleaned_out if not t.endswith(":"))
    return prepared
