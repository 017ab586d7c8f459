"""Whose turn it is to run the app in this process.

The app runs one thread of a process at a time (web/server.py says why). A plain lock
makes a cheap query wait for whatever holds it: a search the budget admits may run for
a second, and a lock is not even first come, first served, so a cheap query beside two
or four such searches waited 1.2-1.8 s (bench/README.md, "A cheap query beside expensive
ones"). :class:`Turns` is the lock with a scheduler in it:

* **first come, first served, with a request's use of the app counted against it**: the
  waiters are ordered by their arrival time plus :data:`WEIGHT` times the time they have
  held the app so far. A new request is ordered at its arrival; a search that has held
  the app for 0.3 s is ordered as if it had come 3 s after it did. So a cheap query goes
  before the dear searches around it, without anything having to guess what a query
  will cost; and no one waits for ever: new requests come at later and later times, so
  any waiter's place eventually comes first (ordered by use alone, least attained
  service first, a search waited up to 3.3 s behind a steady stream of cheaper ones:
  bench/README.md, "Slow clients and the worker model").
* **time slices at the search's checks**: a search calls ``budget.check()`` between reads
  of the index (search/budget.py); there the holder gives the app up to a waiter placed
  before it, once it has held it for :data:`SLICE` seconds. Whoosh finishes every read it
  starts before a check, so two searches taking turns never see each other's file
  positions (``tests/test_turns.py`` runs real searches interleaved at every check and
  compares their results with serial ones).

Under a load of more than one core's work the dearest searches are the ones that reach
their deadline (a 503 with ``Retry-After``), and the cheap ones are still answered.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["BODY_IN_MEMORY", "SLICE", "WEIGHT", "Turn", "Turns"]

#: Seconds the app is held before its holder gives way at a check to a waiter placed
#: before it. Shorter answers a cheap query sooner and switches more often; a
#: switch costs ~0.1 ms (bench/README.md, "A cheap query beside expensive ones").
SLICE = 0.02

#: How much later a request is placed, per second it has held the app: one that has had
#: more than 1/WEIGHT of the app since it came waits for requests newer than itself.
WEIGHT = 10.0

#: The WSGI environ key by which the app says its response body is already in memory
#: (not streamed): the body is then taken whole in the request's one turn, so answering
#: a search takes the app once, not once more to send what it already made.
BODY_IN_MEMORY = "news_search.body_in_memory"


class Turn:
    """One request's share of the app: when it came, how long it has held the app, and
    its wake-up call."""

    __slots__ = ("arrived", "attained", "granted")

    def __init__(self) -> None:
        #: When the request came (monotonic seconds).
        self.arrived = time.monotonic()
        #: Seconds this request has held the app, over all its turns.
        self.attained = 0.0
        self.granted = threading.Event()

    def place(self, weight: float, holding: float = 0.0) -> float:
        """Its place among the waiters (the lowest goes first), having held the app for
        ``holding`` seconds more than its ``attained``."""
        return self.arrived + weight * (self.attained + holding)


class Turns:
    """A lock on the app whose waiters are served in order of :meth:`Turn.place`."""

    def __init__(self, slice_seconds: float = SLICE, weight: float = WEIGHT) -> None:
        self.slice = slice_seconds
        self.weight = weight
        self._mutex = threading.Lock()
        self._waiting: list[tuple[float, int, Turn]] = []
        self._order = itertools.count()  # ties: first come, first served
        self._holder: Turn | None = None
        self._mine = threading.local()
        #: Since when (monotonic) the app has been held by its present holder, or None.
        self.held_since: float | None = None

    @contextmanager
    def hold(self, turn: Turn) -> Iterator[None]:
        """Hold the app for ``turn`` inside the block (waiting for it first)."""
        self.take(turn)
        try:
            yield
        finally:
            self.give_back(turn)

    def take(self, turn: Turn) -> None:
        """Wait until the app is ``turn``'s."""
        with self._mutex:
            if self._holder is None:
                self._grant(turn)
            else:
                turn.granted.clear()
                heapq.heappush(self._waiting, (turn.place(self.weight), next(self._order), turn))
        turn.granted.wait()
        self._mine.turn = turn

    def give_back(self, turn: Turn) -> None:
        """``turn`` is done with the app for now: the first waiter in order gets it."""
        self._mine.turn = None
        with self._mutex:
            if self._holder is not turn:
                raise RuntimeError("the app was given back by a request that did not hold it")
            turn.attained += time.monotonic() - (self.held_since or 0.0)
            if self._waiting:
                self._grant(heapq.heappop(self._waiting)[2])
            else:
                self._holder = None
                self.held_since = None

    def give_way(self) -> None:
        """At a search's check: if this thread holds the app, has had it for a slice, and
        a waiter is placed before it, let that one run first."""
        turn: Turn | None = getattr(self._mine, "turn", None)
        if turn is None or not self._waiting:
            return
        since = self.held_since
        if since is None:
            return
        held = time.monotonic() - since
        if held < self.slice:
            return
        with self._mutex:
            if not self._waiting or self._waiting[0][0] >= turn.place(self.weight, held):
                return
        self.give_back(turn)
        self.take(turn)

    def _grant(self, turn: Turn) -> None:  # under the mutex
        self._holder = turn
        self.held_since = time.monotonic()
        turn.granted.set()
