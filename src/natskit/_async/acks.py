"""The ack window of ``JetStream.publish_future``: room, pending acks, their timeouts.

One timer per window expires overdue acks (instead of one timer per publish):
it is armed for the earliest deadline and, when it fires, fails what is due
and re-arms for the next. Pending acks are grouped by timeout; in a group,
insertion order is deadline order, so a sweep looks only at the acks it
expires plus the first of each group, and a publish normally costs a dict
insert and no timer at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._io_async import (
    Event,
    Future,
    StateLock,
    TimerHandle,
    call_later,
    fail,
    monotonic,
    new_future,
    resolve,
)
from .._jsapi import PubAck
from .._jsapi.api import parse_reply
from ..errors import NatsError, TimeoutError
from .msg import Msg

if TYPE_CHECKING:
    from .requests import Replies


class PendingAck:
    """Where the reader puts the reply to one ``publish_future``: the ``PubAck`` (or
    error) goes straight to the caller's future, without a future of its own."""

    __slots__ = ("deadline", "done_", "reply", "result", "subject", "timeout", "window")

    def __init__(self, window: AckWindow, subject: str, timeout: float) -> None:
        self.window = window
        self.result: Future[PubAck] = new_future()
        self.subject = subject
        self.timeout = timeout
        self.deadline = 0.0
        self.reply = ""  # the reply subject it waits on
        self.done_ = False

    def set_result(self, msg: Msg) -> None:
        if self.window.finish(self):
            try:
                resolve(self.result, PubAck.from_json(parse_reply(msg.data)))
            except NatsError as exc:  # an error reply, or a malformed one
                fail(self.result, exc)

    def set_exception(self, exc: BaseException) -> None:
        if self.window.finish(self):
            fail(self.result, exc)

    def done(self) -> bool:
        return self.done_

    def cancel(self) -> bool:
        return False


class AckWindow:
    """At most ``limit`` acks awaited at a time (the caller passes its limit)."""

    def __init__(self, replies: Replies) -> None:
        self._replies = replies
        self._lock = StateLock()  # the reader and timer threads finish acks in the blocking API
        self.in_flight = 0  # reserved slots: pending acks, and publishes being sent
        self._limit = 0
        # registered acks by timeout, each group in deadline order
        self._pending: dict[float, dict[PendingAck, None]] = {}
        self._sweep: TimerHandle | None = None
        self._sweep_at = 0.0
        self._sweep_gen = 0  # a timer that fired after being replaced finds another value
        self._room = Event()
        self.all_acked = Event()
        self.all_acked.set()

    async def reserve(self, limit: int, timeout: float) -> None:
        """Take a slot; wait up to ``timeout`` for one (``TimeoutError``)."""
        self._limit = limit
        with self._lock:  # the common case: room in the window
            if self.in_flight < limit:
                self.in_flight += 1
                if self.in_flight == 1:
                    self.all_acked.clear()
                return
        deadline = monotonic() + timeout
        while True:
            with self._lock:
                if self.in_flight < limit:
                    self.in_flight += 1
                    self.all_acked.clear()
                    return
                self._room.clear()
            left = deadline - monotonic()
            if left <= 0 or not await self._room.wait(left):
                raise TimeoutError(f"{self.in_flight} publish acks outstanding for {timeout} s")

    def track(self, ack: PendingAck, reply: str) -> None:
        """Start the timeout of ``ack``, registered for a reply to ``reply``."""
        ack.reply = reply
        with self._lock:
            if ack.done_:  # failed meanwhile (the connection closed)
                return
            ack.deadline = deadline = monotonic() + ack.timeout  # in order, under the lock
            group = self._pending.get(ack.timeout)
            if group is None:
                group = self._pending[ack.timeout] = {}
            group[ack] = None
            if self._sweep is None or deadline < self._sweep_at:
                self._arm(deadline)

    def _arm(self, deadline: float | None) -> None:
        """(Re)start the one timer for ``deadline``, or stop it (under the lock)."""
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        self._sweep_gen += 1
        if deadline is not None:
            gen = self._sweep_gen
            self._sweep_at = deadline
            self._sweep = call_later(max(deadline - monotonic(), 0.0), lambda: self._expire(gen))

    def _expire(self, gen: int) -> None:
        """The timer: fail the overdue acks, re-arm for the next deadline."""
        due: list[PendingAck] = []
        with self._lock:
            if gen != self._sweep_gen:
                return  # replaced or stopped after it was due
            self._sweep = None
            limit = max(monotonic(), self._sweep_at)  # the loop may fire a tick early
            nearest: float | None = None
            for group in self._pending.values():
                for ack in group:
                    if ack.deadline > limit:
                        if nearest is None or ack.deadline < nearest:
                            nearest = ack.deadline
                        break
                    due.append(ack)
            if nearest is not None:
                self._arm(nearest)
        for ack in due:
            self._replies.forget(ack.reply)
            ack.set_exception(
                TimeoutError(f"no ack for the publish to {ack.subject!r} within {ack.timeout} s")
            )

    def finish(self, ack: PendingAck) -> bool:
        """Free the slot of ``ack``; True only the first time (the reader and the
        timer thread may both get here in the blocking API)."""
        with self._lock:
            if ack.done_:
                return False
            ack.done_ = True
            group = self._pending.get(ack.timeout)
            if group is not None:
                group.pop(ack, None)
                if not group:
                    del self._pending[ack.timeout]
            self.in_flight -= 1
            if self.in_flight == self._limit - 1:
                self._room.set()  # the window was full: a publisher may wait
            if self.in_flight == 0:
                self.all_acked.set()
                if self._sweep is not None:
                    self._arm(None)
        return True
