"""Bytes to text: the encodings an archive of scrapes holds, any line ending."""

from __future__ import annotations

__all__ = ["binary_reason", "decode_bytes"]


def decode_bytes(data: bytes) -> str:
    """Decode a page: UTF-8 (with or without BOM), else Windows-1252; newlines normalised."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Scrapes saved by Windows tools: curly quotes as 0x93/0x94 and so on.
        text = data.decode("cp1252", errors="replace")
    text = text.lstrip("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def binary_reason(data: bytes) -> str | None:
    sample = data[:8192]
    if b"\x00" in sample:
        return "binary file (contains NUL bytes)"
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    if sample and controls / len(sample) > 0.05:
        return "binary file (too many control characters)"
    return None
