"""Pull consumers: ``fetch`` (ADR-13) and continuous ``consume`` (ADR-37)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import _instrument
from .._io_async import (
    Queue,
    StateLock,
    TimerHandle,
    call_cb,
    call_later,
    check_blocking_allowed,
    monotonic,
    sleep,
)
from .._jsapi.api import Pull, encode, fetch_expiry, pending_counts, pull_request, pull_status
from .._jsapi.priority import PIN_HEADER, PullPriority, priority_error_or
from .._protocol import check_name, encode_headers
from ..errors import (
    BadSubscriptionError,
    ConnectionClosedError,
    ConsumerNotActiveError,
    ConsumerNotFoundError,
    InvalidArgError,
    JetStreamError,
    NatsError,
    StreamNotFoundError,
    TimeoutError,
)
from ..msg import headers_of
from ..options import check_timeout
from ..status import Status
from .consuming import ConsumeContext
from .msg import Msg
from .subscription import Item, Subscription, take, unsubscribe_quietly, untraced

if TYPE_CHECKING:
    from .jetstream import JetStream
    from .link import Link

log = logging.getLogger("natskit.jetstream")

# With max_bytes only, the batch of each pull is this large (ADR-37).
BYTES_ONLY_BATCH = 1_000_000


async def send_pull(
    js: JetStream, link: Link, stream: str, consumer: str, req: dict[str, Any], inbox: str
) -> None:
    """Publish a ``CONSUMER.MSG.NEXT`` request whose messages go to ``inbox``
    (natskit's own message: no span, no trace context)."""
    subject = f"{js.api_prefix}.CONSUMER.MSG.NEXT.{stream}.{consumer}"
    data = encode(req)
    if js.trace:
        log.debug(">>> %s %s (reply %s)", subject, data.decode(), inbox)
    await link.publish(subject, data, reply=inbox)


async def fetch(
    js: JetStream,
    link: Link,
    stream: str,
    consumer: str,
    batch: int,
    timeout: float | None,
    max_bytes: int | None,
    heartbeat: float | None,
    prio: PullPriority | None = None,
    pins: dict[tuple[str, str, str], str] | None = None,
) -> list[Msg]:
    """``JetStream.fetch`` (see there); with ``prio`` a pull of a priority group,
    holding the pin id of ``pins`` (the context's, by stream, consumer, group)."""
    check_blocking_allowed()
    check_name(stream, "stream name")
    check_name(consumer, "consumer name")
    timeout = check_timeout(timeout, None)
    heartbeat = check_timeout(heartbeat, None)
    if timeout is None:
        req = pull_request(batch, no_wait=True, max_bytes=max_bytes)
        wait = js.timeout
    else:
        req = pull_request(
            batch, expires=fetch_expiry(timeout), max_bytes=max_bytes, heartbeat=heartbeat
        )
        wait = timeout
    pins = {} if pins is None else pins
    key = (stream, consumer, prio.group if prio is not None else "")
    base = req
    if prio is not None:
        req = {**base, **prio.fields(pins.get(key))}
    conn = js.connection
    sub = untraced(await conn.subscribe(conn.new_inbox()))
    msgs: list[Msg] = []
    failure: NatsError = TimeoutError(f"fetch from {stream}/{consumer} timed out after {wait} s")
    try:
        await send_pull(js, link, stream, consumer, req, sub.subject)
        deadline = monotonic() + wait
        # two heartbeats missed while the pull should still run: it is lost
        lost_after = 2 * heartbeat if heartbeat is not None and timeout is not None else None
        while len(msgs) < batch:
            msg = sub.next_msg_nowait()  # what has arrived is taken without waiting
            if msg is None:
                left = deadline - monotonic()
                if left <= 0:
                    break
                watch = False
                if lost_after is not None and lost_after < left:
                    watch, left = True, lost_after
                try:
                    msg = await sub.next_msg(left)
                except TimeoutError:
                    if not watch:
                        break
                    if msgs:
                        return msgs
                    raise ConsumerNotActiveError(
                        f"no heartbeat from consumer {consumer!r} of stream {stream!r}"
                    ) from None
                except ConnectionClosedError:
                    if conn.last_error is None:  # closed by the user
                        raise
                    if msgs:
                        return msgs
                    raise TimeoutError("the connection was lost during the fetch") from None
            if js.trace and msg.status is not None:
                log.debug("<<< %s %s %s", sub.subject, msg.status, msg.description)
            if msg.status is None or msg.data:
                pin = msg.headers.get(PIN_HEADER) if prio is not None else None
                if pin:
                    pins[key] = pin
                msgs.append(msg)
            elif msg.status == 423 and prio is not None:
                # ADR-42: the pin id was stale; forget it and pull as a candidate
                pins.pop(key, None)
                if msgs or (timeout is not None and deadline - monotonic() < 0.02):
                    return msgs
                req = {**base, **prio.fields(None)}
                if timeout is not None:
                    req["expires"] = round((deadline - monotonic() - 0.01) * 1e9)
                    if 2 * req.get("idle_heartbeat", 0) > req["expires"]:
                        req.pop("idle_heartbeat")
                await send_pull(js, link, stream, consumer, req, sub.subject)
            elif msg.status != 100:
                kind, err = pull_status(msg.status, msg.description)
                if kind is Pull.END or msgs or err is None:
                    return msgs
                if msg.status != 503:
                    about = f"consumer {consumer!r} of stream {stream!r}"
                    raise priority_error_or(msg.status, msg.description, about, err)
                failure = err
                break
        if msgs:
            return msgs
    finally:
        await unsubscribe_quietly(sub)
    # A missing stream or consumer gets no reply or "no responders" (503):
    # consumer_info raises the precise error.
    await js.consumer_info(stream, consumer)
    raise failure


class PullConsumeContext(ConsumeContext):
    """A running ``consume()``: continuous pulls into a callback or an iterator (ADR-37).

    Up to ``max_messages`` (or ``max_bytes``) are requested ahead: those
    outstanding at the server plus those received and not yet handled. When
    that falls to ``threshold``, a pull fills it up again. Idle heartbeats are
    watched: when two are missed while a pull is outstanding, the counts are
    reset and a new pull is sent (the error goes to the connection's
    ``error_cb`` and to ``last_error``). A status meaning the consumer is gone
    (409 Consumer Deleted, ...) stops it, and iteration raises that error.
    """

    def __init__(
        self,
        js: JetStream,
        link: Link,
        stream: str,
        consumer: str,
        callback: Callable[[Msg], Any] | None,
        *,
        max_messages: int | None,
        max_bytes: int | None,
        expires: float,
        heartbeat: float | None,
        threshold: int | None,
        priority: PullPriority | None = None,
    ) -> None:
        check_name(stream, "stream name")
        check_name(consumer, "consumer name")
        if max_messages is not None and max_bytes is not None:
            raise InvalidArgError("max_messages and max_bytes are mutually exclusive")
        for value in (max_messages, max_bytes, threshold):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise InvalidArgError(
                    f"max_messages, max_bytes and threshold are integers, not {value!r}"
                )
        expires = check_timeout(expires, None) or 0.0
        if expires < 1.0:
            raise InvalidArgError("expires must be at least 1 second")
        heartbeat = check_timeout(heartbeat, min(max(expires / 2, 0.5), 30.0)) or 0.0
        if not 0 < heartbeat <= expires / 2:
            raise InvalidArgError("heartbeat must be positive and at most half of expires")
        self._by_bytes = max_bytes is not None
        self._limit = (
            max_bytes if max_bytes is not None else (500 if max_messages is None else max_messages)
        )
        self._threshold = self._limit // 2 if threshold is None else threshold
        if self._limit < 1 or not 0 <= self._threshold <= self._limit:
            raise InvalidArgError("need max_messages / max_bytes > 0 and 0 <= threshold <= it")
        self._js = js
        self._link = link
        self.stream = stream
        self.consumer = consumer
        self._callback = callback
        self._expires = expires
        self._heartbeat = heartbeat
        self._priority = priority
        self._pin: str | None = None
        self._lock = StateLock()
        self._outstanding = 0  # requested, not yet received (messages or bytes)
        self._buffered = 0  # received, not yet handled by the user
        self._queue: Queue[Item] = Queue()
        self._sub: Subscription | None = None
        self._timer: TimerHandle | None = None
        self._seen = -1
        self._stopped = False
        self._reconnecting = False
        self.last_error: BaseException | None = None

    @classmethod
    async def start(
        cls, js: JetStream, link: Link, stream: str, consumer: str, callback: Any, **options: Any
    ) -> PullConsumeContext:
        """Subscribe, send the first pull, watch the heartbeats (``JetStream.consume``)."""
        ctx = cls(js, link, stream, consumer, callback, **options)
        await ctx._start()
        return ctx

    async def _start(self) -> None:
        conn = self._link.conn
        self._sub = untraced(await conn.subscribe(conn.new_inbox(), callback=self._on_msg))
        self._link.add_status_listener(self._on_status)
        await self._pull_more()
        self._arm()

    def _on_status(self, status: Status) -> None:
        """Pull again as soon as the connection is back; stop when it is closed."""
        if status is Status.RECONNECTING:
            self._reconnecting = True
        elif status is Status.CONNECTED and self._reconnecting:
            self._reconnecting = False
            self._link.spawn(self._restart, name="natskit-consume")
        elif status is Status.CLOSED:
            self._link.spawn(
                self._stop,
                self._link.closed_error(),
                name="natskit-consume",
            )

    # -- pulling ------------------------------------------------------------

    def _size(self, msg: Msg) -> int:
        if not self._by_bytes:
            return 1
        headers = headers_of(msg)
        hdr = len(encode_headers(headers)) if headers else 0
        return len(msg.subject) + len(msg.reply or "") + hdr + len(msg.data)

    async def _pull_more(self) -> None:
        """Send a pull when what is outstanding and buffered fell to the threshold."""
        with self._lock:
            ahead = self._outstanding + self._buffered
            if self._stopped or self._sub is None or ahead > self._threshold:
                return
            room = self._limit - ahead
            self._outstanding += room
        if self._by_bytes:
            req = pull_request(
                BYTES_ONLY_BATCH, expires=self._expires, max_bytes=room, heartbeat=self._heartbeat
            )
        else:
            req = pull_request(room, expires=self._expires, heartbeat=self._heartbeat)
        if self._priority is not None:
            req.update(self._priority.fields(self._pin))
        try:
            await send_pull(
                self._js, self._link, self.stream, self.consumer, req, self._sub.subject
            )
        except NatsError as exc:  # e.g. disconnected: the heartbeat check pulls again
            self._warn(exc)

    async def _restart(self) -> None:
        """Forget the outstanding pulls and pull again (missed heartbeats, reconnect)."""
        with self._lock:
            self._outstanding = 0
        await self._pull_more()

    # -- receiving ----------------------------------------------------------

    async def _on_msg(self, msg: Msg) -> None:
        if self._stopped:
            return
        if msg.status is None or msg.data:
            size = self._size(msg)
            pin = msg.headers.get(PIN_HEADER) if self._priority is not None else None
            with self._lock:
                if pin:
                    self._pin = pin
                self._outstanding = max(self._outstanding - size, 0)
                self._buffered += size
            if self._callback is None:
                self._queue.put_nowait(msg)
                return
            try:
                hooks = _instrument.active
                if hooks is None:
                    await call_cb(self._callback, msg)
                else:
                    with hooks.process(self._link.conn, msg, None, None):
                        await call_cb(self._callback, msg)
            except Exception as exc:
                what = (
                    f"the consume() callback (stream {self.stream!r}, consumer {self.consumer!r})"
                )
                self._link.callback_failed(exc, what, subject=msg.subject)
            with self._lock:
                self._buffered -= size
        elif msg.status == 100:
            return
        else:
            msgs, size = pending_counts(msg.headers)
            with self._lock:
                if msg.status == 423 and self._priority is not None:
                    # ADR-42: another client holds the pin now. Every pull of ours
                    # carried the stale id: at the first refusal forget it and all
                    # of them and pull again; the others' refusals then change nothing.
                    if self._pin is not None:
                        self._pin = None
                        self._outstanding = 0
                else:
                    self._outstanding = max(
                        self._outstanding - (size if self._by_bytes else msgs), 0
                    )
            kind, err = pull_status(msg.status, msg.description)
            if (
                self._by_bytes
                and "maxbytes" in msg.description.lower()
                and self._outstanding == self._buffered == 0
            ):
                # Even a pull for all of max_bytes cannot take the next message.
                await self._stop(
                    JetStreamError(f"a message is larger than max_bytes={self._limit}", status=409)
                )
                return
            if msg.status == 503:  # no responders: is the consumer gone?
                problem: NatsError | None = err
                try:
                    await self._js.consumer_info(self.stream, self.consumer)
                except (StreamNotFoundError, ConsumerNotFoundError) as exc:
                    await self._stop(exc)
                    return
                except NatsError as exc:
                    problem = exc
                if problem is not None:
                    self._warn(problem)
                await sleep(min(self._heartbeat, 1.0))
                await self._restart()
                return
            if kind is Pull.FATAL:
                about = f"consumer {self.consumer!r} of stream {self.stream!r}"
                await self._stop(err and priority_error_or(msg.status, msg.description, about, err))
                return
            if err is not None:
                self._warn(err)
        await self._pull_more()

    def _arm(self) -> None:
        if not self._stopped:
            self._timer = call_later(2 * self._heartbeat, self._check_heartbeat)

    def _check_heartbeat(self) -> None:
        """Timer: nothing for two heartbeats while a pull is outstanding means it was lost."""
        sub = self._sub
        status = self._link.conn.status
        if sub is None or self._stopped:
            return
        if status is Status.CLOSED:
            self._link.spawn(
                self._stop,
                self._link.closed_error(),
                name="natskit-consume",
            )
            return
        if (
            status is Status.CONNECTED
            and sub.delivered == self._seen
            and not sub.pending_msgs
            and self._outstanding > 0
        ):
            self._warn(
                ConsumerNotActiveError(
                    f"no heartbeat from consumer {self.consumer!r} of stream {self.stream!r}"
                )
            )
            self._link.spawn(self._restart, name="natskit-consume")
        self._seen = sub.delivered
        self._arm()

    # -- the user's side ----------------------------------------------------

    async def next_msg(self, timeout: float | None = None) -> Msg:
        """The next message (without a callback); ``TimeoutError`` after ``timeout`` s.

        Raises ``BadSubscriptionError`` once stopped, or the error that stopped it.
        """
        if self._callback is not None:
            raise BadSubscriptionError("next_msg() is for consume() without a callback")
        hooks = _instrument.active
        start = hooks.now() if hooks is not None else 0
        msg = await take(self._queue, timeout, "consume() was stopped")
        with self._lock:
            self._buffered -= self._size(msg)
        await self._pull_more()
        if hooks is not None:
            hooks.receive(self._link.conn, msg, None, None, start)
        return msg

    @property
    def pin_id(self) -> str | None:
        """The pin id the server gave this consumer's pulls (``pinned_client``
        policy, ADR-42): sent with every pull while held; None when not pinned."""
        return self._pin
