"""An iterator's next items made in a thread while the caller works on the current one.

A reader that cuts a file into blocks in Python and hands each to DuckDB leaves a
core idle: while DuckDB parses a block, Python could be reading, hashing and
cutting the next. The work that matters there (readinto, hashlib on large buffers,
numpy and Arrow kernels) releases the GIL, so a thread runs it beside DuckDB, which
releases the GIL too while it executes.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import Generic, TypeVar, cast

T = TypeVar("T")

_POLL_S = 0.1


class _Failed:
    """What the thread raised, carried to the caller to raise there."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


class _Producer(Generic[T]):
    def __init__(self, items: Iterator[T], depth: int) -> None:
        self._items = items
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="moneytrail-prefetch", daemon=True)

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as exc:  # handed to the caller, raised there
            self._put(_Failed(exc))

    def _put(self, item: object) -> bool:
        """Queue `item`, waiting for room; False when the caller stopped listening."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
            except queue.Full:
                continue
            else:
                return True
        return False

    def items(self) -> Generator[T, None, None]:
        self._thread.start()
        try:
            while True:
                item = self._queue.get()
                if item is _END:
                    return
                if isinstance(item, _Failed):
                    raise item.error
                yield cast("T", item)  # anything else is one of the items
        finally:
            # The caller stopped early (an error, a refused file): the thread must not
            # read on from the stream behind its back, so it ends before this returns.
            self._stop.set()
            self._thread.join()


def prefetched(items: Iterator[T], depth: int = 1) -> Generator[T, None, None]:
    """`items`, up to `depth` ahead of the caller, made in a thread of their own.

    Whatever the thread raises is raised to the caller at the item it failed on; when
    the caller stops early the thread stops too (after the item it is making) and is
    joined, so nothing reads on after this iterator is closed. Items must not share
    state the caller changes. Close the generator (or run it to its end) to stop it.
    """
    return _Producer(items, depth).items()
