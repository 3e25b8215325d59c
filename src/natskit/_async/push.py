"""Push consumers: ``consume_push`` delivers what the server pushes to a
consumer's ``deliver_subject`` (in its ``deliver_group``) into a callback or
an iterator.

The consumer's configuration comes from ``consumer_info``. Flow control
requests are answered in order: with a callback once the messages before them
were handled, when iterating once ``next_msg`` reached them (the server then
knows the client caught up). A heartbeat reporting a stall
(``Nats-Consumer-Stalled``) is answered at once. With ``idle_heartbeat`` set,
nothing for two heartbeat intervals while connected is reported as a
``ConsumerNotActiveError`` (``last_error``, ``error_cb``); the server takes
up delivery again by itself, so nothing is restarted. A deleted consumer or
stream, or the connection closed, stops it. The ordered consumer
(``ordered.py``) has its own logic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._io_async import Queue, StateLock, TimerHandle, call_cb, call_later
from .._jsapi import ConsumerInfo
from ..errors import (
    BadSubscriptionError,
    ConsumerNotActiveError,
    ConsumerNotFoundError,
    InvalidArgError,
    JetStreamError,
)
from ..status import Status
from .consuming import ConsumeContext
from .msg import Msg
from .subscription import Item, Subscription, take_delivered

if TYPE_CHECKING:
    from .jetstream import JetStream
    from .link import Link


class PushConsumeContext(ConsumeContext):
    """A running ``consume_push()``: the messages of a push consumer, into a
    callback or through iteration and ``next_msg``; the same surface as the
    pull ``ConsumeContext`` (``stop()``, ``is_active``, ``last_error``, a
    context manager). ``info`` is the ``ConsumerInfo`` it was started from.
    """

    def __init__(
        self,
        link: Link,
        info: ConsumerInfo,
        callback: Callable[[Msg], Any] | None,
    ) -> None:
        self._link = link
        self.info = info
        self.stream = info.stream_name
        self.consumer = info.name
        self._callback = callback
        self._heartbeat = info.config.idle_heartbeat or 0.0
        self._lock = StateLock()
        self._queue: Queue[Item] = Queue()
        self._sub: Subscription | None = None
        self._timer: TimerHandle | None = None
        self._seen = -1
        self._stopped = False
        self.last_error: BaseException | None = None

    @classmethod
    async def start(
        cls,
        js: JetStream,
        link: Link,
        stream: str,
        consumer: str,
        callback: Callable[[Msg], Any] | None,
    ) -> PushConsumeContext:
        """Look the consumer up, subscribe to its deliver subject (``JetStream.consume_push``)."""
        info = await js.consumer_info(stream, consumer)
        if not info.config.deliver_subject:
            raise InvalidArgError(
                f"consumer {consumer!r} of stream {stream!r} is a pull consumer "
                "(no deliver_subject): use consume() or fetch()"
            )
        ctx = cls(link, info, callback)
        await ctx._start()
        return ctx

    async def _start(self) -> None:
        conn = self._link.conn
        cfg = self.info.config
        self._sub = await conn.subscribe(
            cfg.deliver_subject or "", queue=cfg.deliver_group, callback=self._on_msg
        )
        self._link.add_status_listener(self._on_status)
        self._arm()

    def _on_status(self, status: Status) -> None:
        if status is Status.CLOSED:
            self._link.spawn(self._stop, self._link.closed_error(), name="natskit-consume-push")

    # -- receiving ----------------------------------------------------------

    async def _on_msg(self, msg: Msg) -> None:
        if self._stopped:
            return
        if msg.status is not None and not msg.data:
            if msg.is_flow_control:
                await self._pass(msg)
            elif msg.is_idle_heartbeat:
                stalled = msg.headers.get("Nats-Consumer-Stalled")
                if stalled:
                    await self._link.publish(stalled, b"", subject_trusted=True)
            elif msg.status == 409 and "consumer deleted" in msg.description.lower():
                await self._stop(ConsumerNotFoundError(msg.description, status=409))
            else:
                self._warn(JetStreamError(f"{msg.status} {msg.description}", status=msg.status))
            return
        await self._pass(msg)

    async def _pass(self, msg: Msg) -> None:
        """Hand a message (or a flow control request) to the user, in order."""
        if self._callback is None:
            self._queue.put_nowait(msg)
        elif msg.is_flow_control:
            await self._answer(msg)
        else:
            try:
                await call_cb(self._callback, msg)
            except Exception as exc:
                what = (
                    f"the consume_push() callback (stream {self.stream!r}, "
                    f"consumer {self.consumer!r})"
                )
                self._link.callback_failed(exc, what, subject=msg.subject)

    async def _answer(self, msg: Msg) -> None:
        """Answer a flow control request (its reply subject comes from the server)."""
        if msg.reply:
            await self._link.publish(msg.reply, b"", subject_trusted=True)

    def _arm(self) -> None:
        if not self._stopped and self._heartbeat > 0:
            self._timer = call_later(2 * self._heartbeat, self._check_heartbeat)

    def _check_heartbeat(self) -> None:
        """Timer: nothing (not even a heartbeat) for two intervals while connected."""
        sub = self._sub
        if sub is None or self._stopped:
            return
        if (
            self._link.conn.status is Status.CONNECTED
            and sub.delivered == self._seen
            and not sub.pending_msgs
        ):
            self._warn(
                ConsumerNotActiveError(
                    f"no heartbeat from push consumer {self.consumer!r} of stream {self.stream!r}"
                )
            )
        self._seen = sub.delivered
        self._arm()

    # -- the user's side ----------------------------------------------------

    async def next_msg(self, timeout: float | None = None) -> Msg:
        """The next message (without a callback); ``TimeoutError`` after ``timeout`` s.

        Raises ``BadSubscriptionError`` once stopped, or the error that stopped it.
        """
        if self._callback is not None:
            raise BadSubscriptionError("next_msg() is for consume_push() without a callback")
        return await take_delivered(
            self._queue, timeout, "consume_push() was stopped", self._answer
        )
