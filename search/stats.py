"""What an index holds: the figures behind ``news-search index stats`` and ``/api/health``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from search.backends.whoosh.store import open_store

__all__ = ["index_stats"]


def index_stats(location: str | Path) -> dict[str, Any]:
    """Articles, dates, sections, size, and the summary of the last build or update.

    Raises :class:`~search.errors.IndexMissing` or :class:`~search.errors.IndexCorrupt`.
    """
    snap = open_store(location).snapshot()
    gen_dir = Path(snap.location) / snap.generation
    size = sum(
        os.path.getsize(gen_dir / name)
        for name in os.listdir(gen_dir)
        if (gen_dir / name).is_file()
    )
    rng = snap.date_range()
    per_section = np.bincount(snap.section[snap.live], minlength=len(snap.section_names))
    sections = {
        name: int(n) for name, n in zip(snap.section_names, per_section.tolist(), strict=True) if n
    }
    summary = snap.summary
    last = summary.get("last_run") or {}
    return {
        "location": os.path.abspath(snap.location),
        "generation": snap.generation,
        "toc_generation": snap.toc_generation,
        "articles": snap.doc_count,
        "date_from": rng[0].isoformat() if rng else None,
        "date_to": rng[1].isoformat() if rng else None,
        "sections": [
            {"value": s, "count": n}
            for s, n in sorted(sections.items(), key=lambda x: (-x[1], x[0]))
            if s
        ],
        "segments": len(list(snap.searcher.reader().leaf_readers())),
        "size_bytes": size,
        "built_at": summary.get("built_at"),
        "updated_at": summary.get("updated_at"),
        "sources": summary.get("sources") or [],
        "format": summary.get("format"),
        "date_order": summary.get("date_order") or "dmy",
        "schema_version": summary.get("schema_version"),
        "last_run": last,
        "skipped": last.get("skipped", []),
    }
