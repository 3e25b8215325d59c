"""Subscriptions: a callback, or a queue read by ``next_msg`` and iteration."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .._io_async import Event, Queue, StateLock
from ..errors import BadSubscriptionError, ConnectionClosedError
from ..options import check_timeout
from ..status import Status
from .msg import Msg

if TYPE_CHECKING:
    from .connection import Connection

# Put in a message queue when it ends: ``None`` means stopped by the user,
# an exception instance is raised by ``next_msg``.
Item = Msg | BaseException | None
_I = TypeVar("_I", bound="MsgIterator")
_making_idle = StateLock()


async def take(queue: Queue[Item], timeout: float | None, ended: str) -> Msg:
    """The next message of ``queue``; at its end marker, which stays queued for
    later calls, raise that error (``BadSubscriptionError(ended)`` for ``None``)."""
    item = await queue.get(check_timeout(timeout, None))
    if isinstance(item, Msg):
        return item
    queue.put_nowait(item)
    raise item or BadSubscriptionError(ended)


class MsgIterator:
    """Iteration over ``next_msg()``, which ends where it raises
    ``BadSubscriptionError`` or ``ConnectionClosedError``."""

    __slots__ = ()

    async def next_msg(self, timeout: float | None = None) -> Msg:
        raise NotImplementedError

    def __aiter__(self: _I) -> _I:
        return self

    async def __anext__(self) -> Msg:
        try:
            return await self.next_msg()
        except (BadSubscriptionError, ConnectionClosedError):
            raise StopAsyncIteration from None


class Subscription(MsgIterator):
    """Interest in a subject; returned by ``Connection.subscribe``.

    Counters: ``delivered`` counts the messages the server sent on this sid
    (the Tcl ``unsubscribe -max_msgs`` rule counts these), ``pending_msgs`` /
    ``pending_bytes`` those received but not yet handed to the user, and
    ``dropped`` those discarded because the pending limits were exceeded.
    """

    __slots__ = (
        "__weakref__",
        "_active",
        "_callback",
        "_conn",
        "_count",
        "_discard",
        "_idle",
        "_in_bytes",
        "_in_msgs",
        "_max",
        "_out_bytes",
        "_out_msgs",
        "_pending",
        "_queue",
        "_scheduled",
        "_slow",
        "dropped",
        "pending_bytes_limit",
        "pending_msgs_limit",
        "queue",
        "sid",
        "subject",
    )

    def __init__(
        self,
        conn: Connection,
        sid: int,
        subject: str,
        queue: str | None,
        callback: Callable[[Any], Any] | None,
        max_msgs: int | None,
        pending_msgs_limit: int,
        pending_bytes_limit: int,
    ) -> None:
        # Few objects per subscription: the garbage collector walks all of them on
        # every full pass, which shows with 10,000 subscriptions.
        self._conn = conn
        self.sid = sid
        self.subject = subject
        self.queue = queue
        self._callback = callback
        self._max = max_msgs or 0
        self.pending_msgs_limit = pending_msgs_limit
        self.pending_bytes_limit = pending_bytes_limit
        self.dropped = 0
        # Each counter has one writer (reader: _count/_in_*/dropped; consumer:
        # _out_*), so the blocking API needs no lock to keep them exact.
        self._count = 0
        self._in_msgs = 0
        self._in_bytes = 0
        self._out_msgs = 0
        self._out_bytes = 0
        self._slow = False
        self._active = True
        self._discard = False  # unsubscribed: queued messages are not delivered
        self._scheduled = False  # waiting for, or held by, a dispatcher worker
        self._queue: Queue[Item]  # without a callback
        self._pending: deque[Any]  # with a callback: run by a dispatcher worker
        if callback is None:
            self._queue = Queue()
        else:
            self._pending = deque()
        self._idle: Event  # made by _end(), before _active turns False

    @property
    def delivered(self) -> int:
        """Messages the server delivered on this subscription."""
        return self._count

    @property
    def pending_msgs(self) -> int:
        return self._in_msgs - self._out_msgs

    @property
    def pending_bytes(self) -> int:
        return self._in_bytes - self._out_bytes

    @property
    def max_msgs(self) -> int | None:
        return self._max or None

    @property
    def is_active(self) -> bool:
        """False once unsubscribed, drained, or its ``max_msgs`` reached."""
        return self._active

    def _taken(self, msg: Msg) -> None:
        """Account for a message handed to the user (or its callback returned)."""
        self._out_msgs += 1
        self._out_bytes += len(msg.data)
        if not self._active and self._in_msgs == self._out_msgs:
            self._idle.set()

    def _end(self, reason: BaseException | None = None) -> None:
        """No more messages will arrive; wake readers of the queue."""
        with _making_idle:  # two threads may end it at once
            if not hasattr(self, "_idle"):
                self._idle = Event()
        self._active = False
        if self._in_msgs == self._out_msgs:
            self._idle.set()
        if self._callback is None:
            self._queue.put_nowait(reason)

    async def next_msg(self, timeout: float | None = None) -> Msg:
        """The next message; ``TimeoutError`` after ``timeout`` s (None: wait forever)."""
        if self._callback is not None:
            raise BadSubscriptionError("next_msg() is for subscriptions without a callback")
        if not self._discard:
            if timeout is not None:
                timeout = check_timeout(timeout, None)
            item = await self._queue.get(timeout)
            if isinstance(item, Msg):
                self._taken(item)
                return item
            self._queue.put_nowait(item)  # keep the end marker for later calls
            if item is not None:
                raise item
        raise BadSubscriptionError(f"subscription {self.sid} on {self.subject!r} has ended")

    def _ready_msg(self) -> Msg | None:
        """A queued message without waiting; None when there is none (or only the
        end marker, which ``next_msg`` then reports)."""
        if self._callback is None and not self._discard:
            item = self._queue.get_nowait(self)
            if isinstance(item, Msg):
                self._taken(item)
                return item
            if not isinstance(item, Subscription):  # not the "empty" default
                self._queue.put_nowait(item)  # the end marker: the last item
        return None

    async def unsubscribe(self, max_msgs: int | None = None) -> None:
        """Unsubscribe now, or after ``max_msgs`` messages in total on this sid."""
        await self._conn._unsubscribe(self, max_msgs)

    async def _unsubscribe_quietly(self) -> None:
        """Unsubscribe natskit's own subscription, unless it has ended or the connection
        is closed, also when that happens meanwhile (on another thread)."""
        if self._active and self._conn.status is not Status.CLOSED:
            try:
                await self._conn._unsubscribe(self, None)
            except (BadSubscriptionError, ConnectionClosedError):
                pass

    async def drain(self, timeout: float | None = None) -> None:
        """Stop interest, then wait until every message received was handled."""
        await self._conn._drain_sub(self, timeout)

    def __repr__(self) -> str:
        return f"<Subscription sid={self.sid} subject={self.subject!r} queue={self.queue!r}>"
