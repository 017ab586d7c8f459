"""Every private Whoosh API this project relies on, in one place.

Whoosh's public API walks postings one at a time through matcher objects, and its
writer merges or commits in ways a parallel build cannot use. The faster paths here
read and write beneath that API. Each function below names the private attributes it
touches; ``tests/test_whoosh_internals.py`` pins each one against Whoosh's public
behaviour (and the Whoosh version), so an upgrade that changes them fails there, in one
test file, rather than as wrong results elsewhere.

Pinned against ``whoosh-reloaded`` 2.7.5 (codec ``whoosh3``).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from itertools import accumulate
from pickle import loads
from typing import Any

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile
from whoosh.matching import wrappers
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

__all__ = [
    "LENGTH_OF_BYTE",
    "PINNED_VERSION",
    "Block",
    "blocks",
    "clean_unlisted",
    "close_documents",
    "commit_segments",
    "decode_positions",
    "deleted_in",
    "discard_segment",
    "finalize_segment",
    "finish_built_segment",
    "length_bytes",
    "multiterm_words",
    "new_segment_writer",
    "per_document_writer",
    "stored_length",
    "write_terms",
]

#: The Whoosh release these internals were read from (``whoosh.versionstring()``).
PINNED_VERSION = "2.7.5"

#: A stored field-length byte as the length it stands for (Whoosh's lossy encoding);
#: a missing length (0) counts as 1, as Whoosh scores it.
LENGTH_OF_BYTE: tuple[int, ...] = (1, *(byte_to_length(i) or 1 for i in range(1, 256)))


# -------------------------------------------------------------------- postings


class Block:
    """One block of a term's on-disk posting list (at most 128 postings).

    Reads ``matcher._data`` (ids, weights, values), ``_read_data()``, ``_byteids``
    (ids stored whole rather than as deltas) and ``_maxid`` of Whoosh's
    ``W3LeafMatcher``. Valid until the iteration that produced it moves on.
    """

    __slots__ = ("_m",)

    def __init__(self, matcher: Any) -> None:
        self._m = matcher

    @property
    def max_id(self) -> int:
        """The largest (segment-local) document number in the block, read without
        decoding it."""
        return int(self._m._maxid)

    def _data(self) -> tuple[Any, Any, Any]:
        m = self._m
        if m._data is None:
            m._read_data()
        data: tuple[Any, Any, Any] = m._data
        return data

    def ids(self) -> Sequence[int]:
        """The block's segment-local document numbers, ascending."""
        m = self._m
        raw = self._data()[0]
        return raw if m._byteids else list(accumulate(raw))

    def weights(self, count: int) -> Sequence[float]:
        """The block's term frequencies (weights), ``count`` of them."""
        w = self._data()[1]
        if w is None:
            return [1.0] * count
        if isinstance(w, float):
            return [w] * count
        return list(w)

    def values(self) -> Sequence[bytes]:
        """The block's encoded values (positions, for a field that stores them)."""
        return list(self._data()[2])


def blocks(seg: Any, fieldname: str, btext: bytes) -> Iterator[Block] | None:
    """The blocks of a term's posting list in one segment (``seg._terms.matcher``,
    ``_lastblock``, ``_next_block()``), or None where the segment's matcher does not
    read in blocks (then walk the public matcher instead: :func:`walk`)."""
    matcher = seg._terms.matcher(fieldname, btext, seg.schema[fieldname].format)
    while isinstance(matcher, wrappers.WrappingMatcher):
        matcher = matcher.child
    if not hasattr(matcher, "_read_ids"):
        return None
    return _blocks(matcher)


def _blocks(matcher: Any) -> Iterator[Block]:
    while matcher.is_active():
        yield Block(matcher)
        if matcher._lastblock:
            return
        matcher._next_block()


def walk(seg: Any, fieldname: str, btext: bytes) -> tuple[list[int], list[float]]:
    """A term's (ids, weights) in one segment, deleted documents included, walked one
    posting at a time (``seg._terms.matcher``: the public ``postings`` leaves deleted
    documents out)."""
    ids: list[int] = []
    weights: list[float] = []
    m = seg._terms.matcher(fieldname, btext, seg.schema[fieldname].format)
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return ids, weights


def decode_positions(value: bytes) -> list[int]:
    """Whoosh's Positions value: a 4-byte frequency, then the pickled position deltas
    with the pickle's final STOP byte left off. (Its own decoder sums them in Python.)"""
    body = value[4:]
    return list(accumulate(loads(body if body.endswith(b".") else body + b".")))


def length_bytes(seg: Any, field: str) -> Sequence[int] | None:
    """The field-length column of a segment as stored bytes (``seg._perdoc``'s
    ``_cached_reader`` of the codec's ``_lenfield`` column), or None where the segment
    keeps none (then ask ``doc_field_length``)."""
    perdoc = getattr(seg, "_perdoc", None)
    if perdoc is None or not hasattr(perdoc, "_cached_reader"):
        return None
    col = perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
    if col is None:
        return None
    data: Sequence[int] = col.load()
    return data


def deleted_in(seg: Any) -> frozenset[int]:
    """A segment's deleted (segment-local) document numbers (``deleted_docs_set``)."""
    if not seg.has_deletions():
        return frozenset()
    return frozenset(seg.deleted_docs_set)


def multiterm_words(q: Any, reader: Any) -> Iterator[bytes]:
    """The index words a prefix, wildcard or fuzzy query stands for (``_btexts``)."""
    words: Iterator[bytes] = q._btexts(reader)
    return words


# --------------------------------------------------------------------- writing


def new_segment_writer(ix: Any, limitmb: int, lock: bool = False) -> Any:
    """A writer of one new segment; without ``lock`` (``_lk=False``) several can write
    segments of one index at once, in separate processes, none taking its write lock."""
    return SegmentWriter(ix, _lk=lock, limitmb=limitmb)


def finalize_segment(writer: Any) -> Any:
    """Close the writer's segment and return it, without committing (``_finalize_segment``)."""
    return writer._finalize_segment()


def discard_segment(writer: Any) -> None:
    """Close a writer that wrote nothing (``_close_segment``)."""
    writer._close_segment()


def stored_length(length: int) -> int:
    """A field length as the segment's length column gives it back (Whoosh's lossy
    byte, ``length_to_byte`` then ``byte_to_length``): what its postings record."""
    return int(byte_to_length(length_to_byte(length)))


def per_document_writer(writer: Any) -> Any:
    """The writer's per-document writer (``perdocwriter``: stored fields, field lengths,
    columns), for a builder that adds documents without ``add_document``'s pool."""
    return writer.perdocwriter


def write_terms(writer: Any, fieldname: str, terms: Iterator[tuple[bytes, Sequence[Any]]]) -> None:
    """Write one field's posting lists into the writer's new segment, in the bytes
    ``add_document`` and the commit would write, without the pool.

    ``terms``: (term bytes, postings) in ascending order of the bytes; postings are
    (document number, weight, value bytes, field length) in ascending document
    order, the field length as the segment's length column reads it back. Each block
    of ``W3PostingsWriter``'s limit is handed to Whoosh's own ``_write_block`` (and
    the last to ``finish_term``) with its buffers filled at once: ``_ids``,
    ``_weights``, ``_values``, ``_minlength``, ``_maxlength``, ``_maxweight``; the
    field writer is ``writer.fieldwriter`` (``start_field``, ``start_term``,
    ``_postwriter``, ``finish_field``).
    """
    fw = writer.fieldwriter
    fw.start_field(fieldname, writer.schema[fieldname])
    for btext, postings in terms:
        fw.start_term(btext)
        pw = fw._postwriter
        limit = pw._blocklimit
        n = len(postings)
        for start in range(0, n, limit):
            chunk = postings[start : start + limit]
            ids, weights, values, lengths = zip(*chunk, strict=True)
            pw._ids = array("I", ids)
            pw._weights = array("f", weights)
            pw._values = [v for v in values if v]
            real = [x for x in lengths if x]
            pw._minlength = min(real) if real else None
            pw._maxlength = max(real) if real else 0
            top = max(weights)
            pw._maxweight = top if top > 0 else 0
            if start + limit < n:
                pw._write_block()
        fw.finish_term()
    fw.finish_field()


def finish_built_segment(writer: Any, doc_count: int) -> Any:
    """Close a segment whose documents and postings were written by a builder (after
    :func:`write_terms`), assemble it as Whoosh would, and return it uncommitted:
    ``perdocwriter``/``fieldwriter.close()``, ``docnum``, ``_close_segment``,
    ``_assemble_segment``, ``get_segment``."""
    writer.docnum = doc_count
    writer._close_segment()
    writer._assemble_segment()
    return writer.get_segment()


def close_documents(writer: Any) -> None:
    """Close the writer's per-document files (lengths, stored fields, columns), as the
    commit does before it writes postings."""
    writer.perdocwriter.close()


def commit_segments(ix: Any, segments: list[Any]) -> None:
    """Make ``segments`` the whole contents of ``ix``, a new empty index, in one table of
    contents (``_close_segment``, ``_commit_toc``, ``_finish``): no merge."""
    writer = SegmentWriter(ix, limitmb=8)
    writer._close_segment()
    writer._commit_toc(list(segments))
    writer._finish()


def clean_unlisted(directory: str) -> None:
    """Remove segment files that the latest table of contents does not list
    (``ix._read_toc()``, ``whoosh.index.clean_files``)."""
    ix = whoosh_index.open_dir(directory)
    try:
        toc = ix._read_toc()
        whoosh_index.clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)
    finally:
        ix.close()


# ------------------------------------------------------------------ mapped files


class _ViewFile:
    """A read-only, seekable file over a memoryview that copies only what is read
    (``io.BytesIO`` copies the whole buffer it is given)."""

    __slots__ = ("_buf", "_pos")

    def __init__(self, buf: memoryview) -> None:
        self._buf = buf
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        start = self._pos
        end = len(self._buf) if n is None or n < 0 else min(start + n, len(self._buf))
        self._pos = max(start, end)
        return bytes(self._buf[start:end])

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readline(self, limit: int = -1) -> bytes:
        start, size = self._pos, len(self._buf)
        stop = size if limit is None or limit < 0 else min(size, start + limit)
        end = start
        while end < stop:
            chunk = bytes(self._buf[end : min(end + 256, stop)])
            i = chunk.find(b"\n")
            if i >= 0:
                end += i + 1
                break
            end += len(chunk)
        self._pos = end
        return bytes(self._buf[start:end])

    def __iter__(self) -> Iterator[bytes]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def seek(self, pos: int, whence: int = 0) -> int:
        base = (0, self._pos, len(self._buf))[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        pass


class _MappedBufferFile(BufferFile):  # type: ignore[misc]
    """Whoosh's ``BufferFile`` over a mapped segment file, without the heap copy of the
    whole file its ``BytesIO`` makes (``file``, ``_buf``; ``subset`` slices the view)."""

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        self._buf = buf
        self._name = name
        self.file = _ViewFile(memoryview(buf))
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    def subset(self, position: int, length: int, name: str | None = None) -> Any:
        return _MappedBufferFile(memoryview(self._buf)[position : position + length],
                                 name=name or self._name)  # fmt: skip


def map_segment_files() -> None:
    """Make Whoosh read the files inside a segment's compound file through the mapping
    (``whoosh.filedb.compound.BufferFile``, which ``CompoundStorage.open_file`` makes
    for every one): each process then holds the index's pages once, in the page cache
    every worker shares, instead of a private heap copy of every file besides."""
    compound.BufferFile = _MappedBufferFile


map_segment_files()
