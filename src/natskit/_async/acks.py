"""The ack window of ``JetStream.publish_future``: room, pending acks, their timeouts.

The timeouts of the pending acks are one ``Deadlines`` (one timer per window,
not one per publish): a publish normally costs a dict insert and no timer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .._io_async import (
    Event,
    Future,
    StateLock,
    fail,
    future_factory,
    monotonic,
    resolve,
)
from .._jsapi import PubAck
from .._jsapi.api import pub_ack
from ..errors import NatsError, TimeoutError
from .deadlines import Deadlines
from .msg import Msg

if TYPE_CHECKING:
    from .requests import Replies


class PendingAck:
    """Where the reader puts the reply to one ``publish_future``: the ``PubAck`` (or
    error) goes straight to the caller's future, without a future of its own."""

    __slots__ = ("done_", "reply", "result", "subject", "timeout", "window")

    def __init__(self, window: AckWindow, subject: str, timeout: float) -> None:
        self.window = window
        self.result: Future[PubAck] = window.new_result()
        self.subject = subject
        self.timeout = timeout
        self.reply = ""  # the reply subject it waits on
        self.done_ = False

    def set_result(self, msg: Msg) -> None:
        if self.window.finish(self):
            try:
                resolve(self.result, pub_ack(msg.data))
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
        self._deadlines: Deadlines[PendingAck] = Deadlines(self._lock, self._expire)
        self._make_result: Callable[[], Future[PubAck]] | None = None  # bound on first use
        self._room = Event()
        self.all_acked = Event()
        self.all_acked.set()

    def new_result(self) -> Future[PubAck]:
        """The future of a publish's ``PubAck`` (made on the connection's loop)."""
        make = self._make_result
        if make is None:
            make = self._make_result = future_factory(Future)
        return make()

    def take(self, limit: int) -> bool:
        """Take a slot if there is room now (the common case, without a coroutine)."""
        self._limit = limit
        with self._lock:
            if self.in_flight < limit:
                self.in_flight += 1
                if self.in_flight == 1:
                    self.all_acked.clear()
                return True
        return False

    async def reserve(self, limit: int, timeout: float) -> None:
        """Take a slot; wait up to ``timeout`` for one (``TimeoutError``)."""
        if self.take(limit):
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
            if not ack.done_:  # else failed meanwhile (the connection closed)
                self._deadlines.add(ack, ack.timeout)

    def _expire(self, due: list[PendingAck]) -> None:
        """The timer: fail the overdue acks."""
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
            self._deadlines.discard(ack, ack.timeout)
            self.in_flight -= 1
            if self.in_flight == self._limit - 1:
                self._room.set()  # the window was full: a publisher may wait
            if self.in_flight == 0:
                self.all_acked.set()  # (the timer runs on: windows often empty and refill)
        return True
