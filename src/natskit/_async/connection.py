"""The connection: handshake, publish, subscribe, requests, flush, close.

Threads of control (tasks in asyncio, threads in the blocking twin):

* the reader feeds bytes to the sans-I/O ``Parser`` and handles frames at
  once: PING is answered, PONG resolves the oldest ``flush``, a reply to a
  request resolves its future, and other messages go to their
  subscription's queue or, for callbacks, to the dispatcher;
* the ``Dispatcher`` runs callbacks, ``error_cb`` and ``status_cb`` on its
  workers, never on the reader (see ``dispatch.py``);
* the ``Writer`` coalesces outgoing bytes and keeps them while not connected.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from .._io_async import (
    Event,
    Future,
    StateLock,
    Task,
    Writer,
    call_later,
    fail,
    monotonic,
    new_future,
    resolve,
    spawn,
    wait_future,
)
from .._protocol import (
    PING,
    PING_CMD,
    PONG,
    PONG_CMD,
    Err,
    Info,
    Parser,
    check_framing,
    check_queue,
    check_subject,
    decode_headers,
    encode_headers,
    encode_subject,
    hpub_cmd,
    next_nuid,
    pub_cmd,
    sub_cmd,
    unsub_cmd,
)
from ..errors import (
    AuthorizationError,
    BadHeaderMsgError,
    BadSubscriptionError,
    BrokenSocketError,
    ConnectionClosedError,
    HeadersNotSupportedError,
    InvalidArgError,
    MaxPayloadError,
    NatsError,
    NoServersError,
    SlowConsumerError,
    StaleConnectionError,
    TimeoutError,
)
from ..msg import HeadersArg, MsgBase
from ..options import (
    Options,
    Server,
    ServerAddress,
    build_pool,
    check_timeout,
    is_ip,
    parse_url,
)
from ..server_errors import error_from_server, is_fatal
from ..status import Stats, Status
from .dispatch import Dispatcher
from .handshake import handshake
from .jetstream import JetStream
from .msg import Msg
from .requests import Requests
from .service import Endpoint, Service
from .subscription import Subscription

log = logging.getLogger("natskit.connection")
_new = object.__new__
UNLIMITED = 1 << 62
PUB_HEADS = 4096  # subjects whose PUB prefix is kept
_CLOSED = Status.CLOSED  # for publish: an Enum attribute costs about 50 ns on CPython 3.11


def _check_count(name: str, value: int | None) -> None:
    if value is not None and (type(value) is not int or value < 0):
        raise InvalidArgError(f"{name} must be a non-negative integer, not {value!r}")


class Connection(Requests):
    """A connection to a NATS server pool (``natskit.aio.Connection``)."""

    def __init__(self, servers: str | Sequence[str] | None = None, **options: Any) -> None:
        self.options = Options.build(servers, options)
        self._pool: list[Server] = build_pool(self.options.servers, self.options.randomize)
        self._current: Server | None = None
        self._status = Status.CLOSED
        self._last_error: Exception | None = None
        self._info: dict[str, Any] = {}
        self._writer = Writer(self.options.reconnect_buffer_size)
        self._lock = StateLock()
        self._subs: dict[int, Subscription] = {}
        self._sids = itertools.count(1)
        self._pongs: deque[Future[None] | None] = deque()  # None: a keep-alive PING
        self._pings_out = 0
        self._init_requests()
        self._dispatcher = Dispatcher()
        self._connector: Task | None = None
        self._transport: Any = None
        self._closing = False
        self._finishing = False
        self._closed = Event()
        self._listeners: list[Callable[[Status], None]] = []
        self._pub_heads: dict[str, bytes] = {}  # subject -> b"PUB <subject> "
        self._max_payload = UNLIMITED  # until the server's INFO says
        self._in_msgs = self._in_bytes = self._out_msgs = self._out_bytes = 0
        self._reconnects = 0

    # -- properties -------------------------------------------------------

    @property
    def status(self) -> Status:
        return self._status

    @property
    def last_error(self) -> Exception | None:
        """The last asynchronous error (None after a clean ``close()``)."""
        return self._last_error

    @property
    def server_info(self) -> dict[str, Any]:
        """The INFO of the current server."""
        return dict(self._info)

    @property
    def stats(self) -> Stats:
        """Counters (a snapshot): messages and bytes (payload and headers) in and out."""
        return Stats(
            self._in_msgs, self._out_msgs, self._in_bytes, self._out_bytes, self._reconnects
        )

    @property
    def max_payload(self) -> int:
        return int(self._info.get("max_payload", 0))

    @property
    def client_id(self) -> int | None:
        value = self._info.get("client_id")
        return int(value) if value is not None else None

    @property
    def current_server(self) -> ServerAddress | None:
        return self._current.address if self._current else None

    @property
    def servers(self) -> list[ServerAddress]:
        return [s.address for s in self._pool]

    @property
    def is_connected(self) -> bool:
        return self._status is Status.CONNECTED

    def new_inbox(self) -> str:
        """A unique, unguessable subject under ``inbox_prefix``."""
        return f"{self.options.inbox_prefix}.{next_nuid()}"

    # -- connecting -------------------------------------------------------

    async def connect(self, wait: bool = True) -> Connection:
        """Connect to the pool; with ``wait=False`` return at once (CONNECTING)."""
        if self._status is not Status.CLOSED:
            return self
        self._closing = False
        self._finishing = False
        self._closed = Event()
        self._last_error = None
        self._set_status(Status.CONNECTING)
        if not wait:
            self._connector = spawn(self._connect_in_background, name="natskit-connect")
            return self
        try:
            await self._connect_pool()
        except NatsError as exc:
            self._closing = True
            await self._finish(exc, ConnectionClosedError("connection failed"))
            raise
        return self

    async def _connect_in_background(self) -> None:
        try:
            await self._connect_pool()
        except NatsError as exc:
            if not self._closing:
                self._closing = True
                self._report(exc)
                await self._finish(exc, TimeoutError("the connection failed"))

    async def _connect_pool(self) -> None:
        """The initial connect: each server of the pool once, in order."""
        errors: list[str] = []
        last: NatsError | None = None
        for server in list(self._pool):
            if self._closing:
                raise ConnectionClosedError("closed while connecting")
            try:
                await self._connect_to(server)
                return
            except NatsError as exc:
                log.debug("cannot connect to %s: %s", server.address, exc)
                errors.append(f"{server.address.host}:{server.address.port}: {exc}")
                last = exc
        if last is not None and len(errors) == 1:
            raise last
        raise NoServersError(f"no server could be reached ({'; '.join(errors)})")

    async def _connect_to(self, server: Server) -> None:
        server.last_attempt = monotonic()
        parser = Parser()  # never shared with the reader of a lost transport
        transport, info, frames = await handshake(
            self.options, server, parser, self._tls_name(server)
        )
        with self._lock:
            if self._closing:
                transport.close()
                raise ConnectionClosedError("closed while connecting")
            self._transport = transport
            self._current = server
            self._pings_out = 0
            self._process_info(info, initial=True)
            self._writer.attach(transport, self._resubscribe_cmds())
            if self._status is Status.RECONNECTING:
                self._reconnects += 1
            self._set_status(Status.CONNECTED)
        self._handle_frames(frames)
        with self._lock:
            if self._transport is not transport:
                return  # closed, or lost (lame duck), while handling those frames
            # The parser goes with the transport: a late chunk of a lost one
            # cannot reach the parser of the next.
            transport.start(lambda data: self._handle_frames(parser.feed(data)), self._on_lost)
        self._schedule_ping(transport)

    def _tls_name(self, server: Server) -> str:
        """The name the server certificate must have: a discovered IP keeps the
        host name the user gave."""
        if self.options.tls_hostname:
            return self.options.tls_hostname
        host = server.address.host
        if server.discovered and is_ip(host):
            for known in self._pool:
                if not known.discovered and not is_ip(known.address.host):
                    return known.address.host
        return host

    def _process_info(self, info: dict[str, Any], initial: bool = False) -> None:
        """Adopt an INFO: grow the pool from ``connect_urls``, react to lame duck mode."""
        self._info = info
        self._max_payload = int(info.get("max_payload") or 0) or UNLIMITED
        current = self._current
        scheme = current.address.scheme if current else "nats"
        known = {s.address for s in self._pool}
        added: list[Server] = []
        for url in info.get("connect_urls") or ():
            try:
                server = parse_url(url if "://" in url else f"{scheme}://{url}")
            except InvalidArgError:
                continue
            if server.address not in known:
                known.add(server.address)
                server.discovered = True
                added.append(server)
        if added:
            if self.options.randomize:
                random.shuffle(added)
            self._pool.extend(added)
            callback = self.options.discovered_servers_cb
            if not initial and callback is not None:
                self._dispatcher.call(callback, [s.address for s in added])
        if info.get("ldm") and not initial and current is not None:
            log.info("server %s entered lame duck mode", current.address)
            if self.options.lame_duck_cb is not None:
                self._dispatcher.call(self.options.lame_duck_cb, current.address)
            if len(self._pool) > 1 and self._transport is not None:
                self._transport.close()
                self._on_lost(None, report=False)

    def _resubscribe_cmds(self) -> bytes:
        parts = []
        for sub in list(self._subs.values()):
            parts.append(sub_cmd(sub.subject, sub.queue, sub.sid))
            if sub._max:
                parts.append(unsub_cmd(sub.sid, sub._max - sub._count))
        return b"".join(parts)

    # -- reader side (no awaits: runs in the reader) ----------------------

    def _handle_frames(self, frames: list[Any]) -> None:
        subs = self._subs
        in_msgs = in_bytes = 0
        for frame in frames:
            if type(frame) is tuple:  # MsgFrame; the other frames are not plain tuples
                subject, sid, reply, header, payload = frame
                size = len(payload)
                in_msgs += 1
                in_bytes += size
                sub = subs.get(sid)
                if sub is None:
                    continue
                msg = _new(Msg)  # no __init__: these fields need no checks
                msg.subject = subject
                msg.data = payload
                msg.reply = reply
                msg.status = None
                msg.description = ""
                msg._conn = self
                msg._headers = None
                if header is not None:
                    self._add_headers(msg, header)
                if sub._max or sub is self._resp_sub:
                    self._deliver_special(sub, msg, size)
                else:
                    sub._count += 1
                    self._enqueue(sub, msg, size)
            elif frame is PING:
                self._writer.write_ctl(PONG_CMD)
            elif frame is PONG:
                self._pings_out = 0
                if self._pongs:
                    fut = self._pongs.popleft()
                    if fut is not None:
                        resolve(fut, None)
            elif type(frame) is Info:
                self._process_info(frame.info)
            elif type(frame) is Err:
                self._on_err(frame.message)
        self._in_msgs += in_msgs
        self._in_bytes += in_bytes

    def _add_headers(self, msg: Msg, header: bytes) -> None:
        try:
            msg._headers, msg.status, msg.description = decode_headers(header)
        except BadHeaderMsgError as exc:
            self._report(exc)

    def _enqueue(self, sub: Subscription, msg: Msg, size: int) -> None:
        """Hand ``msg`` to its subscription, or drop it over the pending limits."""
        if (
            sub._in_msgs - sub._out_msgs >= sub.pending_msgs_limit
            or sub._in_bytes - sub._out_bytes + size > sub.pending_bytes_limit
        ):
            sub.dropped += 1
            if not sub._slow:
                sub._slow = True
                self._report(
                    SlowConsumerError(
                        f"slow consumer on subscription {sub.sid} ({sub.subject!r}): "
                        "messages dropped",
                        sid=sub.sid,
                        subject=sub.subject,
                    )
                )
            return
        sub._slow = False
        sub._in_msgs += 1
        sub._in_bytes += size
        if sub._callback is not None:
            sub._pending.append(msg)
            if not sub._scheduled:
                self._dispatcher.schedule(sub)
        else:
            sub._queue.put_nowait(msg)

    def _deliver_special(self, sub: Subscription, msg: Msg, size: int) -> None:
        """A reply to a request, or a message of a subscription with ``max_msgs``."""
        if sub is self._resp_sub:
            self._on_response(msg)
            return
        sub._count += 1
        if sub._count > sub._max:
            return
        if sub._count == sub._max:
            self._subs.pop(sub.sid, None)
        self._enqueue(sub, msg, size)
        if sub._count == sub._max:
            sub._end()

    def _on_err(self, text: str) -> None:
        err = error_from_server(text)
        if is_fatal(err):
            transport = self._transport
            self._on_lost(err)
            if transport is not None:
                transport.close()
        else:
            self._report(err)

    def _on_lost(self, exc: BaseException | None, report: bool = True) -> None:
        """The transport ended without ``close()``: reconnect, or shut down."""
        with self._lock:
            if self._closing or self._transport is None:
                return
            self._transport = None
            self._writer.detach()
            pongs, self._pongs = self._pongs, deque()
            reconnect = self.options.allow_reconnect
            self._closing = not reconnect
            if reconnect:
                self._set_status(Status.RECONNECTING)
        for fut in pongs:
            if fut is not None:
                fail(fut, ConnectionClosedError("the connection was lost"))
        err = (
            exc
            if isinstance(exc, NatsError)
            else BrokenSocketError(
                f"connection lost: {exc}" if exc else "connection closed by the server"
            )
        )
        if report:
            self._report(err)
        if reconnect:
            self._connector = spawn(self._reconnect, name="natskit-reconnect")
        else:
            spawn(self._finish, err, TimeoutError("connection lost"), name="natskit-lost")

    async def _reconnect(self) -> None:
        """Try the pool round robin until a server answers or none is left."""
        opts = self.options
        pool = self._pool
        lost = self._current
        if lost in pool and len(pool) > 1:
            pool.remove(lost)
            pool.append(lost)  # try the others first
        while pool and not self._closing:
            server = pool.pop(0)
            pool.append(server)
            wait = server.last_attempt + opts.reconnect_time_wait - monotonic()
            if wait > 0:
                wait += random.uniform(0, min(0.1, opts.reconnect_time_wait / 10))
                if await self._closed.wait(wait):
                    return
            if self._closing:
                return
            try:
                await self._connect_to(server)
            except NatsError as exc:
                if self._closing:
                    return
                self._last_error = exc
                log.info("reconnect to %s failed: %s", server.address, exc)
                server.reconnects += 1
                if isinstance(exc, AuthorizationError):
                    if server.auth_error == type(exc).__name__:
                        self._report(exc)
                        break  # the same authorization error twice: give up
                    server.auth_error = type(exc).__name__
                limit = opts.max_reconnect_attempts
                if 0 <= limit < server.reconnects:
                    pool.remove(server)
                continue
            server.reconnects = 0
            server.auth_error = None
            return
        if not self._closing:
            self._closing = True
            err = self._last_error or NoServersError("no servers left in the pool")
            await self._finish(err, TimeoutError("connection lost"))

    def _schedule_ping(self, transport: Any) -> None:
        interval = self.options.ping_interval
        if interval > 0:
            call_later(interval, lambda: self._ping_tick(transport))

    def _ping_tick(self, transport: Any) -> None:
        """Client keep-alive: PING every ``ping_interval``; stale after too many."""
        with self._lock:
            if self._transport is not transport or self._closing:
                return
            if self._pings_out >= self.options.max_outstanding_pings:
                stale = True
            else:
                stale = False
                self._pings_out += 1
                self._pongs.append(None)
                self._writer.write_ctl(PING_CMD)
        if stale:
            transport.close()
            self._on_lost(StaleConnectionError("stale connection: PINGs not answered"))
        else:
            self._schedule_ping(transport)

    # -- asynchronous errors and status --------------------------------------

    def _report(self, err: Exception) -> None:
        """An asynchronous error: ``last_error``, the log and ``error_cb``."""
        self._last_error = err
        log.warning("%s: %s", err.code if isinstance(err, NatsError) else type(err).__name__, err)
        if self.options.error_cb is not None:
            self._dispatcher.call(self.options.error_cb, err)

    def _set_status(self, status: Status) -> None:
        self._status = status
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                log.exception("status listener %r failed", listener)
        if self.options.status_cb is not None:
            self._dispatcher.call(self.options.status_cb, status)

    def _add_status_listener(self, listener: Callable[[Status], None]) -> None:
        """Internal: call ``listener(status)`` at once on every change (it must not block)."""
        self._listeners.append(listener)

    def _remove_status_listener(self, listener: Callable[[Status], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- publishing --------------------------------------------------------

    def _check_writable(self) -> None:
        if self._status is Status.CLOSED:
            raise ConnectionClosedError("the connection is closed")

    async def publish(
        self,
        subject: str,
        payload: bytes | bytearray | memoryview | str = b"",
        *,
        reply: str | None = None,
        headers: HeadersArg = None,
    ) -> None:
        """Publish ``payload`` (``str`` is sent as UTF-8) to ``subject``."""
        try:
            head = self._pub_heads.get(subject)
        except TypeError:  # not a str: the slow path raises the natskit error
            head = None
        if head is None or reply is not None or headers or type(payload) is not bytes:
            cmd, size = self._encode_pub(subject, payload, reply, headers)
        else:  # the common case: a known subject, bytes, nothing else
            size = len(payload)
            cmd = b"%b%d\r\n%b\r\n" % (head, size, payload)
        # _send() inlined: this is the hottest path of the library
        if size > self._max_payload or self._status is _CLOSED:
            self._refuse(size)
        writer = self._writer
        writer.write(cmd)
        self._out_msgs += 1
        self._out_bytes += size
        if writer.needs_drain:
            await writer.drain()

    async def _publish_internal(
        self,
        subject: str,
        payload: bytes | bytearray | memoryview | str = b"",
        *,
        reply: str | None = None,
        headers: HeadersArg = None,
        subject_trusted: bool = False,
        urgent: bool = False,
    ) -> None:
        """``publish`` for natskit's own messages: the reply subject (an inbox made
        here) is not checked again, nor is ``subject`` when ``subject_trusted``
        (an ack subject from the server); neither fills the subject caches.
        ``urgent``: a caller waits for the answer, send now (``write_urgent``)."""
        cmd, size = self._encode_pub(subject, payload, reply, headers, subject_trusted, True)
        if self._send(cmd, size, urgent):
            await self._writer.drain()

    def _encode_pub(
        self,
        subject: str,
        payload: bytes | bytearray | memoryview | str,
        reply: str | None,
        headers: HeadersArg,
        subject_trusted: bool = False,
        reply_trusted: bool = False,
    ) -> tuple[bytes, int]:
        """PUB or HPUB for any arguments; validates and remembers the subject."""
        if subject_trusted:
            subj = subject.encode()
        else:
            subj = encode_subject(subject, check=self.options.check_subjects)
            if subject not in self._pub_heads:
                if len(self._pub_heads) >= PUB_HEADS:
                    self._pub_heads.clear()
                self._pub_heads[subject] = b"PUB " + subj + b" "
        if isinstance(payload, str):
            payload = payload.encode()
        elif isinstance(payload, (bytearray, memoryview)):
            payload = bytes(payload)
        elif not isinstance(payload, bytes):
            raise InvalidArgError(f"payload must be bytes or str, not {type(payload).__name__}")
        rep = None
        if reply:
            if not reply_trusted:
                if self.options.check_subjects:
                    check_subject(reply)
                else:
                    check_framing(reply)  # unchecked, but never breaking the PUB line
            rep = reply.encode()
        if not headers:
            return pub_cmd(subj, rep, payload), len(payload)
        if self._info and not self._info.get("headers"):
            raise HeadersNotSupportedError("the server does not support headers")
        hdr = encode_headers(headers)
        return hpub_cmd(subj, rep, hdr, payload), len(hdr) + len(payload)

    def _refuse(self, size: int) -> None:
        if size > self._max_payload:
            limit = self._max_payload
            raise MaxPayloadError(f"message of {size} bytes exceeds max_payload of {limit}")
        raise ConnectionClosedError("the connection is closed")

    def _send(self, cmd: bytes, size: int, urgent: bool = False) -> bool:
        """Queue an encoded message; True when the caller should wait for the socket."""
        if size > self._max_payload or self._status is _CLOSED:
            self._refuse(size)
        writer = self._writer
        if urgent:
            writer.write_urgent(cmd)
        else:
            writer.write(cmd)
        self._out_msgs += 1
        self._out_bytes += size
        return writer.needs_drain

    async def publish_msg(self, msg: MsgBase) -> None:
        """Publish a ``Msg`` (subject, data, reply and headers)."""
        await self.publish(msg.subject, msg.data, reply=msg.reply, headers=msg._headers)

    # -- subscribing -------------------------------------------------------

    async def subscribe(
        self,
        subject: str,
        *,
        queue: str | None = None,
        callback: Callable[[Msg], Any] | None = None,
        max_msgs: int | None = None,
        pending_msgs_limit: int | None = None,
        pending_bytes_limit: int | None = None,
    ) -> Subscription:
        """Subscribe; messages go to ``callback`` or are read with ``next_msg``."""
        return self._subscribe(
            subject, queue, callback, max_msgs, pending_msgs_limit, pending_bytes_limit
        )

    def _subscribe(
        self,
        subject: str,
        queue: str | None = None,
        callback: Callable[[Msg], Any] | None = None,
        max_msgs: int | None = None,
        pending_msgs_limit: int | None = None,
        pending_bytes_limit: int | None = None,
    ) -> Subscription:
        if self.options.check_subjects:
            check_subject(subject, wildcards=True)
            if queue is not None:
                check_queue(queue)
        else:  # unchecked, but never breaking the SUB line
            check_framing(subject)
            if queue is not None:
                check_framing(queue)
        _check_count("max_msgs", max_msgs)
        _check_count("pending_msgs_limit", pending_msgs_limit)
        _check_count("pending_bytes_limit", pending_bytes_limit)
        self._check_writable()
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
        )
        with self._lock:
            self._subs[sub.sid] = sub
            if self._transport is not None:
                cmd = sub_cmd(subject, queue, sub.sid)
                if max_msgs:
                    cmd += unsub_cmd(sub.sid, max_msgs)
                self._writer.write_ctl(cmd)
        return sub

    async def _unsubscribe(self, sub: Subscription, max_msgs: int | None) -> None:
        self._check_writable()
        _check_count("max_msgs", max_msgs)
        if self._subs.get(sub.sid) is not sub:
            raise BadSubscriptionError(f"subscription {sub.sid} is not active")
        with self._lock:
            if max_msgs is None or max_msgs <= sub._count:
                self._subs.pop(sub.sid, None)
                sub._discard = True
                sub._end()
                if self._transport is not None:
                    self._writer.write_ctl(unsub_cmd(sub.sid))
            else:
                sub._max = max_msgs
                if self._transport is not None:
                    self._writer.write_ctl(unsub_cmd(sub.sid, max_msgs))

    async def _drain_sub(self, sub: Subscription, timeout: float | None, wait: bool = True) -> None:
        """Unsubscribe, let what arrived be handled; ``wait`` until it was."""
        timeout = check_timeout(timeout, self.options.drain_timeout)
        self._check_writable()
        if self._subs.get(sub.sid) is sub and self._transport is not None:
            self._writer.write_ctl(unsub_cmd(sub.sid))
            await self.flush(timeout)  # what was sent before UNSUB has arrived
        self._subs.pop(sub.sid, None)
        sub._end()
        if wait and not await sub._idle.wait(timeout):
            raise TimeoutError(f"draining subscription {sub.sid} timed out")

    # -- flush, drain, close ----------------------------------------------

    async def flush(self, timeout: float | None = None) -> None:
        """PING the server and wait for PONG: everything sent before is processed."""
        timeout = check_timeout(timeout, 10.0)
        fut: Future[None] = new_future()
        with self._lock:
            if self._status not in (Status.CONNECTED, Status.DRAINING):
                raise ConnectionClosedError(f"cannot flush: the connection is {self._status.value}")
            self._pongs.append(fut)
            self._writer.write_ctl(PING_CMD)
        self._writer.write_urgent(b"")  # the caller waits: send now
        try:
            await wait_future(fut, timeout)
        except TimeoutError:
            raise TimeoutError(f"no PONG from the server within {timeout} s") from None

    async def rtt(self) -> float:
        """Round-trip time to the server in seconds."""
        start = monotonic()
        await self.flush()
        return monotonic() - start

    async def drain(self, timeout: float | None = None) -> None:
        """Unsubscribe everything, handle what arrived, then close."""
        timeout = check_timeout(timeout, self.options.drain_timeout)
        if self._status is not Status.CONNECTED:
            await self.close()
            return
        self._set_status(Status.DRAINING)
        subs = [s for s in list(self._subs.values()) if s is not self._resp_sub]
        deadline = monotonic() + (timeout or 0.0)
        try:
            for sub in subs:
                self._writer.write_ctl(unsub_cmd(sub.sid))
            await self.flush(timeout)  # what was sent before UNSUB has arrived
            for sub in subs:
                self._subs.pop(sub.sid, None)
                sub._end()
                if not await sub._idle.wait(max(deadline - monotonic(), 0.0)):
                    raise TimeoutError("drain timed out")
        except NatsError as exc:
            self._report(exc)
        await self.close()

    async def close(self) -> None:
        """Send what is buffered, close the socket, cancel pending requests."""
        with self._lock:
            if self._status is Status.CLOSED:
                return
            self._closing = True
            transport, self._transport = self._transport, None
        self._closed.set()  # wakes a reconnect loop that waits between attempts
        if self._connector is not None:
            self._connector.cancel()
        if transport is not None:
            await self._writer.close(self.options.connect_timeout)
        self._last_error = None
        await self._finish(None, ConnectionClosedError("the connection was closed"))

    async def _finish(self, reason: Exception | None, request_error: Exception) -> None:
        """Fail what waits, end subscriptions, stop the dispatcher: CLOSED (once)."""
        with self._lock:
            if self._finishing:
                return
            self._finishing = True
        if reason is not None:
            self._last_error = reason
        for fut in list(self._resp_map.values()):
            fail(fut, request_error)
        self._resp_map.clear()
        pongs, self._pongs = self._pongs, deque()
        for pong in pongs:
            if pong is not None:
                fail(pong, ConnectionClosedError("the connection is closed"))
        closed = ConnectionClosedError("the connection is closed")
        for sub in list(self._subs.values()):
            sub._end(closed)
        self._subs.clear()
        self._resp_sub = None
        self._set_status(Status.CLOSED)
        self._writer = Writer(self.options.reconnect_buffer_size)
        # Callbacks already scheduled still run; then the workers stop.
        await self._dispatcher.stop()

    def jetstream(
        self,
        *,
        timeout: float = 5.0,
        domain: str | None = None,
        api_prefix: str | None = None,
        trace: bool = False,
    ) -> JetStream:
        """A ``JetStream`` context on this connection (no I/O; see ``JetStream``)."""
        return JetStream(self, timeout=timeout, domain=domain, api_prefix=api_prefix, trace=trace)

    async def service(
        self,
        name: str,
        version: str,
        *,
        description: str | None = None,
        metadata: dict[str, str] | None = None,
        queue_group: str | None = None,
        queue_group_disabled: bool = False,
        stats_handler: Callable[[Endpoint], Any] | None = None,
    ) -> Service:
        """Start a service instance (ADR-32): discovery now, endpoints with
        ``add_endpoint`` / ``add_group`` (see ``Service``)."""
        svc = Service(
            self,
            name,
            version,
            description=description,
            metadata=metadata,
            queue_group=queue_group,
            queue_group_disabled=queue_group_disabled,
            stats_handler=stats_handler,
        )
        await svc._start()
        return svc

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<Connection {self._status.value} {self.current_server}>"


async def connect(
    servers: str | Sequence[str] | None = None, *, wait: bool = True, **options: Any
) -> Connection:
    """Create a ``Connection`` and connect it (see ``Connection.connect``)."""
    nc = Connection(servers, **options)
    await nc.connect(wait=wait)
    return nc
