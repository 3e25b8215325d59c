"""The message queues of both APIs (no server needed)."""

from __future__ import annotations

import asyncio

import pytest

import natskit
from natskit import _io_async, _io_sync


async def test_a_woken_getter_that_is_cancelled_keeps_the_order() -> None:
    queue: _io_async.Queue[int] = _io_async.Queue()
    first = asyncio.ensure_future(queue.get())
    second = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)  # both wait
    queue.put_nowait(1)  # wakes the first getter
    queue.put_nowait(2)  # wakes the second
    first.cancel()  # woken, but cancelled before it ran
    assert await second == 1
    assert queue.get_nowait(None) == 2
    assert queue.get_nowait(None) is None


async def test_asyncio_get_times_out_and_forgets_its_waiter() -> None:
    queue: _io_async.Queue[int] = _io_async.Queue()
    with pytest.raises(natskit.TimeoutError):
        await queue.get(0.01)
    queue.put_nowait(7)
    assert queue.qsize() == 1
    assert await queue.get(1) == 7


def test_blocking_queue_get_nowait_and_timeout() -> None:
    queue: _io_sync.Queue[int] = _io_sync.Queue()
    assert queue.get_nowait("empty") == "empty"
    with pytest.raises(natskit.TimeoutError):
        queue.get(0.01)
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert queue.qsize() == 2
    assert queue.get(1) == 1
    assert queue.get_nowait(None) == 2
