"""Callback dispatch: an elastic pool of workers per connection.

The messages of one subscription run in order on one worker at a time;
different subscriptions run side by side. A subscription with pending
messages is queued for a worker, and a new worker starts only when every
worker is busy inside a callback (up to ``MAX_WORKERS``). A program without
nested waits therefore has exactly one worker, while a callback that waits
for a reply sent by another callback of the same connection does not
deadlock. A callback that raises is reported (``Slot._failed``), never
silently dropped, and the slot goes on with its next item.

A subscription with ``concurrency=N`` adds N - 1 ``Lane`` slots that share
its pending deque and callback: each is scheduled on its own, so up to N
workers run its callback at once (order then not kept). The default (one)
has no lanes and takes exactly the path above.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from .. import _instrument
from .._io_async import Queue, StateLock, Task, report_unhandled, settle, spawn

MAX_WORKERS = 64


class Slot:
    """Callbacks to run in order, one at a time: a subscription with a callback
    (``Subscription`` derives from this), or the connection's events.

    The reader appends to ``_pending`` and calls ``schedule``; a worker of the
    dispatcher then calls ``_taken`` and ``_callback`` on each item, and
    ``_ran`` once it let the slot go (nothing of it runs any more).
    """

    __slots__ = ("_callback", "_discard", "_dispatcher", "_pending", "_scheduled")
    # True for subscriptions: items are messages, and ``_taken`` gets the size
    # of each (before its callback, which may replace ``msg.data``).
    _sized = False
    # True for the user's subscriptions: with instrumentation on, each callback
    # runs in a "process" span (their ``subject`` and ``queue`` describe it).
    _traced = False

    def __init__(self, dispatcher: Dispatcher, callback: Callable[[Any], Any] | None) -> None:
        self._dispatcher = dispatcher
        self._callback = callback
        self._discard = False  # queued items are no longer delivered
        self._scheduled = False  # waiting for, or held by, a worker
        if callback is not None:
            self._pending: deque[Any] = deque()

    def _taken(self, item: Any, size: int) -> None:
        """``item`` goes to its callback now (subscriptions count it; ``size``: see ``_sized``)."""

    def _ran(self) -> None:
        """A worker let the slot go: no callback of it is running."""

    def _failed(self, item: Any, exc: Exception) -> None:
        """The callback raised ``exc`` on ``item`` (subscriptions report it)."""
        report_unhandled(exc)


class Lane(Slot):
    """One more runner for the items of ``owner``: the same pending deque,
    callback and accounting (``owner._taken``, ``_ran``, ``_failed``)."""

    __slots__ = ("owner",)
    _sized = True

    def __init__(self, owner: Slot) -> None:
        Slot.__init__(self, owner._dispatcher, None)
        self.owner = owner
        self._callback = owner._callback
        self._pending = owner._pending

    @property
    def _discard(self) -> bool:
        return self.owner._discard

    @_discard.setter
    def _discard(self, value: bool) -> None:
        pass  # the owner's flag counts

    def _taken(self, item: Any, size: int) -> None:
        self.owner._taken(item, size)

    def _ran(self) -> None:
        self.owner._ran()

    def _failed(self, item: Any, exc: Exception) -> None:
        self.owner._failed(item, exc)


def wake_lane(lanes: list[Lane]) -> None:
    """A new item while the owner is busy: schedule a lane that is not."""
    for lane in lanes:
        if not lane._scheduled:
            lane._dispatcher.schedule(lane)
            return


def lanes_running(lanes: list[Lane]) -> bool:
    """Whether a worker holds one of ``lanes``."""
    return any(lane._scheduled for lane in lanes)


class _Events(Slot):
    """Calls of ``(fn, args)`` in order (``error_cb``, ``status_cb``); one that
    raises goes to ``failed(fn, exc)``."""

    __slots__ = ("failed",)

    def __init__(self, dispatcher: Dispatcher, failed: Callable[[Any, Exception], None]) -> None:
        Slot.__init__(self, dispatcher, _invoke)
        self.failed = failed

    def _failed(self, item: Any, exc: Exception) -> None:
        self.failed(item[0], exc)


def _invoke(call: tuple[Callable[..., Any], tuple[Any, ...]]) -> Any:
    fn, args = call
    return fn(*args)


class _Pool:
    """The workers started since the last ``stop`` and their ready queue.

    ``stop`` replaces the pool, so workers that finish the old one's last
    callbacks count against the old pool and never skew the new one.
    """

    __slots__ = ("free", "queued", "ready", "workers")

    def __init__(self) -> None:
        self.ready: Queue[Slot | None] = Queue()
        self.workers: list[Task] = []
        self.queued = 0  # slots in ready
        self.free = 0  # workers not inside a callback


class Dispatcher:
    """Runs the callbacks of one connection, never on its reader."""

    def __init__(self, failed: Callable[[Any, Exception], None], conn: Any = None) -> None:
        # failed(fn, exc): a function given to call() raised; conn: the connection,
        # for instrumentation
        self.conn = conn
        self._lock = StateLock()
        self._pool = _Pool()
        self._events = _Events(self, failed)  # error_cb and status_cb, in order

    def schedule(self, slot: Slot) -> None:
        """Queue ``slot`` for a worker; start one if every worker would be busy."""
        with self._lock:
            if slot._scheduled:
                return
            slot._scheduled = True
            pool = self._pool
            pool.queued += 1
            if pool.queued > pool.free and len(pool.workers) < MAX_WORKERS:
                pool.free += 1
                pool.workers.append(spawn(self._worker, pool, name="natskit-dispatcher"))
            pool.ready.put_nowait(slot)  # under the lock: never into a pool being stopped

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on a worker, in order with other such calls."""
        events = self._events
        events._pending.append((fn, args))
        if not events._scheduled:
            self.schedule(events)

    async def _worker(self, pool: _Pool) -> None:
        while True:
            slot = await pool.ready.get()
            if slot is None:
                return
            with self._lock:
                pool.queued -= 1
                pool.free -= 1
            await self._run(slot)
            with self._lock:
                pool.free += 1

    async def _run(self, slot: Slot) -> None:
        """Run the callback for each pending item of ``slot``, in order."""
        pending = slot._pending
        callback = slot._callback
        sized = slot._sized
        hooks = _instrument.active
        if hooks is not None and not slot._traced:
            hooks = None
        while True:
            while pending:
                item = pending.popleft()
                # out of pending before its callback, as nats.py counts (not nats.go)
                slot._taken(item, len(item.data) if sized else 0)
                if not slot._discard and callback is not None:
                    try:
                        if hooks is None:
                            result = callback(item)
                            if result is not None:
                                await settle(result)
                        else:
                            await self._traced_call(hooks, slot, callback, item)
                    except Exception as exc:
                        slot._failed(item, exc)
            slot._scheduled = False
            slot._ran()
            # The reader appends, then checks _scheduled: look again so that
            # an item added just now is not left behind.
            if not pending:
                return
            with self._lock:
                if slot._scheduled:
                    return
                slot._scheduled = True

    async def _traced_call(
        self, hooks: _instrument.Hooks, slot: Any, callback: Callable[[Any], Any], item: Any
    ) -> None:
        """The callback of a subscription (``slot``) in a "process" span."""
        with hooks.process(self.conn, item, slot.subject, slot.queue):
            result = callback(item)
            if result is not None:
                await settle(result)

    async def stop(self) -> None:
        """Let what is queued run, then end the workers (the pool stays usable)."""
        with self._lock:
            pool, self._pool = self._pool, _Pool()
            for _ in pool.workers:
                pool.ready.put_nowait(None)
        for worker in pool.workers:
            await worker.join()
