"""The ack window of ``JetStream.publish_future``: room, pending acks, their timeouts.

One timer per window expires overdue acks (instead of one timer per publish):
it is armed for the earliest deadline and, when it fires, fails what is due
and re-arms for the next. Publishes with the same timeout arrive in deadline
order, so a publish normally costs a dict insert and no timer at all.
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
from ..errors import JetStreamError, TimeoutError
from .msg import Msg

if TYPE_CHECKING:
    from .connection import Connection


class PendingAck:
    """Where the reader puts the reply to one ``publish_future``: the ``PubAck`` (or
    error) goes straight to the caller's future, without a future of its own."""

    __slots__ = ("deadline", "done_", "result", "subject", "timeout", "token", "window")

    def __init__(self, window: AckWindow, subject: str, timeout: float) -> None:
        self.window = window
        self.result: Future[PubAck] = new_future()
        self.subject = subject
        self.timeout = timeout
        self.deadline = 0.0
        self.token = ""
        self.done_ = False

    def set_result(self, msg: Msg) -> None:
        if self.window._finish(self):
            try:
                resolve(self.result, PubAck.from_json(parse_reply(msg.data)))
            except JetStreamError as exc:
                fail(self.result, exc)

    def set_exception(self, exc: BaseException) -> None:
        if self.window._finish(self):
            fail(self.result, exc)

    def done(self) -> bool:
        return self.done_

    def cancel(self) -> bool:
        return False


class AckWindow:
    """At most ``limit`` acks awaited at a time (the caller passes its limit)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = StateLock()  # the reader and timer threads finish acks in the blocking API
        self.in_flight = 0  # reserved slots: pending acks, and publishes being sent
        self._limit = 0
        self._pending: dict[PendingAck, None] = {}  # registered acks, about in deadline order
        self._sweep: TimerHandle | None = None
        self._sweep_at = 0.0
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

    def track(self, ack: PendingAck, token: str) -> None:
        """Start the timeout of ``ack``, registered under ``token`` for its reply."""
        ack.token = token
        ack.deadline = deadline = monotonic() + ack.timeout
        with self._lock:
            if ack.done_:  # failed meanwhile (the connection closed)
                return
            self._pending[ack] = None
            if self._sweep is None or deadline < self._sweep_at:
                self._arm(deadline)

    def _arm(self, deadline: float) -> None:
        """(Re)start the one timer for ``deadline`` (under the lock)."""
        if self._sweep is not None:
            self._sweep.cancel()
        self._sweep_at = deadline
        self._sweep = call_later(max(deadline - monotonic(), 0.0), self._expire)

    def _expire(self) -> None:
        """The timer: fail the overdue acks, re-arm for the next deadline."""
        now = monotonic()
        with self._lock:
            self._sweep = None
            due = [ack for ack in self._pending if ack.deadline <= now]
            later = [ack.deadline for ack in self._pending if ack.deadline > now]
            if later:
                self._arm(min(later))
        for ack in due:
            self._conn._resp_map.pop(ack.token, None)
            ack.set_exception(TimeoutError(
                f"no ack for the publish to {ack.subject!r} within {ack.timeout} s"))

    def _finish(self, ack: PendingAck) -> bool:
        """Free the slot of ``ack``; True only the first time (the reader and the
        timer thread may both get here in the blocking API)."""
        with self._lock:
            if ack.done_:
                return False
            ack.done_ = True
            self._pending.pop(ack, None)
            self.in_flight -= 1
            if self.in_flight == self._limit - 1:
                self._room.set()  # the window was full: a publisher may wait
            if self.in_flight == 0:
                self.all_acked.set()
                if self._sweep is not None:
                    self._sweep.cancel()
                    self._sweep = None
        return True
