"""What a search may cost: one budget for the whole query, and a deadline that ends it.

The limits on what is typed (characters, words) do not bound what a query costs: one
``*xx*`` is one word that expands to hundreds of terms in each field, and a phrase of
common words checks the positions of tens of thousands of documents. As Elasticsearch
counts a query's expanded clauses against ``max_clause_count``, the parsed and expanded
query is priced here before anything is read, from the index's own statistics:

* **clauses**: every (field, term) the query searches, after wildcards, prefixes and
  fuzzy terms are expanded;
* **postings**: the document frequencies of all of them summed, the posting lists that
  matching and ranking decode;
* **positions**: for each phrase, its rarest word's document frequency times its number
  of words, the most position lists its check can decode.

A query over any of them is refused (:class:`QueryTooCostly`, a 400 that says which and
how to narrow it). What the price cannot see (a cold cache, a loaded machine) is caught
by the deadline: :func:`deadline` sets one for the search running in this thread, the
engine's loops call :func:`check`, and past it :class:`SearchTimeout` ends the search
cleanly (a 503 with ``Retry-After``), long before a server would kill its worker.

A check is also where a search may give way to another: a host that runs several
searches on one core, one at a time, registers a hook with :func:`on_check` and hands the
turn to a waiting search there (web/turns.py). So :func:`check` is only ever called
between reads of the index, never while a structure other searches share is half-built;
work inside :func:`paused` never gives way.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from search.errors import QueryTooCostly, SearchTimeout
from search.query import Node, Phrase, Term, children

__all__ = [
    "MAX_CLAUSES",
    "MAX_POSITIONS",
    "MAX_POSTINGS",
    "SEARCH_CPU_SECONDS",
    "SEARCH_WALL_SECONDS",
    "Cost",
    "bounded",
    "check",
    "deadline",
    "enforce",
    "on_check",
    "paused",
    "price",
    "use_limits",
]

#: (field, term) clauses after expansion. Elasticsearch's default was 1,024 for a decade;
#: 128 typed words in three fields are 384.
MAX_CLAUSES = 512
#: Postings to decode, summed over the clauses: ~1 CPU-second of "any of these words"
#: with the caches warm at 108k articles (bench/README.md, "Query budget"); 32 of the
#: commonest words are 810k there.
MAX_POSTINGS = 800_000
#: Position lists a phrase check may decode, summed over the phrases (a phrase of the two
#: commonest words at 108k articles: 85k).
MAX_POSITIONS = 200_000
#: The deadline of one search: CPU time of its thread, and time on the clock (a loaded
#: machine gives a search less CPU per second; the clock bounds how long a client waits).
SEARCH_CPU_SECONDS = 1.0
SEARCH_WALL_SECONDS = 10.0


@dataclass(frozen=True)
class Cost:
    """The price of a parsed, expanded query (see the module's docstring)."""

    clauses: int = 0
    postings: int = 0
    positions: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.clauses + other.clauses,
            self.postings + other.postings,
            self.positions + other.positions,
        )

    def problem(self) -> str | None:
        """Why this cost is over the budget, in words a reader can act on, or None."""
        if self.clauses > MAX_CLAUSES:
            return (
                f"searches {self.clauses:,} terms once wildcards and fuzzy words are expanded "
                f"(in each field); at most {MAX_CLAUSES:,} can be searched at once: use fewer "
                "or longer wildcard patterns"
            )
        if self.postings > MAX_POSTINGS:
            return (
                f"would read {self.postings:,} postings (its words are in that many "
                f"articles, field by field); the limit is {MAX_POSTINGS:,}: leave out "
                "common words, or use fewer wildcards"
            )
        if self.positions > MAX_POSITIONS:
            return (
                f"has phrases of words so common that checking them would read "
                f"{self.positions:,} position lists; the limit is {MAX_POSITIONS:,}: add "
                "a rarer word to the phrase, or search the words without quotes"
            )
        return None


def price(q: Node, reader: Any) -> Cost:
    """The cost of an expanded query (only terms and phrases are left, see
    ``querying.expand``) by the reader's document frequencies."""
    if isinstance(q, Term):
        return Cost(1, _df(reader, q.field, q.text), 0)
    if isinstance(q, Phrase):
        dfs = [_df(reader, q.field, w) for w in q.words] or [0]
        positions = min(dfs) * len(dfs) if len(dfs) > 1 else 0
        return Cost(len(dfs), sum(dfs), positions)
    total = Cost()
    for child in children(q):
        total = total + price(child, reader)
    return total


def _df(reader: Any, fieldname: str, text: str | bytes) -> int:
    try:
        return int(reader.doc_frequency(fieldname, text))
    except (KeyError, ValueError, TypeError):  # a field the schema does not know
        return 0


def enforce(q: Node, reader: Any) -> Cost:
    """The query's cost, or :class:`QueryTooCostly` when it is over the budget."""
    cost = price(q, reader)
    problem = cost.problem()
    if problem:
        raise QueryTooCostly(problem, cost.clauses, cost.postings, cost.positions)
    return cost


# ------------------------------------------------------------------------ deadline


@dataclass
class _Deadline:
    started: float  # on the clock
    cpu_end: float  # thread CPU time
    wall_end: float
    cpu_seconds: float
    #: The clock time before which the CPU time need not be read (a thread's CPU time
    #: never runs ahead of the clock, and reading it is a system call: ~6 µs here).
    next_cpu_read: float
    #: How many :func:`paused` blocks are open: the search does not give way inside one.
    pauses: int = 0


_current: ContextVar[_Deadline | None] = ContextVar("news_search_deadline", default=None)
#: The limits of the searches run in this context (the web app sets its configured ones
#: at each request), or None for the module's defaults.
_limits: ContextVar[tuple[float, float] | None] = ContextVar("news_search_limits", default=None)
#: Run at each check of a search that is not paused (see :func:`on_check`).
_hook: Callable[[], None] | None = None


def on_check(hook: Callable[[], None] | None) -> None:
    """Run ``hook`` (or, given None, nothing more) at every :func:`check` of every search
    in this process, outside :func:`paused` blocks. It may block: the time it waits counts
    on the search's clock, not its CPU time."""
    global _hook
    _hook = hook


def use_limits(cpu_seconds: float, wall_seconds: float) -> None:
    """Give the searches run from now on in this context (thread) these limits."""
    if not (cpu_seconds > 0 and wall_seconds > 0):
        raise ValueError("search limits must be positive numbers of seconds")
    _limits.set((float(cpu_seconds), float(wall_seconds)))


@contextmanager
def deadline(cpu_seconds: float | None = None, wall_seconds: float | None = None) -> Iterator[None]:
    """Give the search run inside the ``with`` block a deadline (one already set by an
    enclosing block is kept: a search inside an export is one search)."""
    if _current.get() is not None:
        yield
        return
    cpu_limit, wall_limit = _limits.get() or (SEARCH_CPU_SECONDS, SEARCH_WALL_SECONDS)
    cpu = cpu_limit if cpu_seconds is None else cpu_seconds
    wall = wall_limit if wall_seconds is None else wall_seconds
    now = time.monotonic()
    token = _current.set(_Deadline(now, time.thread_time() + cpu, now + wall, cpu, now + cpu))
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def paused() -> Iterator[None]:
    """Work inside the block is not the search's: loading a new snapshot or the lexicon
    (once per index generation, however the search that meets it was priced). The
    deadline moves on by the CPU and clock time spent inside, waiting included."""
    d = _current.get()
    if d is None:
        yield
        return
    cpu, wall = time.thread_time(), time.monotonic()
    d.pauses += 1
    try:
        yield
    finally:
        d.pauses -= 1
        spent_cpu, spent_wall = time.thread_time() - cpu, time.monotonic() - wall
        d.cpu_end += spent_cpu
        d.wall_end += spent_wall
        d.next_cpu_read += spent_wall


def check() -> None:
    """End the search running in this thread if it is past its deadline (cheap enough to
    call per term or per block of postings)."""
    d = _current.get()
    if d is None:
        return
    hook = _hook
    if hook is not None and not d.pauses:
        hook()
    now = time.monotonic()
    if now > d.wall_end:
        raise SearchTimeout(d.cpu_seconds)
    if now >= d.next_cpu_read:
        left = d.cpu_end - time.thread_time()
        if left <= 0:
            raise SearchTimeout(d.cpu_seconds)
        d.next_cpu_read = now + max(left, 0.005)


P = ParamSpec("P")
R = TypeVar("R")


def bounded(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` under a :func:`deadline` (the enclosing one, if there is one)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with deadline():
            return fn(*args, **kwargs)

    return wrapper
