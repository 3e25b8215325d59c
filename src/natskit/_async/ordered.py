"""Ordered consumers (ADR-17): every message of a stream once, in order, no gaps.

An ephemeral push consumer (no acks, flow control, idle heartbeats, memory
storage) delivers to a private inbox. The consumer sequence of each message
must be one more than the last; a heartbeat must report the last consumer
sequence seen. On a gap, or when nothing (not even a heartbeat) arrived for
three heartbeat intervals, the consumer is replaced by a new one starting after
the last stream sequence delivered. A missing stream or a closed connection
ends it.

Missed heartbeats count while the connection is down too: the reset (and its
``ConsumerNotActiveError`` in ``last_error``) comes after three intervals, and
the new consumer is created once the connection is back. A reconnect by itself
is no reason to reset: the consumer is looked up once the connection is back,
and replaced only if the server no longer has it (a restarted server lost it,
or ``inactive_threshold`` passed); if the lookup gets no answer, the heartbeats
decide.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import _instrument
from .._io_async import Event, Queue, StateLock, Task, call_cb, monotonic
from .._jsapi import ConsumerConfig, ConsumerInfo
from .._protocol import check_name
from ..errors import (
    BadSubscriptionError,
    ConnectionClosedError,
    ConsumerNotActiveError,
    ConsumerNotFoundError,
    ConsumerSequenceMismatchError,
    InvalidArgError,
    JetStreamError,
    NatsError,
    NotJSMessageError,
    StreamNotFoundError,
)
from ..options import check_timeout
from ..status import Status
from .msg import Msg
from .subscription import (
    Item,
    MsgIterator,
    Subscription,
    take_delivered,
    unsubscribe_quietly,
    untraced,
)

if TYPE_CHECKING:
    from .jetstream import JetStream
    from .link import Link

log = logging.getLogger("natskit.jetstream")

# Options of ordered_consumer() that go into the consumer configuration.
OPTIONS = frozenset(
    {
        "description",
        "headers_only",
        "deliver_policy",
        "opt_start_seq",
        "opt_start_time",
        "filter_subject",
        "filter_subjects",
        "replay_policy",
        "metadata",
    }
)
ACK_WAIT = 22 * 3600.0  # as nats.go: acks are off, so this only has to be long


class OrderedConsumer(MsgIterator):
    """A running ordered consumer; iterate it, or give ``ordered_consumer`` a callback.

    ``name`` is the current consumer's name ("" while it is being replaced),
    ``info()`` its cached ``ConsumerInfo`` (None until the server answered the
    creation; its messages may come first), ``last_error`` the reason of the
    last reset or of the stop. Resets are logged as warnings on
    ``natskit.jetstream``.
    """

    def __init__(
        self,
        js: JetStream,
        link: Link,
        stream: str,
        callback: Callable[[Msg], Any] | None,
        *,
        idle_heartbeat: float = 5.0,
        inactive_threshold: float = 2.0,
        **options: Any,
    ) -> None:
        check_name(stream, "stream name")
        unknown = sorted(set(options) - OPTIONS)
        if unknown:
            raise InvalidArgError(f"not an ordered consumer option: {', '.join(unknown)}")
        heartbeat = check_timeout(idle_heartbeat, None)
        if not heartbeat:  # the supervisor wakes up every heartbeat
            raise InvalidArgError(f"idle_heartbeat must be positive, not {idle_heartbeat!r}")
        self._js = js
        self._link = link
        self.stream = stream
        self._callback = callback
        self._heartbeat = heartbeat
        self._config = ConsumerConfig(
            **options,
            ack_policy="none",
            max_deliver=1,
            flow_control=True,
            mem_storage=True,
            num_replicas=1,
            ack_wait=ACK_WAIT,
            idle_heartbeat=idle_heartbeat,
            inactive_threshold=inactive_threshold,
        )
        self._lock = StateLock()
        self._gen = 0  # generation of the current subscription; 0: being replaced
        self._last_gen = 0
        self._stream_seq = 0  # last delivered
        self._consumer_seq = 0
        self._sub: Subscription | None = None
        self._info: ConsumerInfo | None = None
        self._name = ""  # of the current consumer: from its info or its first message
        self._queue: Queue[Item] = Queue()
        self._wake = Event()
        self._task: Task | None = None
        self._closed = False
        self._seen = (-1, 0.0)  # (sub.delivered, when it last changed)
        self._lost = False  # the connection went down (RECONNECTING)
        self._verify = False  # back again: is the consumer still there?
        self.last_error: BaseException | None = None

    @property
    def name(self) -> str:
        """The name of the current server-side consumer ("" while there is none);
        each reset makes a new one."""
        return self._name if self._gen else ""

    def info(self) -> ConsumerInfo | None:
        """The consumer info of the current consumer, as cached at its creation."""
        return self._info

    @classmethod
    async def start(
        cls,
        js: JetStream,
        link: Link,
        stream: str,
        callback: Callable[[Msg], Any] | None,
        **options: Any,
    ) -> OrderedConsumer:
        """Create the first consumer and start the supervisor (``JetStream.ordered_consumer``)."""
        oc = cls(js, link, stream, callback, **options)
        await oc._start()
        return oc

    async def _start(self) -> None:
        # Listening first: a reconnect right after the creation is not missed.
        self._link.add_status_listener(self._on_status)
        try:
            await self._create()
        except BaseException:
            self._link.remove_status_listener(self._on_status)
            raise
        self._task = self._link.spawn(self._supervise, name="natskit-ordered-consumer")

    def _on_status(self, status: Status) -> None:
        """Wake the supervisor when the connection is back (or closed).

        Runs under the connection's lock: it only sets flags.
        """
        if status is Status.RECONNECTING:
            self._lost = True
        elif status is Status.CONNECTED and self._lost:
            self._lost = False
            self._verify = True
            self._wake.set()
        elif status is Status.CLOSED:
            self._wake.set()

    async def _create(self) -> None:
        """Subscribe to a new inbox and create the consumer delivering to it."""
        conn = self._link.conn
        with self._lock:
            self._last_gen += 1
            gen = self._last_gen
            self._info, self._name = None, ""  # never the previous consumer's
            cfg = dataclasses.replace(self._config)
            if self._stream_seq:
                cfg.deliver_policy = "by_start_sequence"
                cfg.opt_start_seq = self._stream_seq + 1
                cfg.opt_start_time = None
        # Outside our lock: the connection's lock is never taken inside it.
        sub = untraced(
            await conn.subscribe(conn.new_inbox(), callback=functools.partial(self._on_msg, gen))
        )
        cfg.deliver_subject = sub.subject
        with self._lock:
            self._sub, self._gen, self._consumer_seq = sub, gen, 0
        self._seen = (-1, monotonic())
        try:
            info = await self._js.add_consumer(self.stream, cfg)
        except BaseException:
            await self._drop_sub()
            raise
        with self._lock:
            self._info, self._name = info, info.name

    async def _drop_sub(self) -> None:
        with self._lock:
            sub, self._sub, self._gen = self._sub, None, 0
        if sub is not None:
            await unsubscribe_quietly(sub)

    # -- receiving (dispatcher) ---------------------------------------------

    async def _on_msg(self, gen: int, msg: Msg) -> None:
        if gen != self._gen:
            return
        if msg.status is not None and not msg.data:
            if msg.is_flow_control and msg.reply:
                await self._pass(msg)
            elif msg.is_idle_heartbeat:
                stalled = msg.headers.get("Nats-Consumer-Stalled")
                if stalled:
                    await self._link.publish(stalled, b"", subject_trusted=True)
                last = msg.headers.get("Nats-Last-Consumer")
                if last is not None and last.isdigit() and int(last) != self._consumer_seq:
                    self._reset(
                        ConsumerSequenceMismatchError(
                            f"heartbeat reports consumer sequence {last}, "
                            f"last delivered {self._consumer_seq}"
                        )
                    )
            else:
                self._reset(JetStreamError(f"{msg.status} {msg.description}", status=msg.status))
            return
        try:
            meta = msg.metadata
        except NotJSMessageError:
            return
        with self._lock:
            if gen != self._gen:
                return
            if meta.consumer_seq != self._consumer_seq + 1:
                expected = self._consumer_seq + 1
                ok = False
            else:
                self._consumer_seq, self._stream_seq = meta.consumer_seq, meta.stream_seq
                self._name = self._name or meta.consumer  # before the creation's reply
                ok = True
        if not ok:
            self._reset(
                ConsumerSequenceMismatchError(
                    f"consumer sequence {meta.consumer_seq}, expected {expected}"
                )
            )
        else:
            await self._pass(msg)

    async def _pass(self, msg: Msg) -> None:
        """Hand a message (or a flow control request) to the user, in order."""
        if self._callback is None:
            self._queue.put_nowait(msg)
        elif msg.is_flow_control:
            await self._answer(msg)
        else:
            try:
                hooks = _instrument.active
                if hooks is None:
                    await call_cb(self._callback, msg)
                else:
                    with hooks.process(self._link.conn, msg, None, None):
                        await call_cb(self._callback, msg)
            except Exception as exc:
                self.report_callback_error(exc, "the ordered consumer callback", msg.subject)

    def report_callback_error(self, exc: Exception, what: str, subject: str = "") -> None:
        """Report that a callback fed from this consumer raised ``exc``: a
        ``CallbackError`` to the connection's ``error_cb`` (or, without one, as
        an unhandled exception); the consumer goes on."""
        self._link.callback_failed(exc, f"{what} (stream {self.stream!r})", subject=subject)

    async def _answer(self, msg: Msg) -> None:
        """Answer a flow control request (its reply subject comes from the server)."""
        await self._link.publish(msg.reply or "", b"", subject_trusted=True)

    def _reset(self, reason: NatsError) -> None:
        """Ignore the current consumer from now on; the supervisor replaces it."""
        with self._lock:
            self._gen = 0
        self.last_error = reason
        log.warning("ordered consumer on %s resets: %s", self.stream, reason)
        self._wake.set()

    # -- supervisor (its own task) ------------------------------------------

    async def _supervise(self) -> None:
        conn = self._link.conn
        while not self._closed:
            await self._wake.wait(self._heartbeat)
            self._wake.clear()
            if self._closed:
                return
            if conn.status is Status.CLOSED:
                await self._stop(self._link.closed_error())
                return
            if self._verify and conn.status is Status.CONNECTED:
                self._verify = False
                if self._gen:
                    await self._check_consumer()
            if self._gen and self._heartbeats_missed():
                down = "" if conn.status is Status.CONNECTED else ", disconnected"
                self._reset(
                    ConsumerNotActiveError(
                        f"no heartbeat for {3 * self._heartbeat:g} s (stream {self.stream}{down})"
                    )
                )
            # A consumer cannot be created while disconnected: wait for the reconnect.
            if self._gen == 0 and conn.status is Status.CONNECTED:
                await self._replace()

    def _heartbeats_missed(self) -> bool:
        """Nothing came for three heartbeat intervals (connected or not)."""
        sub, now = self._sub, monotonic()
        if sub is None:
            return False
        if sub.delivered != self._seen[0] or sub.pending_msgs:
            self._seen = (sub.delivered, now)
            return False
        return now - self._seen[1] >= 3 * self._heartbeat

    async def _check_consumer(self) -> None:
        """After a reconnect: replace the consumer at once if the server lost it.

        The heartbeats are counted afresh from here: the server resumes them once
        it has the resubscription. If the lookup fails otherwise, they decide.
        """
        gen, name, sub = self._gen, self.name, self._sub
        self._seen = (sub.delivered if sub is not None else -1, monotonic())
        try:
            await self._js.consumer_info(self.stream, name)
        except (ConsumerNotFoundError, StreamNotFoundError):
            if gen == self._gen:  # not reset meanwhile
                self._reset(ConsumerNotActiveError(f"consumer {name} is gone after a reconnect"))
        except NatsError as exc:
            log.debug("ordered consumer on %s: no consumer info: %s", self.stream, exc)

    async def _replace(self) -> None:
        await self._drop_sub()
        try:
            await self._create()
        except (StreamNotFoundError, ConnectionClosedError) as exc:
            await self._stop(exc)
        except NatsError as exc:  # e.g. a timeout: try again at the next tick
            self.last_error = exc
            log.warning("ordered consumer on %s: cannot recreate: %s", self.stream, exc)

    async def _stop(self, reason: BaseException | None) -> None:
        self._closed = True
        self._link.remove_status_listener(self._on_status)
        if reason is not None:
            self.last_error = reason
            log.warning("ordered consumer on %s stops: %s", self.stream, reason)
        self._queue.put_nowait(reason)
        await self._drop_sub()

    # -- the user's side ----------------------------------------------------

    async def next_msg(self, timeout: float | None = None) -> Msg:
        """The next message (without a callback); ``TimeoutError`` after ``timeout`` s.

        Raises ``BadSubscriptionError`` once closed, or the error that stopped it.
        """
        if self._callback is not None:
            raise BadSubscriptionError("next_msg() is for ordered consumers without a callback")
        return await take_delivered(
            self._queue, timeout, "the ordered consumer was closed", self._answer
        )

    async def close(self) -> None:
        """Stop receiving; the server removes the consumer after ``inactive_threshold``."""
        if self._closed:
            return
        self._closed = True
        self._link.remove_status_listener(self._on_status)
        self._wake.set()
        if self._task is not None:
            await self._task.join()
        self._queue.put_nowait(None)
        await self._drop_sub()

    async def __aenter__(self) -> OrderedConsumer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class InitialData:
    """Where the initial data of a watch ends (an ordered consumer started at the
    stored messages): after the message the server reports nothing pending behind,
    or once as many came as were pending at the start; with ``updates_only`` (or
    nothing stored) at once. ``take_marker()`` is True once, then."""

    __slots__ = ("_done", "_due", "_initial", "_received")

    def __init__(self, oc: OrderedConsumer, updates_only: bool) -> None:
        info = oc.info()
        self._initial = info.num_pending if info is not None else 0
        self._received = 0
        self._done = self._due = updates_only or self._initial == 0

    def seen(self, num_pending: int | None) -> None:
        """A message came, with ``num_pending`` more behind it."""
        self._received += 1
        if not self._done and (num_pending == 0 or self._received >= self._initial):
            self._done = self._due = True

    def take_marker(self) -> bool:
        """True once, when the end of the initial data is to be handed out."""
        due, self._due = self._due, False
        return due
