"""Subscriptions, and the ``Router`` that hands them what the reader parsed.

A ``Subscription`` owns its delivery: the router finds it by sid and hands it
each message (counting ``max_msgs``, enforcing the pending limits, queueing
for ``next_msg`` or for its callback). The router also keeps the table that a
reconnect restores, and passes every other frame (PING, PONG, INFO, -ERR) to
the connection.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .. import _instrument
from .._accel import speedups
from .._io_async import Event, Queue, StateLock, check_blocking_allowed, monotonic
from .._protocol import (
    check_framing,
    check_queue,
    check_subject,
    decode_headers,
    sub_cmd,
    unsub_cmd,
)
from ..errors import (
    BadHeaderMsgError,
    BadSubscriptionError,
    ConnectionClosedError,
    InvalidArgError,
    NatsError,
    SlowConsumerError,
    TimeoutError,
)
from ..msg import received_maker
from ..options import Options, check_pending_limit, check_timeout
from .dispatch import Dispatcher, Lane, Slot, lanes_running, wake_lane
from .msg import Msg

if TYPE_CHECKING:
    from .link import Link

# Put in a message queue when it ends: ``None`` means stopped by the user,
# an exception instance is raised by ``next_msg``.
Item = Msg | BaseException | None
_received = received_maker(Msg)  # Msg.received, compiled where it can be
_I = TypeVar("_I", bound="MsgIterator")
_making_idle = StateLock()


def check_count(name: str, value: int | None) -> None:
    """``InvalidArgError`` unless ``value`` is None or an int >= 0."""
    if value is not None and (type(value) is not int or value < 0):
        raise InvalidArgError(f"{name} must be a non-negative integer, not {value!r}")


async def take(queue: Queue[Item], timeout: float | None, ended: str) -> Msg:
    """The next message of ``queue``; at its end marker, which stays queued for
    later calls, raise that error (``BadSubscriptionError(ended)`` for ``None``)."""
    item = await queue.get(check_timeout(timeout, None))
    if isinstance(item, Msg):
        return item
    queue.put_nowait(item)
    raise item or BadSubscriptionError(ended)


async def take_delivered(
    queue: Queue[Item],
    timeout: float | None,
    ended: str,
    answer: Callable[[Msg], Any],
) -> Msg:
    """``take`` for a push delivery: flow control requests queued among the
    messages are answered (``answer``) as they are reached, not returned."""
    while True:
        msg = await take(queue, timeout, ended)
        if not msg.is_flow_control:
            return msg
        await answer(msg)


def ends_quietly(exc: NatsError) -> bool:
    """Whether iteration ends without an error where ``next_msg`` raised ``exc``:
    not for a connection lost for good (its error has that cause)."""
    return not (isinstance(exc, ConnectionClosedError) and exc.__cause__ is not None)


class MsgIterator:
    """Iteration over ``next_msg()``: it ends where that raises
    ``BadSubscriptionError`` (unsubscribed, drained, ``max_msgs``, stopped) or
    the ``ConnectionClosedError`` of the user's own ``close()``; when the
    connection was lost for good, that error (caused by why) is raised."""

    __slots__ = ()

    async def next_msg(self, timeout: float | None = None) -> Msg:
        raise NotImplementedError

    def __aiter__(self: _I) -> _I:
        return self

    async def __anext__(self) -> Msg:
        try:
            return await self.next_msg()
        except (BadSubscriptionError, ConnectionClosedError) as exc:
            if ends_quietly(exc):
                raise StopAsyncIteration from None
            raise


class Subscription(MsgIterator, Slot):
    """Interest in a subject; returned by ``Connection.subscribe``.

    Counters: ``delivered`` counts the messages the server sent on this sid
    (the Tcl ``unsubscribe -max_msgs`` rule counts these), ``pending_msgs`` /
    ``pending_bytes`` those received but not yet returned by ``next_msg`` or
    given to the callback (the one a callback is handling is not pending, as
    nats.py counts; nats.go counts it until the callback returns), and
    ``dropped`` those discarded because the pending limits (-1: none) were
    exceeded.
    """

    __slots__ = (
        "__weakref__",
        "_active",
        "_bytes_cap",
        "_count",
        "_idle",
        "_in_bytes",
        "_in_msgs",
        "_lanes",
        "_max",
        "_msgs_cap",
        "_on_reader",
        "_out_bytes",
        "_out_msgs",
        "_queue",
        "_router",
        "_slow",
        "_traced",
        "dropped",
        "pending_bytes_limit",
        "pending_msgs_limit",
        "queue",
        "sid",
        "subject",
    )
    _sized = True

    def __init__(
        self,
        router: Router,
        sid: int,
        subject: str,
        queue: str | None,
        callback: Callable[[Any], Any] | None,
        max_msgs: int | None,
        pending_msgs_limit: int,
        pending_bytes_limit: int,
        on_reader: Callable[[Msg], None] | None = None,
        concurrency: int = 1,
    ) -> None:
        # Few objects per subscription: the garbage collector walks all of them on
        # every full pass, which shows with 10,000 subscriptions.
        Slot.__init__(self, router.dispatcher, callback)
        self._router = router
        self.sid = sid
        self.subject = subject
        self.queue = queue
        self._max = max_msgs or 0
        self._on_reader = on_reader  # natskit's own: called on the reader (request replies)
        self.pending_msgs_limit = pending_msgs_limit  # -1: no limit
        self.pending_bytes_limit = pending_bytes_limit
        self._msgs_cap = pending_msgs_limit if pending_msgs_limit >= 0 else sys.maxsize
        self._bytes_cap = pending_bytes_limit if pending_bytes_limit >= 0 else sys.maxsize
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
        self._traced = on_reader is None  # natskit's own internal ones: see untraced()
        if callback is None:
            self._queue: Queue[Item] = Queue()
        # concurrency > 1: more runners of the callback (dispatch.Lane), else None
        self._lanes = [Lane(self) for _ in range(concurrency - 1)] if concurrency > 1 else None
        self._idle: Event  # made by _end(), before _active turns False

    @property
    def delivered(self) -> int:
        """Messages the server delivered on this subscription."""
        return self._count

    @property
    def pending_msgs(self) -> int:
        """Messages received and not yet handed to ``next_msg`` or the callback."""
        return self._in_msgs - self._out_msgs

    @property
    def pending_bytes(self) -> int:
        """Payload bytes of the pending messages."""
        return self._in_bytes - self._out_bytes

    @property
    def max_msgs(self) -> int | None:
        """The number of messages after which it ends (None: no limit)."""
        return self._max or None

    @property
    def is_active(self) -> bool:
        """False once unsubscribed, drained, or its ``max_msgs`` reached."""
        return self._active

    # -- the reader's side (no awaits) ----------------------------------------

    def _deliver_special(self, msg: Msg, size: int) -> None:
        """A message with ``max_msgs`` set (the router calls natskit's own reader
        callbacks itself and hands the others straight to ``_enqueue``)."""
        self._count += 1
        if self._count > self._max:
            return
        if self._count == self._max:
            self._router.forget(self)
            self._enqueue(msg, size)
            self._end()
        else:
            self._enqueue(msg, size)

    def _enqueue(self, msg: Msg, size: int) -> None:
        """Queue ``msg`` for the user, or drop it over the pending limits."""
        if (
            self._in_msgs - self._out_msgs >= self._msgs_cap
            or self._in_bytes - self._out_bytes + size > self._bytes_cap
        ):
            self.dropped += 1
            if not self._slow:
                self._slow = True
                self._router.link.report(
                    SlowConsumerError(
                        f"slow consumer on subscription {self.sid} ({self.subject!r}): "
                        "messages dropped",
                        sid=self.sid,
                        subject=self.subject,
                    )
                )
            return
        self._slow = False
        self._in_msgs += 1
        self._in_bytes += size
        if self._callback is not None:
            self._pending.append(msg)
            if not self._scheduled:
                self._dispatcher.schedule(self)
            elif self._lanes is not None:  # busy: another lane, if one is free
                wake_lane(self._lanes)
        else:
            self._queue.put_nowait(msg)

    def _taken(self, msg: Msg, size: int) -> None:
        """Account for a message of ``size`` bytes handed to the user (by
        ``next_msg``, or to the callback about to run)."""
        self._out_msgs += 1
        self._out_bytes += size
        if not self._active and self._in_msgs == self._out_msgs and not self._running():
            self._idle.set()

    def _running(self) -> bool:
        """Whether a worker holds this subscription (or one of its lanes)."""
        if self._scheduled:
            return True
        return self._lanes is not None and lanes_running(self._lanes)

    def _ran(self) -> None:
        """The callback is done with what was taken: drained, if that was the last."""
        if (
            not self._active
            and self._in_msgs == self._out_msgs
            and (self._lanes is None or not self._running())
        ):
            self._idle.set()

    def _failed(self, msg: Msg, exc: Exception) -> None:
        what = f"the callback of subscription {self.sid} ({self.subject!r})"
        self._router.link.callback_failed(exc, what, sid=self.sid, subject=self.subject)

    def _end(self, reason: BaseException | None = None) -> None:
        """No more messages will arrive; wake readers of the queue."""
        with _making_idle:  # two threads may end it at once
            if not hasattr(self, "_idle"):
                self._idle = Event()
        self._active = False
        if self._in_msgs == self._out_msgs and not self._running():  # else _ran() will
            self._idle.set()
        if self._callback is None:
            self._queue.put_nowait(reason)

    # -- the user's side --------------------------------------------------------

    async def next_msg(self, timeout: float | None = None) -> Msg:
        """The next message; ``TimeoutError`` after ``timeout`` s (None: wait forever)."""
        if self._callback is not None:
            raise BadSubscriptionError("next_msg() is for subscriptions without a callback")
        hooks = _instrument.active
        start = hooks.now() if hooks is not None else 0
        if not self._discard:
            if timeout is not None:
                timeout = check_timeout(timeout, None)
            item = await self._queue.get(timeout)
            if isinstance(item, Msg):
                self._taken(item, len(item.data))
                if hooks is not None and self._traced:
                    hooks.receive(self._router.link.conn, item, self.subject, self.queue, start)
                return item
            self._queue.put_nowait(item)  # keep the end marker for later calls
            if item is not None:
                raise item
        raise BadSubscriptionError(f"subscription {self.sid} on {self.subject!r} has ended")

    def next_msg_nowait(self) -> Msg | None:
        """A message that has arrived, without waiting; None when there is none
        (or the subscription has ended, which ``next_msg`` then reports)."""
        if self._callback is None and not self._discard:
            item = self._queue.get_nowait(self)
            if isinstance(item, Msg):
                self._taken(item, len(item.data))
                hooks = _instrument.active
                if hooks is not None and self._traced:
                    conn = self._router.link.conn
                    hooks.receive(conn, item, self.subject, self.queue, hooks.now())
                return item
            if not isinstance(item, Subscription):  # not the "empty" default
                self._queue.put_nowait(item)  # the end marker: the last item
        return None

    async def unsubscribe(self, max_msgs: int | None = None) -> None:
        """Unsubscribe now, or after ``max_msgs`` messages in total on this sid."""
        router = self._router
        router.link.check_writable()
        check_count("max_msgs", max_msgs)
        with router.lock:
            if not router.has(self):
                raise BadSubscriptionError(f"subscription {self.sid} is not active")
            if max_msgs is None or max_msgs <= self._count:
                router.forget(self)
                self._discard = True
                self._end()
                router.link.control(unsub_cmd(self.sid))
            else:
                self._max = max_msgs
                router.link.control(unsub_cmd(self.sid, max_msgs))

    async def drain(self, timeout: float | None = None) -> None:
        """Stop interest, then wait until every message received was handled
        (up to ``timeout``, by default the ``drain_timeout`` option; None in
        both: no limit)."""
        check_blocking_allowed()
        timeout = check_timeout(timeout, self._router.options.drain_timeout)
        await self._stop_interest(timeout)
        if not await self._idle.wait(timeout):
            raise TimeoutError(f"draining subscription {self.sid} timed out")

    async def _stop_interest(self, timeout: float | None) -> None:
        """UNSUB, and let what the server sent before it arrive; end it."""
        router = self._router
        router.link.check_writable()
        if router.has(self) and router.link.control(unsub_cmd(self.sid)):
            await router.link.conn.flush(timeout)  # what was sent before UNSUB has arrived
        router.forget(self)
        self._end()

    def __repr__(self) -> str:
        return f"<Subscription sid={self.sid} subject={self.subject!r} queue={self.queue!r}>"


# The compiled route queues a Subscription's message itself in _enqueue's common case.
_delivery = None if speedups is None else speedups.Delivery(Subscription)


def untraced(sub: Subscription) -> Subscription:
    """Mark natskit's own subscription (JetStream pulls, service discovery):
    instrumentation makes no spans for its messages; returns ``sub``."""
    sub._traced = False
    return sub


async def unsubscribe_quietly(sub: Subscription) -> None:
    """Unsubscribe natskit's own subscription, unless it has ended or the
    connection is closed, also when that happens meanwhile (on another thread)."""
    if sub._active:
        try:
            await sub.unsubscribe()
        except (BadSubscriptionError, ConnectionClosedError):
            pass


async def stop_interest(sub: Subscription) -> None:
    """``drain()`` without the wait for the messages already received to be
    handled (a callback may call it for its own subscription)."""
    await sub._stop_interest(check_timeout(None, sub._router.options.drain_timeout))


class Router:
    """The subscriptions of one connection by sid, and where parsed frames go:
    messages to their subscription, every other frame to ``on_frame``."""

    def __init__(
        self,
        link: Link,
        options: Options,
        dispatcher: Dispatcher,
        lock: StateLock,
        on_frame: Callable[[Any], None],
    ) -> None:
        self.link = link
        self.options = options
        self.dispatcher = dispatcher
        self.lock = lock  # the connection's: a reconnect restores what it sees under it
        self._on_frame = on_frame
        self._subs: dict[int, Subscription] = {}
        self._sids = itertools.count(1)
        self.in_msgs = 0
        self.in_bytes = 0
        self._route = None if speedups is None else speedups.route

    def handle(self, frames: list[Any]) -> None:
        """Route what the parser returned, in order (runs on the reader)."""
        route = self._route
        if route is not None:  # the compiled twin of the loop below
            in_msgs, in_bytes = route(
                frames,
                self._subs,
                _received,
                self.link,
                self._with_headers,
                self._on_frame,
                _delivery,
            )
            self.in_msgs += in_msgs
            self.in_bytes += in_bytes
            return
        subs = self._subs
        link = self.link
        received = _received
        in_msgs = in_bytes = 0
        for frame in frames:
            if type(frame) is tuple:  # MsgFrame; the other frames are not plain tuples
                subject, sid, reply, header, payload = frame
                size = len(payload)
                in_msgs += 1
                # headers count in the connection's bytes (as out_bytes, nats.go), not in pending
                in_bytes += size if header is None else size + len(header)
                sub = subs.get(sid)
                if sub is None:
                    continue
                if header is None:
                    msg = received(subject, payload, reply, link)
                else:
                    msg = self._with_headers(subject, payload, reply, header)
                if sub._on_reader is not None:  # natskit's own (request replies, acks)
                    sub._on_reader(msg)
                elif sub._max:
                    sub._deliver_special(msg, size)
                else:  # the common case, without a call more
                    sub._count += 1
                    sub._enqueue(msg, size)
            else:
                self._on_frame(frame)
        self.in_msgs += in_msgs
        self.in_bytes += in_bytes

    def _with_headers(self, subject: str, payload: bytes, reply: str | None, header: bytes) -> Msg:
        try:
            headers, status, description = decode_headers(header)
        except BadHeaderMsgError as exc:  # still delivered, without headers
            self.link.report(exc)
            return _received(subject, payload, reply, self.link)
        return _received(subject, payload, reply, self.link, headers, status, description)

    def subscribe(
        self,
        subject: str,
        queue: str | None = None,
        callback: Callable[[Msg], Any] | None = None,
        max_msgs: int | None = None,
        pending_msgs_limit: int | None = None,
        pending_bytes_limit: int | None = None,
        concurrency: int = 1,
        on_reader: Callable[[Msg], None] | None = None,
    ) -> Subscription:
        """Check, register and send a new subscription (SUB now if connected,
        else with the others on the next connect)."""
        if type(concurrency) is not int or concurrency < 1:
            raise InvalidArgError(
                f"concurrency must be an integer of at least 1, not {concurrency!r}"
            )
        if concurrency > 1 and callback is None:
            raise InvalidArgError("concurrency is for subscriptions with a callback")
        if self.options.check_subjects:
            check_subject(subject, wildcards=True)
            if queue is not None:
                check_queue(queue)
        else:  # unchecked, but never breaking the SUB line
            check_framing(subject)
            if queue is not None:
                check_framing(queue)
        check_count("max_msgs", max_msgs)
        if pending_msgs_limit is not None:
            check_pending_limit("pending_msgs_limit", pending_msgs_limit)
        if pending_bytes_limit is not None:
            check_pending_limit("pending_bytes_limit", pending_bytes_limit)
        self.link.check_writable()
        opts = self.options
        sub = Subscription(
            self,
            next(self._sids),
            subject,
            queue,
            callback,
            max_msgs,
            opts.pending_msgs_limit if pending_msgs_limit is None else pending_msgs_limit,
            opts.pending_bytes_limit if pending_bytes_limit is None else pending_bytes_limit,
            on_reader,
            concurrency,
        )
        cmd = sub_cmd(subject, queue, sub.sid)  # before it is registered: nothing half done
        if max_msgs:
            cmd += unsub_cmd(sub.sid, max_msgs)
        with self.lock:
            self._subs[sub.sid] = sub
            self.link.control(cmd)
        return sub

    def __len__(self) -> int:
        """The subscriptions of the connection, natskit's own included."""
        return len(self._subs)

    def has(self, sub: Subscription) -> bool:
        return self._subs.get(sub.sid) is sub

    def forget(self, sub: Subscription) -> None:
        """``sub`` gets nothing more (and is not restored on reconnect)."""
        self._subs.pop(sub.sid, None)

    def restore_commands(self) -> bytes:
        """SUB (and UNSUB for what is left of ``max_msgs``) of every subscription,
        for a new connection."""
        parts = []
        for sub in list(self._subs.values()):
            parts.append(sub_cmd(sub.subject, sub.queue, sub.sid))
            if sub._max:
                parts.append(unsub_cmd(sub.sid, sub._max - sub._count))
        return b"".join(parts)

    async def drain(self, timeout: float | None) -> None:
        """UNSUB every subscription but natskit's own, let what the server sent
        before arrive, end them and wait until each has handled what it
        received (all within ``timeout``; None: no limit)."""
        subs = [s for s in list(self._subs.values()) if s._on_reader is None]
        deadline = None if timeout is None else monotonic() + timeout
        for sub in subs:
            self.link.control(unsub_cmd(sub.sid))
        await self.link.conn.flush(timeout)
        for sub in subs:
            self.forget(sub)
            sub._end()
            left = None if deadline is None else max(deadline - monotonic(), 0.0)
            if not await sub._idle.wait(left):
                raise TimeoutError("drain timed out")

    def end_all(self, reason: BaseException) -> None:
        """The connection is closed: end every subscription with ``reason``."""
        subs = list(self._subs.values())
        self._subs.clear()
        for sub in subs:
            sub._end(reason)
