"""The engine's exceptions. Each message is one line a person can act on."""

from __future__ import annotations

__all__ = [
    "DiskFull",
    "EmptyBuild",
    "IndexCorrupt",
    "IndexLocked",
    "IndexMissing",
    "InvalidParameter",
    "NewsSearchError",
    "NotFound",
]


class NewsSearchError(Exception):
    """Base class: everything the engine raises on purpose."""


class IndexMissing(NewsSearchError):
    """There is no index at the given location yet."""

    def __init__(self, location: str) -> None:
        super().__init__(f"no index at {location}: build one with `news-search index build PATH`")
        self.location = location


class IndexCorrupt(NewsSearchError):
    """The index exists but cannot be read."""

    def __init__(self, location: str, detail: str) -> None:
        super().__init__(
            f"the index at {location} cannot be read ({detail}): rebuild it with "
            "`news-search index rebuild` (or `news-search index build PATH`)"
        )
        self.location = location


class DiskFull(NewsSearchError):
    """A build or update ran out of disk space; nothing live was changed."""

    def __init__(self, location: str, kind: str) -> None:
        super().__init__(
            f"no space left on device while writing the index at {location}: the live index "
            f"is unchanged; free some space and run the {kind} again (a build needs room "
            "for a second copy of the index beside the live one)"
        )
        self.location = location


class EmptyBuild(NewsSearchError):
    """A build found no articles where the live index has some; the live one was kept."""

    def __init__(self, location: str, live: int, skipped: int) -> None:
        super().__init__(
            f"the build read no articles ({skipped:,} skipped) and the index at {location} "
            f"holds {live:,}: it was kept; check the paths (a folder not mounted?), or pass "
            "--allow-empty to replace it with an empty index"
        )
        self.location = location


class IndexLocked(NewsSearchError):
    """Another process is writing the index."""

    def __init__(self, location: str, holder: str) -> None:
        super().__init__(
            f"the index at {location} is being written by another process ({holder}); "
            "try again when it has finished"
        )
        self.location = location
        self.holder = holder


class InvalidParameter(NewsSearchError):
    """A search parameter has a value that cannot be used."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


class NotFound(NewsSearchError):
    """No article has the given id."""
