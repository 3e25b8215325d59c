"""``Deadlines``: the timeouts of many waiters on one timer.

The request inbox (``Replies``) and the ack window of ``publish_future`` each keep
one instead of starting a timer per request: starting and cancelling a timer
costs about 1.5 us (a heap push in the event loop or the timer thread), and a
request answered in time never needed it. Keys are grouped by timeout; in a
group, insertion order is deadline order, so adding or removing a key is a dict
operation and a sweep looks only at the keys it expires plus the first of each
group. The timer is armed for the earliest deadline and is left running when
keys go: when it fires it expires what is due and re-arms for the next
deadline, if any. Requests answered in time thus cost one timer per timeout
period, not one each. The timer holds its structure weakly: an owner let go
(a JetStream context, with no ack pending) is freed before the timer is due.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from time import monotonic  # the timer gets a delay: any steady clock does, the cheapest
from typing import Any, Generic, TypeVar

from .._io_async import StateLock, TimerHandle, call_later

K = TypeVar("K", bound=Hashable)


class Deadlines(Generic[K]):
    """Keys due at ``monotonic() + timeout``; ``expire(keys)`` gets the overdue ones.

    ``add``, ``discard`` and ``stop`` are called under ``lock`` (the owner's, which
    also guards the owner's own map); the timer takes it to sweep and calls
    ``expire`` after releasing it, with keys no longer in this structure.
    """

    def __init__(self, lock: StateLock, expire: Callable[[list[K]], None]) -> None:
        self._lock = lock
        self._expire = expire
        self._groups: dict[float, dict[K, float]] = {}  # timeout -> {key: deadline}
        self._timer: TimerHandle | None = None
        self._at = 0.0  # when the timer is due
        self._gen = 0  # a timer that fired after being replaced finds another value

    def __len__(self) -> int:
        """The keys waiting for their deadline."""
        return sum(len(group) for group in self._groups.values())

    def add(self, key: K, timeout: float) -> None:
        """``key`` is due ``timeout`` seconds from now (under the lock)."""
        deadline = monotonic() + timeout  # taken in order, under the lock
        group = self._groups.get(timeout)
        if group is None:
            group = self._groups[timeout] = {}
        group[key] = deadline
        if self._timer is None or deadline < self._at:
            self._arm(deadline)

    def discard(self, key: K, timeout: float) -> None:
        """``key``, added with ``timeout``, is not waited for any more (under the lock)."""
        group = self._groups.get(timeout)
        if group is not None and group.pop(key, None) is not None and not group:
            del self._groups[timeout]

    def stop(self) -> None:
        """Forget every key and stop the timer (under the lock)."""
        self._groups.clear()
        self._arm(None)

    def _arm(self, deadline: float | None) -> None:
        """(Re)start the timer for ``deadline``, or stop it."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._gen += 1
        if deadline is not None:
            self._at = deadline
            ref, gen = weakref.ref(self), self._gen  # a pending timer keeps nothing alive
            self._timer = call_later(max(deadline - monotonic(), 0.0), lambda: _fire(ref, gen))

    def _fire(self, gen: int) -> None:
        """The timer: take the overdue keys out, re-arm for the next deadline, expire them."""
        due: list[K] = []
        with self._lock:
            if gen != self._gen:
                return  # replaced or stopped after it was due
            self._timer = None
            limit = max(monotonic(), self._at)  # the loop may fire a tick early
            nearest: float | None = None
            for timeout, group in list(self._groups.items()):
                start = len(due)
                for key, deadline in group.items():
                    if deadline > limit:
                        if nearest is None or deadline < nearest:
                            nearest = deadline
                        break
                    due.append(key)
                for key in due[start:]:
                    del group[key]
                if not group:
                    del self._groups[timeout]
            if nearest is not None:
                self._arm(nearest)
        if due:
            self._expire(due)


def _fire(ref: weakref.ref[Deadlines[Any]], gen: int) -> None:
    """The timer of the structure ``ref``, if it still exists."""
    deadlines = ref()
    if deadlines is not None:
        deadlines._fire(gen)
