"""Bytes to text: the encodings an archive of scrapes holds, any line ending.

Each file is decoded on its own, in this order:

1. a byte-order mark says which: UTF-8, UTF-16 or UTF-32 (little or big endian);
2. UTF-16 without a mark is recognised by its zero bytes (ASCII letters take one
   zero byte in every pair, always on the same side);
3. otherwise the text is read as UTF-8, and any byte that is not part of a valid UTF-8
   sequence is read as Windows-1252 (Latin-1 for the five bytes cp1252 leaves
   undefined). A Windows-1252 or Latin-1 file is then read exactly (their bytes are the
   same except for 0x80–0x9F, which Latin-1 uses only for control characters), and so is
   a UTF-8 file with a few stray cp1252 bytes pasted in, which a whole-file guess would
   turn to mojibake.

``bench/encodings.py`` measures this chain against charset-normalizer on pages written
in every one of these encodings.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["binary_reason", "decode_bytes", "detect_encoding"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: Control characters that text does not hold (tab, newlines and form feed excepted).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    bad = err.object[err.start : err.end]
    text = "".join(
        bytes([b]).decode("latin-1" if b in _CP1252_UNDEFINED else "cp1252") for b in bad
    )
    return text, err.end


codecs.register_error("news-search-cp1252", _cp1252_fallback)


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    even = sample[0 : 2 * pairs : 2].count(0)
    odd = sample[1 : 2 * pairs : 2].count(0)
    if odd > 0.3 * pairs and even < 0.02 * pairs:
        return "utf-16-le"
    if even > 0.3 * pairs and odd < 0.02 * pairs:
        return "utf-16-be"
    return None


def detect_encoding(data: bytes) -> tuple[str, int]:
    """The encoding of ``data`` and the length of its byte-order mark (0 if none).

    ``"utf-8"`` without a mark means UTF-8 with Windows-1252 for bytes that are not UTF-8.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    return _utf16_without_bom(data) or "utf-8", 0


def decode_bytes(data: bytes) -> str:
    """The text of ``data`` (see the module's docstring); line endings are left as found."""
    name, skip = detect_encoding(data)
    body = data[skip:]
    if name == "utf-8":
        return body.decode("utf-8", errors="news-search-cp1252")
    if name.startswith("utf-16") and len(body) % 2:
        body = body[:-1]  # a truncated last character
    return body.decode(name, errors="replace")


def binary_reason(data: bytes) -> str | None:
    """Why ``data`` is not text (one line), or ``None``: NUL characters, or too many
    control characters, once decoded (so UTF-16's zero bytes are not taken for binary)."""
    sample = decode_bytes(data[:8192])
    if "\x00" in sample:
        return "binary file (contains NUL bytes)"
    controls = len(_CONTROLS.findall(sample))
    if sample and controls / len(sample) > 0.05:
        return "binary file (too many control characters)"
    return None
