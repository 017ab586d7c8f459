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
    "QueryTooCostly",
    "SearchTimeout",
    "SourceMissing",
    "UnsafeIndex",
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


class UnsafeIndex(IndexCorrupt):
    """A control file of the index folder (the lock, ``current``, a summary) is a link
    or not a plain file: it is refused, never followed. Readers see it as an index that
    cannot be read (503, ``index check`` fails); writers change nothing."""

    def __init__(self, location: str, detail: str) -> None:
        NewsSearchError.__init__(
            self,
            f"the index at {location} is refused: {detail}; the index folder's control "
            "files are never followed through links: remove it and run again",
        )
        self.location = location
        self.detail = detail


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
    """A build or update read no article: nothing was created, replaced or removed."""

    def __init__(self, location: str, live: int | None, skipped: int, kind: str = "build") -> None:
        held = f"{live:,} article{'s' if live != 1 else ''}" if live is not None else ""
        if live is None:
            outcome = "no index was created"
        elif kind == "build":
            outcome = f"the index at {location} ({held}) was kept"
        else:
            outcome = f"the index at {location} ({held}) was left as it was"
        what = "replace it with an empty index" if kind == "build" else "remove what is gone"
        if live is None:
            what = "create an empty index"
        super().__init__(
            f"the {kind} read no articles ({skipped:,} skipped): {outcome}; check the paths "
            f"(a folder not mounted?), or pass --allow-empty to {what}"
        )
        self.location = location


class SourceMissing(NewsSearchError):
    """A path to read does not exist: nothing was read, the index is untouched."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path}: no such file or folder (nothing was read; the index is untouched)"
        )
        self.path = path


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
        #: The message without the parameter's name (said beside a form's field).
        self.reason = message


class QueryTooCostly(InvalidParameter):
    """A query whose price (search.budget) is over the budget: refused before it runs."""

    def __init__(self, message: str, clauses: int, postings: int, positions: int) -> None:
        super().__init__("q", message)
        self.clauses = clauses
        self.postings = postings
        self.positions = positions


class SearchTimeout(NewsSearchError):
    """A search that ran past its deadline and was ended (nothing is half done)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the search took longer than its limit of {seconds:g} CPU-second"
            f"{'s' if seconds != 1 else ''} and was stopped: try again, or narrow the query "
            "(fewer wildcards or common words)"
        )
        self.seconds = seconds


class NotFound(NewsSearchError):
    """No article has the given id."""
