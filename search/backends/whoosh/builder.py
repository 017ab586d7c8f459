"""Write a new segment in Whoosh's own format, faster than Whoosh's writer.

Whoosh's ``add_document`` analyses each field through a chain of generators and puts
every posting, as a tuple, into a pool that the commit sorts, then writes the postings
one call each, reading every posting's field length back from the segment's length
column. That is most of a build's time. A :class:`SegmentBuilder` writes the same
segment — the same postings, statistics, stored fields, lengths and columns, and the
per-document files byte for byte (``tests/test_builder.py`` compares them with
Whoosh's own; the postings file is smaller, as postings with one same position share
one value, which pickles once) — in three cheaper steps:

- each document's stored fields, lengths and columns go to Whoosh's own per-document
  writer, exactly as ``add_document`` hands them over;
- the text fields, whose analyzer is ours, are analysed in one pass
  (:func:`search.analysis.term_positions`) and their postings gathered per term, in
  document order, so nothing needs sorting but the terms; other indexed fields (ids,
  tags) go through Whoosh's own ``field.index``;
- at the end each term's posting list is handed to Whoosh's block writer a block at a
  time (``internals.write_terms``).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from pickle import dumps
from typing import Any

from whoosh.formats import Positions

from search.analysis import term_positions
from search.backends.whoosh import internals, mapped
from search.backends.whoosh.schema import NewsAnalyzer

__all__ = ["SegmentBuilder"]

_pack_uint = struct.Struct("!I").pack
#: Posting values of one position, by position: most postings have one.
_ONE: list[bytes] = [_pack_uint(1) + dumps([p], 2) for p in range(256)]


def _encode(positions: list[int]) -> bytes:
    """Positions as Whoosh's ``Positions.encode`` writes them (count, pickled deltas)."""
    if len(positions) == 1:
        p = positions[0]
        return _ONE[p] if p < 256 else _pack_uint(1) + dumps(positions, 2)
    deltas = [positions[0]]
    deltas.extend(b - a for a, b in pairwise(positions))
    return _pack_uint(len(deltas)) + dumps(deltas, 2)


class SegmentBuilder:
    """Documents into one new, uncommitted segment of ``ix``: :meth:`add` each, then
    :meth:`finish` (the segment, to commit) or :meth:`cancel` (also after an
    :meth:`add` that raised: the segment is then incomplete)."""

    def __init__(self, ix: Any, parts: Path | None = None, limitmb: int = 64) -> None:
        #: Where the text fields' postings are also written as arrays (search.backends.
        #: whoosh.mapped), if anywhere.
        self._parts = parts
        self._writer = internals.new_segment_writer(ix, limitmb)
        self._per_document = internals.per_document_writer(self._writer)
        self._schema = ix.schema
        self._docnum = 0
        # Text fields analysed by our analyzer, with their format's weight per
        # occurrence; every other indexed field goes through Whoosh's field.index.
        self._fast: dict[str, float] = {}
        for name in self._schema.names():
            field = self._schema[name]
            if field.vector or field.separate_spelling():
                raise ValueError(f"field {name!r}: vectors and spelling are not supported")
            if (
                field.indexed
                and isinstance(field.analyzer, NewsAnalyzer)
                and type(field.format) is Positions
            ):
                self._fast[name] = float(field.format.field_boost)
        # term → [(docnum, occurrences, positions)] for text fields; term bytes →
        # [(docnum, weight, value)] for the others.
        self._text: dict[str, dict[str, list[tuple[int, int, bytes]]]] = {}
        self._other: dict[str, dict[bytes, list[tuple[int, float, bytes]]]] = {}
        # Each document's length in each scorable field, as the length column reads
        # it back (Whoosh's byte encoding is lossy): {field: {docnum: length}}.
        self._lengths: dict[str, dict[int, int]] = {}

    def add(self, fields: dict[str, Any]) -> None:
        """Add one document (field name → value), as ``writer.add_document(**fields)``."""
        docnum = self._docnum
        schema = self._schema
        perdoc = self._per_document
        perdoc.start_doc(docnum)
        try:
            for name in sorted(fields):
                value = fields[name]
                if value is None:
                    continue
                if name.startswith("_"):
                    raise ValueError(f"field {name!r}: per-document boosts are not supported")
                field = schema[name]
                length = 0
                if field.indexed:
                    boost = self._fast.get(name)
                    if boost is not None:
                        length = self._add_text(name, docnum, value)
                    else:
                        length = self._add_other(name, field, docnum, value)
                    if length:
                        self._lengths.setdefault(name, {})[docnum] = internals.stored_length(length)
                perdoc.add_field(name, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdoc.add_column_value(name, column, field.to_column_value(value))
        except BaseException:
            # Some of its postings or columns may be written: the segment is spoilt,
            # and the caller cancels it (as after a failed add_document).
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._docnum += 1

    def _add_text(self, name: str, docnum: int, value: str) -> int:
        postings = self._text.get(name)
        if postings is None:
            postings = self._text[name] = {}
        length = 0
        for term, positions in term_positions(value).items():
            n = len(positions)
            length += n
            entry = (docnum, n, _encode(positions))
            plist = postings.get(term)
            if plist is None:
                postings[term] = [entry]
            else:
                plist.append(entry)
        return length

    def _add_other(self, name: str, field: Any, docnum: int, value: Any) -> int:
        postings = self._other.get(name)
        if postings is None:
            postings = self._other[name] = {}
        length = 0
        for btext, freq, weight, vbytes in field.index(value):
            if field.scorable:
                length += freq
            # add_document multiplies by the document's field boost, 1.0: a float.
            postings.setdefault(btext, []).append((docnum, float(weight), vbytes))
        return length

    def _term_lists(
        self, name: str, part: list[mapped.PartTerm] | None
    ) -> Iterator[tuple[bytes, Sequence[Any]]]:
        """A field's (term bytes, postings) in term order, as ``internals.write_terms``
        takes them; for a text field, each term's ids and weights also go to ``part``."""
        lengths = self._lengths.get(name, {})
        if name in self._text:
            boost = self._fast[name]
            text = self._text[name]
            for term in sorted(text):
                btext = term.encode("utf-8")
                plist = text[term]
                weights = [n * boost for _, n, _ in plist]
                if part is not None:
                    part.append((btext, [d for d, _, _ in plist], weights))
                yield (
                    btext,
                    [
                        (d, w, v, lengths.get(d, 0))
                        for (d, _, v), w in zip(plist, weights, strict=True)
                    ],
                )
        else:
            other = self._other[name]
            for btext in sorted(other):
                yield btext, [(d, w, v, lengths.get(d, 0)) for d, w, v in other[btext]]

    def finish(self) -> Any:
        """Write the postings (and, with ``parts``, the text fields' arrays) and close
        the segment; return it, uncommitted."""
        internals.close_documents(self._writer)
        names = sorted(
            n for n in (*self._text, *self._other) if (self._text.get(n) or self._other.get(n))
        )
        parts: dict[str, list[mapped.PartTerm]] = {}
        for name in names:
            part = parts.setdefault(name, []) if self._parts and name in self._text else None
            internals.write_terms(self._writer, name, self._term_lists(name, part))
        segment = internals.finish_built_segment(self._writer, self._docnum)
        if self._parts is not None:
            for name in self._text:  # a field no document had words in: an empty part
                mapped.write_part(self._parts, segment.segment_id(), name, parts.get(name, []))
        self._text.clear()
        self._other.clear()
        self._lengths.clear()
        return segment

    def cancel(self) -> None:
        """Drop the segment: remove what it has written."""
        self._writer.cancel()
