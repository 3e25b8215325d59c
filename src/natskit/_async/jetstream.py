"""``JetStream``: publishing with acks, pulling, acks; management and Key-Value from mixins.

Created by ``Connection.jetstream()``. Every request uses ``timeout`` unless a
method takes its own; ``domain=`` or ``api_prefix=`` pick another JetStream
(ADR-19), ``trace=True`` logs each API request and reply at debug level on the
``natskit.jetstream`` logger.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .. import _instrument
from .._io_async import Future, check_callback, monotonic, sleep
from .._jsapi import PubAck
from .._jsapi.api import prefix_for, pub_ack, publish_headers
from .._jsapi.directget import batch_request, multi_last_request
from .._jsapi.priority import PullPriority
from .._jsapi.publishing import BATCH_LIMIT, require_server
from ..errors import NoRespondersError, TimeoutError
from ..msg import HeadersArg, MsgBase, headers_of
from ..options import check_timeout
from .acks import AckWindow, PendingAck
from .batch import Batch, publish_batch
from .consuming import ConsumeContext
from .counter import Counter, open_counter
from .directget import get_batch, get_last, iter_batches
from .jsmanage import JetStreamManager, log
from .kvmanage import KeyValueManager
from .msg import ACK, WPI, Msg, nak_body, send_ack, term_body
from .objstore import ObjectStoreManager
from .ordered import OrderedConsumer
from .pull import PullConsumeContext, fetch
from .push import PushConsumeContext
from .schedule import publish_schedule

if TYPE_CHECKING:
    from .link import Link

Payload = bytes | bytearray | memoryview | str

# ADR-22: a publish that meets no responders is sent again twice, 250 ms apart.
RETRY_WAIT = 0.25
RETRY_ATTEMPTS = 2
MAX_PENDING_ACKS = 4000


class JetStream(JetStreamManager, KeyValueManager, ObjectStoreManager):
    """The JetStream API of a connection (``nc.jetstream(...)``)."""

    def __init__(
        self,
        link: Link,
        *,
        timeout: float = 5.0,
        domain: str | None = None,
        api_prefix: str | None = None,
        trace: bool = False,
    ) -> None:
        self._link = link
        self._conn = link.conn
        self._timeout = check_timeout(timeout, 5.0) or 5.0
        self._prefix = prefix_for(domain, api_prefix)
        self._trace = trace
        self.max_pending_acks = MAX_PENDING_ACKS
        self.max_batch_size = BATCH_LIMIT  # the server's default (ADR-50); learnt when it says
        self._acks = AckWindow(link.replies)
        self._pins: dict[tuple[str, str, str], str] = {}  # ADR-42 pin ids held by fetch

    # -- publishing ---------------------------------------------------------

    async def publish(
        self,
        subject: str,
        payload: Payload = b"",
        *,
        headers: HeadersArg = None,
        stream: str | None = None,
        msg_id: str | None = None,
        expected_last_seq: int | None = None,
        expected_last_subject_seq: int | None = None,
        expected_last_msg_id: str | None = None,
        timeout: float | None = None,
        ttl: float | str | None = None,
        expected_last_subject_seq_subject: str | None = None,
    ) -> PubAck:
        """Publish to a stream and return the server's ``PubAck``.

        ``stream`` makes the server check the subject belongs to that stream;
        ``msg_id`` enables duplicate detection (``PubAck.duplicate``); the
        ``expected_*`` arguments are optimistic-concurrency checks
        (``WrongLastSequenceError``; ``expected_last_subject_seq_subject``
        applies ``expected_last_subject_seq`` to that subject, wildcards
        allowed). ``ttl`` is the message's own time to live (ADR-43): seconds,
        at least 1, or ``"never"``; the stream needs ``allow_msg_ttl``.
        ``NoRespondersError`` when no stream
        stores ``subject``, after two retries 250 ms apart (ADR-22).
        """
        hdrs = publish_headers(
            headers,
            stream=stream,
            msg_id=msg_id,
            expected_last_seq=expected_last_seq,
            expected_last_subject_seq=expected_last_subject_seq,
            expected_last_msg_id=expected_last_msg_id,
            ttl=ttl,
            expected_last_subject_seq_subject=expected_last_subject_seq_subject,
        )
        if ttl is not None:
            require_server(self._conn.server_info, "per-message TTL")
        hooks = _instrument.active
        if hooks is None:
            return await self._publish(subject, payload, hdrs, timeout)
        with hooks.send("js_publish", self._conn, subject, payload, hdrs, msg_id) as op:
            ack = await self._publish(subject, payload, op.headers, timeout)
            op.result(ack)
            return ack

    async def _publish(
        self, subject: str, payload: Payload, hdrs: HeadersArg, timeout: float | None
    ) -> PubAck:
        timeout = check_timeout(timeout, self._timeout) or 0.0
        deadline = monotonic() + timeout
        if self._trace:
            log.debug(">>> %s (%d bytes, headers %r)", subject, len(payload), hdrs)
        attempt = 0
        while True:
            try:
                reply = await self._conn.request(
                    subject, payload, headers=hdrs, timeout=max(deadline - monotonic(), 0.0)
                )
                break
            except NoRespondersError:
                attempt += 1
                if attempt > RETRY_ATTEMPTS or monotonic() + RETRY_WAIT >= deadline:
                    raise NoRespondersError(
                        f"no stream stores {subject!r} (no responders)"
                    ) from None
                await sleep(RETRY_WAIT)
        if self._trace:
            log.debug("<<< %s %s", subject, reply.data.decode(errors="replace"))
        return pub_ack(reply.data, f"publish to {subject!r}")

    async def publish_msg(self, msg: MsgBase, **options: Any) -> PubAck:
        """``publish`` with the subject, data and headers of ``msg``."""
        return await self.publish(msg.subject, msg.data, headers=headers_of(msg), **options)

    async def publish_future(
        self,
        subject: str,
        payload: Payload = b"",
        *,
        headers: HeadersArg = None,
        stream: str | None = None,
        msg_id: str | None = None,
        expected_last_seq: int | None = None,
        expected_last_subject_seq: int | None = None,
        expected_last_msg_id: str | None = None,
        timeout: float | None = None,
        ttl: float | str | None = None,
        expected_last_subject_seq_subject: str | None = None,
    ) -> Future[PubAck]:
        """Publish without waiting for the ack: return a future of the ``PubAck``.

        At most ``max_pending_acks`` (4000) acks are awaited at a time; beyond
        that this call waits for room (``TimeoutError`` after ``timeout``).
        ``publish_async_complete()`` waits for every outstanding ack. In
        ``natskit.aio`` the method is also named ``publish_async``; the future
        is an ``asyncio.Future`` there and a ``concurrent.futures.Future`` in
        the blocking API, whose done callbacks run on the connection's reader
        thread (they must not block). No retries on no responders: the future
        fails with ``NoRespondersError``.
        """
        hdrs = publish_headers(
            headers,
            stream=stream,
            msg_id=msg_id,
            expected_last_seq=expected_last_seq,
            expected_last_subject_seq=expected_last_subject_seq,
            expected_last_msg_id=expected_last_msg_id,
            ttl=ttl,
            expected_last_subject_seq_subject=expected_last_subject_seq_subject,
        )
        if ttl is not None:
            require_server(self._conn.server_info, "per-message TTL")
        timeout = check_timeout(timeout, self._timeout) or 0.0
        window = self._acks
        if not window.take(self.max_pending_acks):
            await window.reserve(self.max_pending_acks, timeout)
        ack = PendingAck(window, subject, timeout)
        link = self._link
        replies = link.replies
        reply = None
        hooks = _instrument.active
        try:
            reply = replies.register(ack)
            window.track(ack, reply)
            if hooks is None:
                if link.queue(subject, payload, reply, hdrs):
                    await link.drain()
            else:  # the span is the send: the ack comes to the future
                with hooks.send(
                    "js_publish_async", self._conn, subject, payload, hdrs, msg_id
                ) as op:
                    await self._link.publish(subject, payload, reply=reply, headers=op.headers)
        except BaseException:
            if reply is not None:
                replies.forget(reply)
            window.finish(ack)  # the error is raised here, the future is dropped
            raise
        return ack.result

    publish_async = publish_future  # unasync: remove

    @property
    def publish_async_pending(self) -> int:
        """Acks of ``publish_future`` (also ``publish_async`` in ``natskit.aio``) not yet
        received."""
        return self._acks.in_flight

    async def publish_async_complete(self, timeout: float | None = None) -> None:
        """Wait until every ack of ``publish_future`` (``publish_async``) has arrived."""
        if not await self._acks.all_acked.wait(check_timeout(timeout, None)):
            raise TimeoutError(f"{self._acks.in_flight} publish acks still outstanding")

    # -- atomic batches (ADR-50) --------------------------------------------

    async def publish_batch(
        self,
        messages: Iterable[MsgBase | tuple[str, Payload]],
        *,
        timeout: float | None = None,
    ) -> PubAck:
        """Publish ``messages`` (``Msg`` objects or ``(subject, payload)`` pairs)
        as one atomic batch: the server stores all of them or none
        (``BatchError`` with its reason). The stream needs ``allow_atomic``.
        Each message is checked before anything is sent; more than
        ``max_batch_size`` (the server's limit, 1000 by default) is an
        ``InvalidArgError``. Returns the commit's ``PubAck``."""
        return await publish_batch(self, self._link, messages, timeout)

    def batch(self, *, timeout: float | None = None) -> Batch:
        """A new atomic batch (ADR-50): ``add(subject, payload, *, headers,
        **expect)`` its messages, then ``commit()`` for the ``PubAck``. Use it as
        a context manager: leaving the block without ``commit()`` abandons the
        batch (nothing of it is stored)."""
        return Batch(self, self._link, timeout)

    async def counter(self, stream: str) -> Counter:
        """The counters of ``stream`` (ADR-49; created with ``allow_msg_counter``):
        ``add(subject, delta=1)``, ``get(subject)``, ``get_many(subjects)``, on
        ``int`` values of any size. ``StreamNotFoundError`` if there is no such
        stream, ``JetStreamError`` if it holds no counters."""
        return await open_counter(self, self._link, stream)

    async def publish_schedule(
        self,
        subject: str,
        payload: Payload = b"",
        *,
        target: str,
        at: datetime | None = None,
        every: float | None = None,
        cron: str | None = None,
        ttl: float | str | None = None,
        headers: HeadersArg = None,
    ) -> PubAck:
        """Store a schedule on ``subject`` (ADR-51): the server publishes
        ``payload`` and ``headers`` to ``target`` (a subject of the same stream)
        once ``at`` (a future ``datetime``; naive means UTC), every ``every``
        seconds (at least 1) or on the 6-field ``cron`` expression (or
        ``@hourly``, ``@daily``, ...), in UTC: exactly one of the three.
        ``ttl`` (seconds or ``"never"``) is the produced messages' TTL. The
        stream needs ``allow_msg_schedules`` (and ``allow_msg_ttl`` for ``ttl``).
        Publishing to ``subject`` again replaces the schedule; purging it ends it."""
        return await publish_schedule(
            self,
            self._link,
            subject,
            payload,
            target=target,
            at=at,
            every=every,
            cron=cron,
            ttl=ttl,
            headers=headers,
        )

    # -- pulling ------------------------------------------------------------

    async def fetch(
        self,
        stream: str,
        consumer: str,
        batch: int = 1,
        timeout: float | None = None,
        *,
        max_bytes: int | None = None,
        heartbeat: float | None = None,
        group: str | None = None,
        min_pending: int | None = None,
        min_ack_pending: int | None = None,
        priority: int | None = None,
    ) -> list[Msg]:
        """Pull up to ``batch`` messages from a pull consumer.

        Without ``timeout``, only what is available now (``no_wait``).
        With it, wait up to ``timeout`` s; the server ends the pull 10 ms
        earlier, so an empty list means "nothing came". ``TimeoutError`` only
        when the client-side timeout fires with nothing received (after
        checking the stream and consumer exist: ``StreamNotFoundError``,
        ``ConsumerNotFoundError``, ``JetStreamNotEnabledError``). ``heartbeat``
        asks the server for idle heartbeats; two missed raise
        ``ConsumerNotActiveError``.

        A consumer with priority groups (ADR-42) needs ``group``; the overflow
        policy takes ``min_pending`` / ``min_ack_pending``, the prioritized one
        ``priority`` (0-9, lower first). With ``pinned_client`` the pin id the
        server gave is kept (per stream, consumer and group of this context)
        and sent with later pulls; when it is stale (423) it is forgotten and
        the pull goes again without it.
        """
        prio = PullPriority.of(
            group, min_pending, min_ack_pending, priority, self._conn.server_info
        )
        return await self._fetch(stream, consumer, batch, timeout, max_bytes, heartbeat, prio)

    async def _fetch(
        self,
        stream: str,
        consumer: str,
        batch: int,
        timeout: float | None,
        max_bytes: int | None,
        heartbeat: float | None,
        prio: PullPriority | None,
    ) -> list[Msg]:
        args = (stream, consumer, batch, timeout, max_bytes, heartbeat, prio, self._pins)
        hooks = _instrument.active
        if hooks is None:
            return await fetch(self, self._link, *args)
        with hooks.fetch(self._conn, stream, consumer, batch) as op:
            msgs = await fetch(self, self._link, *args)
            op.result(msgs)
            return msgs

    async def next(
        self,
        stream: str,
        consumer: str,
        timeout: float | None = None,
        *,
        group: str | None = None,
        min_pending: int | None = None,
        min_ack_pending: int | None = None,
        priority: int | None = None,
    ) -> Msg:
        """The next message of a pull consumer; ``TimeoutError`` if none within
        ``timeout``. ``group`` and the rest as for ``fetch``."""
        wait = check_timeout(timeout, self._timeout) or 0.0
        prio = PullPriority.of(
            group, min_pending, min_ack_pending, priority, self._conn.server_info
        )
        msgs = await self._fetch(stream, consumer, 1, wait, None, None, prio)
        if not msgs:
            raise TimeoutError(f"no message from {stream}/{consumer} within {wait} s")
        return msgs[0]

    async def consume(
        self,
        stream: str,
        consumer: str,
        callback: Callable[[Msg], Any] | None = None,
        *,
        max_messages: int | None = None,
        max_bytes: int | None = None,
        expires: float = 30.0,
        heartbeat: float | None = None,
        threshold: int | None = None,
        group: str | None = None,
        min_pending: int | None = None,
        min_ack_pending: int | None = None,
        priority: int | None = None,
    ) -> ConsumeContext:
        """Pull continuously (ADR-37) into ``callback``, or iterate the result.

        ``max_messages`` (default 500) or ``max_bytes`` bound what is requested
        ahead; a new pull goes out when it falls to ``threshold`` (default
        half). ``heartbeat`` defaults to half of ``expires``, at most 30 s.
        ``group``, ``min_pending``, ``min_ack_pending`` and ``priority`` as for
        ``fetch``; the pin id of a ``pinned_client`` consumer is the context's
        own (``ConsumeContext.pin_id``).
        """
        check_callback(callback, "callback")
        prio = PullPriority.of(
            group, min_pending, min_ack_pending, priority, self._conn.server_info
        )
        return await PullConsumeContext.start(
            self,
            self._link,
            stream,
            consumer,
            callback,
            max_messages=max_messages,
            max_bytes=max_bytes,
            expires=expires,
            heartbeat=heartbeat,
            threshold=threshold,
            priority=prio,
        )

    async def consume_push(
        self, stream: str, consumer: str, callback: Callable[[Msg], Any] | None = None
    ) -> ConsumeContext:
        """Receive what push consumer ``consumer`` delivers (its ``deliver_subject``,
        in its ``deliver_group``) into ``callback``, or iterate the result.
        Flow control requests are answered once the messages before them were
        handled; with ``idle_heartbeat`` set, two missed heartbeats are a
        ``ConsumerNotActiveError`` in ``last_error`` and ``error_cb``. A pull
        consumer is an ``InvalidArgError``."""
        check_callback(callback, "callback")
        return await PushConsumeContext.start(self, self._link, stream, consumer, callback)

    async def ordered_consumer(
        self, stream: str, callback: Callable[[Msg], Any] | None = None, **options: Any
    ) -> OrderedConsumer:
        """Start an ordered consumer of ``stream`` (ADR-17) and return it.

        It delivers the stream's messages in order, each once, without acks:
        to ``callback``, or through iteration and ``next_msg`` of the
        ``OrderedConsumer``. On a gap or when heartbeats stop it makes a new
        server-side consumer from where it was. Options: ``description``,
        ``headers_only``, ``deliver_policy``, ``opt_start_seq``,
        ``opt_start_time``, ``filter_subject``, ``filter_subjects``,
        ``replay_policy``, ``metadata`` (as in ``ConsumerConfig``),
        ``idle_heartbeat`` (5 s) and ``inactive_threshold`` (2 s).
        ``StreamNotFoundError`` if the stream does not exist.
        """
        check_callback(callback, "callback")
        return await OrderedConsumer.start(self, self._link, stream, callback, **options)

    # -- direct gets in batches (ADR-31 rev 2, server 2.11+) -----------------

    async def stream_direct_get_batch(
        self,
        stream: str,
        *,
        seq: int | None = None,
        subject: str | None = None,
        batch: int = 100,
        max_bytes: int | None = None,
        start_time: datetime | None = None,
    ) -> list[Msg]:
        """Up to ``batch`` stored messages in one request, served by any replica.

        From sequence ``seq`` (default 1) or the first message at or after
        ``start_time``, of ``subject`` (a subject or pattern; default all),
        at most ``max_bytes`` bytes. ``[]`` when nothing matches. The stream
        needs ``allow_direct``; a server before 2.11 is a ``JetStreamError``.
        """
        req = batch_request(
            seq=seq, subject=subject, batch=batch, max_bytes=max_bytes, start_time=start_time
        )
        return (await get_batch(self, stream, req))[0]

    async def iter_stream_direct_get(
        self,
        stream: str,
        *,
        seq: int | None = None,
        subject: str | None = None,
        batch: int = 100,
        max_bytes: int | None = None,
        start_time: datetime | None = None,
    ) -> AsyncIterator[Msg]:
        """Yield the stored messages ``stream_direct_get_batch`` selects, batch after
        batch of ``batch`` messages, until the end of the stream (any size)."""
        req = batch_request(
            seq=seq, subject=subject, batch=batch, max_bytes=max_bytes, start_time=start_time
        )
        async for msg in iter_batches(self, stream, req):  # noqa: UP028, RUF100 (the blocking twin)
            yield msg

    async def stream_direct_get_last(
        self,
        stream: str,
        subjects: str | Iterable[str],
        *,
        up_to_seq: int | None = None,
        up_to_time: datetime | None = None,
    ) -> dict[str, Msg]:
        """The last message of each subject matching ``subjects`` (subjects or
        patterns), by subject: a consistent read of the stream as it is now, or
        as it was at sequence ``up_to_seq`` or time ``up_to_time``. Subjects
        without a message are left out; one request may match up to 1024
        subjects (more is a ``JetStreamError``)."""
        req = multi_last_request(subjects, up_to_seq=up_to_seq, up_to_time=up_to_time)
        return await get_last(self, stream, req)

    # -- acks -----------------------------------------------------------------

    async def ack(self, msg: MsgBase) -> None:
        """Acknowledge ``msg`` (``Msg.ack``)."""
        await send_ack(self._link, msg, ACK)

    async def ack_sync(self, msg: MsgBase) -> None:
        """Acknowledge and wait for the server's confirmation (up to ``timeout``)."""
        await send_ack(self._link, msg, ACK, sync=True, timeout=self._timeout)

    async def nak(self, msg: MsgBase, delay: float | None = None) -> None:
        """Ask for redelivery of ``msg``, at once or after ``delay`` seconds."""
        await send_ack(self._link, msg, nak_body(delay))

    async def in_progress(self, msg: MsgBase) -> None:
        """Reset the ack timer of ``msg``: it is being worked on."""
        await send_ack(self._link, msg, WPI)

    async def term(self, msg: MsgBase, reason: str | None = None) -> None:
        """Stop redelivery of ``msg``, with an optional ``reason``."""
        await send_ack(self._link, msg, term_body(reason))

    def __repr__(self) -> str:
        return f"<JetStream {self._prefix} timeout={self._timeout}>"
