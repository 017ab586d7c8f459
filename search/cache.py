"""A bounded, thread-safe least-recently-used cache, sized by what its values hold."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Generic, TypeVar

__all__ = ["BoundedCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """Keeps values until their total size passes ``budget``, evicting the least
    recently used. A value bigger than a quarter of the budget is not kept at all."""

    def __init__(self, budget: int, size: Callable[[V], int]) -> None:
        self.budget = budget
        self._size_of = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._size = 0
        self._lock = Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        n = self._size_of(value)
        if n > self.budget // 4:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self._size += n
            while self._size > self.budget and self._items:
                _, old = self._items.popitem(last=False)
                self._size -= self._size_of(old)
