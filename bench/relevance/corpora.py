"""Readers for six classic IR test collections: documents, queries, relevance judgments.

The files are read where they are (``shared/corpora/<name>/``), never copied. Each
folder's SOURCE.md describes the files; the traps it lists are handled here:

* **TIME**: ``TIME.REL`` numbers documents by their position in the original
  425-document collection, not by their ``*TEXT`` id. Numbers 1-370 are records 1-370
  of ``TIME.ALL``; numbers 378-425 are records 376-423 (two documents of the original
  are missing somewhere in 371-377, and no judgment points there).
* **Cranfield**: ``cranqrel`` numbers queries 1-225 by their position in ``cran.qry``
  (whose ``.I`` numbers skip: 001, 002, 004, 008, ...), and marks each query's source
  document with the code -1, which counts as relevant. ``cran.qry`` has CRLF endings.
* **CISI**, **MEDLINE**: CRLF line endings (every file is decoded with CR removed).
* **CACM**: qrels query ids are zero-padded (``01``); 52 of the 64 queries are judged.
* **CISI**: 76 of the 112 queries are judged; 55 queries are documents (title,
  authors, abstract) used as queries: their abstract is the query.
* **NPL**: records are separated by a line holding only ``/``; queries are upper case.

Relevance is binary: every judged pair is relevant (1). Cranfield's grades 1-4 and -1
all become 1; the other collections only list relevant pairs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "COLLECTIONS",
    "EXPECTED",
    "Collection",
    "Doc",
    "Expected",
    "Qrels",
    "Query",
    "check",
    "load",
]

#: query id -> document id -> relevance (always 1 here: binary judgments)
Qrels = dict[str, dict[str, int]]


@dataclass(frozen=True)
class Doc:
    """One document: its id as the judgments name it, a title (may be empty), its text."""

    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Query:
    """One query: its id as the judgments name it, and the text a person wrote."""

    id: str
    text: str


@dataclass(frozen=True)
class Collection:
    """A test collection as read: documents, queries and judgments."""

    name: str
    docs: list[Doc]
    queries: list[Query]
    qrels: Qrels

    @property
    def pairs(self) -> int:
        """How many (query, document) pairs are judged relevant."""
        return sum(len(docs) for docs in self.qrels.values())

    @property
    def judged_queries(self) -> list[Query]:
        """The queries that have at least one judged-relevant document."""
        return [q for q in self.queries if self.qrels.get(q.id)]


@dataclass(frozen=True)
class Expected:
    """The counts SOURCE.md states for a collection."""

    docs: int
    queries: int
    judged_queries: int
    pairs: int


EXPECTED: dict[str, Expected] = {
    "time": Expected(docs=423, queries=83, judged_queries=83, pairs=324),
    "cacm": Expected(docs=3204, queries=64, judged_queries=52, pairs=796),
    "cisi": Expected(docs=1460, queries=112, judged_queries=76, pairs=3114),
    "cranfield": Expected(docs=1400, queries=225, judged_queries=225, pairs=1837),
    "medline": Expected(docs=1033, queries=30, judged_queries=30, pairs=696),
    "npl": Expected(docs=11429, queries=93, judged_queries=93, pairs=2083),
}


# --------------------------------------------------------------------------- helpers


def read_lines(path: Path) -> list[str]:
    """The file's lines, decoded as ASCII-compatible UTF-8, CR bytes dropped."""
    text = path.read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def clean(lines: list[str]) -> str:
    """Lines joined into one text: blank lines dropped, trailing padding removed."""
    return "\n".join(line.strip() for line in lines if line.strip())


_SMART_MARKER = re.compile(r"^\.([A-Z])(?:\s+(\S+))?\s*$")


def smart_records(path: Path) -> list[tuple[str, dict[str, str]]]:
    """Records of a SMART-format file (``.I id``, then ``.T``/``.W``/... fields).

    A field that occurs twice in a record (Cranfield doc 240's ``.A``, CISI's several
    authors) is kept as both parts joined, in order.
    """
    records: list[tuple[str, dict[str, list[str]]]] = []
    current: list[str] | None = None
    for line in read_lines(path):
        m = _SMART_MARKER.match(line)
        if m and m.group(1) == "I" and m.group(2):
            records.append((m.group(2), {}))
            current = None
        elif m and not m.group(2) and records:
            current = records[-1][1].setdefault(m.group(1), [])
        elif current is not None:
            current.append(line)
    return [(rid, {k: clean(v) for k, v in fields.items()}) for rid, fields in records]


def slash_records(path: Path) -> Iterator[tuple[str, list[str]]]:
    """NPL records: lines up to one holding only ``/``; the first line is the id."""
    lines: list[str] = []
    for line in read_lines(path):
        if line.strip() == "/":
            if lines:
                yield lines[0].strip(), lines[1:]
            lines = []
        elif line.strip() or lines:
            lines.append(line)
    if any(line.strip() for line in lines):
        yield lines[0].strip(), lines[1:]


def _number(token: str) -> str:
    """An id as a plain number ('017' and '17' are the same id)."""
    return str(int(token))


def _add(qrels: Qrels, query_id: str, doc_id: str) -> None:
    qrels.setdefault(query_id, {})[doc_id] = 1


# ------------------------------------------------------------------------------ TIME


def time_docs(folder: Path) -> list[Doc]:
    """``TIME.ALL``: ``*TEXT <id> <date> PAGE <n>`` headers; no title field."""
    docs: list[Doc] = []
    doc_id: str | None = None
    body: list[str] = []
    for line in [*read_lines(folder / "TIME.ALL"), "*STOP"]:
        if line.startswith(("*TEXT", "*STOP")):
            if doc_id is not None:
                docs.append(Doc(doc_id, "", clean(body)))
            doc_id = _number(line.split()[1]) if line.startswith("*TEXT") else None
            body = []
        else:
            body.append(line)
    return docs


def time_queries(folder: Path) -> list[Query]:
    """``TIME.QUE``: ``*FIND <n>`` then the query over one or more lines."""
    queries: list[Query] = []
    query_id: str | None = None
    text: list[str] = []
    for line in [*read_lines(folder / "TIME.QUE"), "*STOP"]:
        if line.startswith(("*FIND", "*STOP")):
            if query_id is not None:
                queries.append(Query(query_id, clean(text)))
            query_id = _number(line.split()[1]) if line.startswith("*FIND") else None
            text = []
        else:
            text.append(line)
    return queries


#: TIME.REL's numbers run 1-425 over the original collection; 371-377 hold the two
#: documents this copy lacks, so the numbers after the gap are 2 ahead of the records.
TIME_GAP = range(371, 378)


def time_doc_for(number: int, docs: list[Doc]) -> Doc:
    """The document that TIME.REL's ``number`` (a position, not an id) judges."""
    if number in TIME_GAP:
        raise ValueError(f"TIME.REL judges document {number}, inside the unknown gap")
    return docs[number - 1 if number < TIME_GAP.start else number - 3]


def time_qrels(folder: Path, docs: list[Doc]) -> Qrels:
    """``TIME.REL``: ``<query> <doc> <doc> ...``, documents by position (see above)."""
    qrels: Qrels = {}
    for line in read_lines(folder / "TIME.REL"):
        if line.strip():
            query_id, *numbers = line.split()
            for n in numbers:
                _add(qrels, _number(query_id), time_doc_for(int(n), docs).id)
    return qrels


# ------------------------------------------------------------------------------ CACM


def cacm_docs(folder: Path) -> list[Doc]:
    """``cacm.all``: title ``.T``, text = abstract ``.W`` (half the records have none, so
    they are a title alone). Keywords ``.K``, categories ``.C``, authors, dates,
    processing stamps and citations are left out, as in the earlier measurements
    (adding ``.K`` raises every system's MAP by 0.01-0.025)."""
    return [
        Doc(rid, f.get("T", ""), f.get("W", "")) for rid, f in smart_records(folder / "cacm.all")
    ]


def cacm_queries(folder: Path) -> list[Query]:
    """``query.text``: the request ``.W`` (``.N`` names the requester, ``.A`` authors)."""
    return [Query(rid, f.get("W", "")) for rid, f in smart_records(folder / "query.text")]


def cacm_qrels(folder: Path) -> Qrels:
    """``qrels.text``: ``<query> <doc> 0 0``, query ids zero-padded."""
    qrels: Qrels = {}
    for line in read_lines(folder / "qrels.text"):
        if line.strip():
            query_id, doc_id, *_ = line.split()
            _add(qrels, _number(query_id), _number(doc_id))
    return qrels


# ------------------------------------------------------------------------------ CISI


def cisi_docs(folder: Path) -> list[Doc]:
    """``CISI.ALL``: title ``.T``, abstract ``.W`` (authors and citations left out)."""
    return [
        Doc(rid, f.get("T", ""), f.get("W", "")) for rid, f in smart_records(folder / "CISI.ALL")
    ]


def cisi_queries(folder: Path) -> list[Query]:
    """``CISI.QRY``: the request ``.W``. The 55 queries that are documents used as
    queries also have ``.T``/``.A``/``.B``; only their abstract ``.W`` is the query, as
    in the earlier measurements (adding the title raises MAP by about 0.01)."""
    return [Query(rid, f.get("W", "")) for rid, f in smart_records(folder / "CISI.QRY")]


def cisi_qrels(folder: Path) -> Qrels:
    """``CISI.REL``: ``<query> <doc> 0 0.000000`` (right-aligned, tab-separated tail)."""
    qrels: Qrels = {}
    for line in read_lines(folder / "CISI.REL"):
        if line.strip():
            query_id, doc_id, *_ = line.split()
            _add(qrels, _number(query_id), _number(doc_id))
    return qrels


# ------------------------------------------------------------------------- Cranfield


def cranfield_docs(folder: Path) -> list[Doc]:
    """``cran.all.1400``: title ``.T``, abstract ``.W`` (authors, source left out).
    Documents 471 and 995 are empty; they are kept (they are in the collection)."""
    return [
        Doc(rid, f.get("T", ""), f.get("W", ""))
        for rid, f in smart_records(folder / "cran.all.1400")
    ]


def cranfield_queries(folder: Path) -> list[Query]:
    """``cran.qry``: the ``.W`` text; the id is the query's POSITION (1-225), which is
    how cranqrel numbers them, not its ``.I`` number."""
    records = smart_records(folder / "cran.qry")
    return [Query(str(position), f.get("W", "")) for position, (_, f) in enumerate(records, 1)]


#: cranqrel's codes: 1-4 are Cleverdon's grades, -1 marks the query's source document.
CRANFIELD_CODES = frozenset({-1, 1, 2, 3, 4})


def cranfield_qrels(folder: Path) -> Qrels:
    """``cranqrel``: ``<query position> <doc> <code>``; every code counts as relevant."""
    qrels: Qrels = {}
    for line in read_lines(folder / "cranqrel"):
        if line.strip():
            query_id, doc_id, code = line.split()
            if int(code) not in CRANFIELD_CODES:
                raise ValueError(f"cranqrel: unknown relevance code in {line!r}")
            _add(qrels, _number(query_id), _number(doc_id))
    return qrels


# --------------------------------------------------------------------------- MEDLINE


def medline_docs(folder: Path) -> list[Doc]:
    """``MED.ALL``: only an abstract ``.W``; no title."""
    return [Doc(rid, "", f.get("W", "")) for rid, f in smart_records(folder / "MED.ALL")]


def medline_queries(folder: Path) -> list[Query]:
    """``MED.QRY``: the ``.W`` text."""
    return [Query(rid, f.get("W", "")) for rid, f in smart_records(folder / "MED.QRY")]


def medline_qrels(folder: Path) -> Qrels:
    """``MED.REL``: TREC layout ``<query> 0 <doc> <rel>`` (all rel 1)."""
    qrels: Qrels = {}
    for line in read_lines(folder / "MED.REL"):
        if line.strip():
            query_id, _, doc_id, rel = line.split()
            if int(rel) > 0:
                _add(qrels, _number(query_id), _number(doc_id))
    return qrels


# ------------------------------------------------------------------------------- NPL


def npl_docs(folder: Path) -> list[Doc]:
    """``doc-text``: id line, then title and abstract run together (no title field)."""
    return [
        Doc(_number(rid), "", clean(lines)) for rid, lines in slash_records(folder / "doc-text")
    ]


def npl_queries(folder: Path) -> list[Query]:
    """``query-text``: id line, then the query (upper case)."""
    return [
        Query(_number(rid), clean(lines)) for rid, lines in slash_records(folder / "query-text")
    ]


def npl_qrels(folder: Path) -> Qrels:
    """``rlv-ass``: id line, then the relevant document ids in columns."""
    qrels: Qrels = {}
    for query_id, lines in slash_records(folder / "rlv-ass"):
        for doc_id in " ".join(lines).split():
            _add(qrels, _number(query_id), _number(doc_id))
    return qrels


# --------------------------------------------------------------------------- loading


def _time(folder: Path) -> Collection:
    docs = time_docs(folder)
    return Collection("time", docs, time_queries(folder), time_qrels(folder, docs))


def _reader(
    name: str,
    docs: Callable[[Path], list[Doc]],
    queries: Callable[[Path], list[Query]],
    qrels: Callable[[Path], Qrels],
) -> Callable[[Path], Collection]:
    def read(folder: Path) -> Collection:
        return Collection(name, docs(folder), queries(folder), qrels(folder))

    return read


#: collection name -> reader of its folder
COLLECTIONS: dict[str, Callable[[Path], Collection]] = {
    "time": _time,
    "cacm": _reader("cacm", cacm_docs, cacm_queries, cacm_qrels),
    "cisi": _reader("cisi", cisi_docs, cisi_queries, cisi_qrels),
    "cranfield": _reader("cranfield", cranfield_docs, cranfield_queries, cranfield_qrels),
    "medline": _reader("medline", medline_docs, medline_queries, medline_qrels),
    "npl": _reader("npl", npl_docs, npl_queries, npl_qrels),
}


def load(name: str, corpora: Path) -> Collection:
    """Read collection ``name`` from ``corpora/<name>/``."""
    return COLLECTIONS[name](corpora / name)


def check(c: Collection) -> list[str]:
    """What does not match SOURCE.md's counts, or does not fit together (empty: all well)."""
    want = EXPECTED[c.name]
    got = Expected(len(c.docs), len(c.queries), len(c.judged_queries), c.pairs)
    problems = [
        f"{what}: {getattr(got, what)} read, {getattr(want, what)} expected"
        for what in ("docs", "queries", "judged_queries", "pairs")
        if getattr(got, what) != getattr(want, what)
    ]
    doc_ids = {d.id for d in c.docs}
    query_ids = {q.id for q in c.queries}
    if len(doc_ids) != len(c.docs):
        problems.append("document ids are not unique")
    if len(query_ids) != len(c.queries):
        problems.append("query ids are not unique")
    unknown_queries = set(c.qrels) - query_ids
    if unknown_queries:
        problems.append(f"judgments for {len(unknown_queries)} unknown queries")
    dangling = sum(1 for judged in c.qrels.values() for d in judged if d not in doc_ids)
    if dangling:
        problems.append(f"{dangling} judgments name unknown documents")
    if any(not q.text.strip() for q in c.queries):
        problems.append("some queries are empty")
    return problems
