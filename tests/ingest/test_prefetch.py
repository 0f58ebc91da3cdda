"""prefetched(): the items in order, the thread's errors raised to the caller, and no
item made after the caller stops."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from moneytrail.ingest._prefetch import prefetched


def test_items_come_in_order_and_are_made_in_another_thread() -> None:
    makers: list[str] = []

    def items() -> Iterator[int]:
        for i in range(50):
            makers.append(threading.current_thread().name)
            yield i

    assert list(prefetched(items())) == list(range(50))
    assert set(makers) == {"moneytrail-prefetch"}


def test_an_error_in_the_thread_is_raised_at_the_item_it_failed_on() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise OSError("disk gone")

    got: list[int] = []
    with pytest.raises(OSError, match="disk gone"):
        for item in prefetched(items()):
            got.append(item)
    assert got == [1, 2]


def test_closing_stops_the_thread_before_it_returns() -> None:
    made: list[int] = []

    def items() -> Iterator[int]:
        for i in range(1000):
            made.append(i)
            yield i

    gen = prefetched(items(), depth=1)
    assert next(gen) == 0
    gen.close()
    stopped_at = len(made)
    assert not any(t.name == "moneytrail-prefetch" for t in threading.enumerate())
    # one in the queue, one being made when the caller stopped: nothing more
    assert stopped_at <= 3
    assert len(made) == stopped_at
