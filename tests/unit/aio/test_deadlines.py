"""``Deadlines``: many timeouts on one timer, each key expired at its own deadline."""

from __future__ import annotations

from natskit._async.deadlines import Deadlines
from natskit._io_async import Event, StateLock, monotonic, sleep


class Expired:
    """What the timer expired, in order, and an event once ``want`` keys came."""

    def __init__(self, want: int) -> None:
        self.keys: list[str] = []
        self.at: list[float] = []
        self.want = want
        self.done = Event()

    def __call__(self, keys: list[str]) -> None:
        self.keys.extend(keys)
        self.at.extend(monotonic() for _ in keys)
        if len(self.keys) >= self.want:
            self.done.set()


async def test_keys_expire_in_deadline_order_whatever_the_order_added() -> None:
    lock = StateLock()
    expired = Expired(3)
    deadlines: Deadlines[str] = Deadlines(lock, expired)
    start = monotonic()
    with lock:
        for key, timeout in (("slow", 0.3), ("fast", 0.05), ("mid", 0.15), ("gone", 0.1)):
            deadlines.add(key, timeout)
        deadlines.discard("gone", 0.1)
        deadlines.discard("never-added", 0.1)  # nothing to discard: no error
    assert len(deadlines) == 3
    assert await expired.done.wait(5)
    assert expired.keys == ["fast", "mid", "slow"]
    for at, timeout in zip(expired.at, (0.05, 0.15, 0.3), strict=True):
        assert at - start >= timeout
    assert len(deadlines) == 0


async def test_a_group_expires_only_its_due_keys() -> None:
    lock = StateLock()
    expired = Expired(1)
    deadlines: Deadlines[str] = Deadlines(lock, expired)
    with lock:
        deadlines.add("first", 0.1)
    await sleep(0.05)  # the second key is added later, with the same timeout
    with lock:
        deadlines.add("second", 0.1)
    assert await expired.done.wait(5)
    assert expired.keys == ["first"]
    expired.want, expired.done = 2, Event()
    assert await expired.done.wait(5)
    assert expired.keys == ["first", "second"]
    assert expired.at[1] - expired.at[0] >= 0.04


async def test_stop_forgets_every_key() -> None:
    lock = StateLock()
    stopped = Expired(1)
    deadlines: Deadlines[str] = Deadlines(lock, stopped)
    later = Expired(1)
    other: Deadlines[str] = Deadlines(lock, later)
    with lock:
        deadlines.add("a", 0.05)
        deadlines.add("b", 0.0)
        deadlines.stop()
        other.add("after", 0.2)
    assert len(deadlines) == 0
    assert await later.done.wait(5)  # well past the deadlines of a and b
    assert stopped.keys == []


async def test_keys_added_after_a_sweep_rearm_the_timer() -> None:
    lock = StateLock()
    expired = Expired(1)
    deadlines: Deadlines[str] = Deadlines(lock, expired)
    with lock:
        deadlines.add("one", 0.02)
    assert await expired.done.wait(5)
    expired.want, expired.done = 2, Event()
    with lock:
        deadlines.add("two", 0.02)
    assert await expired.done.wait(5)
    assert expired.keys == ["one", "two"]
