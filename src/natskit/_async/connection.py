"""The connection: handshake, publish, subscribe, requests, flush, close.

Threads of control (tasks in asyncio, threads in the blocking twin):

* the reader feeds bytes to the sans-I/O ``Parser`` and handles frames at
  once: PING is answered, PONG resolves the oldest ``flush``, a reply to a
  request resolves its future, and other messages go to their
  subscription's queue or, for callbacks, to the dispatcher;
* dispatcher workers run callbacks, never on the reader: the messages of one
  subscription in order, different subscriptions side by side. A worker is
  added whenever every worker is busy in a callback (up to ``MAX_WORKERS``),
  so a callback may block, or wait for a reply that another callback of the
  same connection sends. ``error_cb`` / ``status_cb`` run in order through
  an internal subscription;
* the ``Writer`` coalesces outgoing bytes and keeps them while not connected.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from .._io_async import (
    Future,
    Queue,
    StateLock,
    Task,
    Writer,
    call_cb,
    call_later,
    fail,
    monotonic,
    new_future,
    open_transport,
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
    MsgFrame,
    Parser,
    check_queue,
    check_subject,
    connect_cmd,
    decode_headers,
    encode_headers,
    encode_subject,
    hpub_cmd,
    next_nuid,
    pub_cmd,
    sub_cmd,
    unsub_cmd,
)
from .._version import __version__
from ..errors import (
    BadHeaderMsgError,
    BadSubscriptionError,
    ConnectionClosedError,
    HeadersNotSupportedError,
    InvalidArgError,
    MaxPayloadError,
    NatsError,
    NoRespondersError,
    NoServersError,
    ProtocolError,
    SlowConsumerError,
    TimeoutError,
)
from ..msg import HeadersArg, MsgBase
from ..options import Options, Server, ServerAddress, build_pool, check_timeout
from ..server_errors import error_from_server, is_fatal
from ..status import Stats, Status
from .msg import Msg
from .subscription import Subscription

log = logging.getLogger("natskit.connection")
MAX_WORKERS = 64
UNLIMITED = 1 << 62


def _invoke(fn: Callable[[], Any]) -> Any:
    return fn()


class Connection:
    """A connection to a NATS server pool (``natskit.aio.Connection``)."""

    def __init__(self, servers: str | Sequence[str] | None = None, **options: Any) -> None:
        self.options = Options.build(servers, options)
        self._pool: list[Server] = build_pool(self.options.servers, self.options.randomize)
        self._current: Server | None = None
        self._status = Status.CLOSED
        self._last_error: Exception | None = None
        self._info: dict[str, Any] = {}
        self._parser = Parser()
        self._writer = Writer(self.options.reconnect_buffer_size)
        self._lock = StateLock()
        self._subs: dict[int, Subscription] = {}
        self._sids = itertools.count(1)
        self._pongs: deque[Future[None]] = deque()
        self._resp_sub: Subscription | None = None
        self._resp_prefix = ""
        self._resp_map: dict[str, Future[Msg]] = {}
        self._resp_ids = itertools.count(1)
        self._ready: Queue[Subscription | None] = Queue()
        self._workers: list[Task] = []
        self._queued = 0  # subscriptions in _ready
        self._free = 0  # workers not inside a callback
        self._events = Subscription(self, 0, "", None, _invoke, None, UNLIMITED, UNLIMITED)
        self._connector: Task | None = None
        self._transport: Any = None
        self._closing = False
        self.stats = Stats()

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
        self._last_error = None
        self._set_status(Status.CONNECTING)
        if not wait:
            self._connector = spawn(self._connect_in_background, name="natskit-connect")
            return self
        try:
            await self._connect_pool()
        except NatsError as exc:
            self._last_error = exc
            await self._finish(exc, ConnectionClosedError("connection failed"))
            raise
        return self

    async def _connect_in_background(self) -> None:
        try:
            await self._connect_pool()
        except NatsError as exc:
            if not self._closing:
                self._report(exc)
                await self._finish(exc, TimeoutError("the connection failed"))

    async def _connect_pool(self) -> None:
        errors: list[NatsError] = []
        for server in list(self._pool):
            if self._closing:
                raise ConnectionClosedError("closed while connecting")
            try:
                await self._connect_to(server)
                return
            except NatsError as exc:
                log.debug("cannot connect to %s: %s", server.address, exc)
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        details = "; ".join(f"{s.address.host}:{s.address.port}: {e}"
                            for s, e in zip(self._pool, errors, strict=False))
        raise NoServersError(f"no server could be reached ({details})")

    async def _connect_to(self, server: Server) -> None:
        opts = self.options
        addr = server.address
        transport = await open_transport(addr.host, addr.port, opts.connect_timeout)
        try:
            deadline = monotonic() + opts.connect_timeout
            self._parser.reset()
            frames: deque[Any] = deque()
            first = await self._read_frame(transport, frames, deadline)
            if not isinstance(first, Info):
                raise ProtocolError(f"expected INFO from the server, got {first!r}")
            self._info = first.info
            transport.write(connect_cmd(self._connect_fields(server)) + PING_CMD)
            while True:
                frame = await self._read_frame(transport, frames, deadline)
                if frame is PONG:
                    break
                if isinstance(frame, Err):
                    raise error_from_server(frame.message)
                if isinstance(frame, Info):
                    self._info = frame.info
        except BaseException:
            transport.close()
            raise
        with self._lock:
            if self._closing:
                transport.close()
                raise ConnectionClosedError("closed while connecting")
            self._transport = transport
            self._current = server
            self._writer.attach(transport, self._resubscribe_cmds())
            self._set_status(Status.CONNECTED)
        self._handle_frames(list(frames))
        transport.start(self._on_data, self._on_lost)

    async def _read_frame(self, transport: Any, frames: deque[Any], deadline: float) -> Any:
        while not frames:
            data = await transport.read(max(deadline - monotonic(), 0.0))
            if not data:
                raise ConnectionClosedError("the server closed the connection during the handshake")
            frames.extend(self._parser.feed(data))
        return frames.popleft()

    def _connect_fields(self, server: Server) -> dict[str, Any]:
        opts = self.options
        fields: dict[str, Any] = {
            "verbose": opts.verbose,
            "pedantic": opts.pedantic,
            "tls_required": False,
            "lang": "python",
            "version": __version__,
            "protocol": 1,
            "echo": opts.echo,
            "headers": True,
            "no_responders": True,
        }
        if opts.name is not None:
            fields["name"] = opts.name
        user = server.user if server.user is not None else opts.user
        password = server.password if server.user is not None else opts.password
        token = server.token if server.token is not None else opts.token
        if user is not None:
            fields["user"] = user
            fields["pass"] = password or ""
        elif token is not None:
            fields["auth_token"] = token
        return fields

    def _resubscribe_cmds(self) -> bytes:
        parts = []
        for sub in list(self._subs.values()):
            parts.append(sub_cmd(sub.subject, sub.queue, sub.sid))
            if sub._max:
                parts.append(unsub_cmd(sub.sid, sub._max - sub._count))
        return b"".join(parts)

    # -- reader side (no awaits: runs in the reader) ----------------------

    def _on_data(self, data: bytes) -> None:
        self._handle_frames(self._parser.feed(data))

    def _handle_frames(self, frames: list[Any]) -> None:
        for frame in frames:
            if type(frame) is MsgFrame:
                self._on_msg(frame)
            elif frame is PING:
                self._writer.write_ctl(PONG_CMD)
            elif frame is PONG:
                if self._pongs:
                    resolve(self._pongs.popleft(), None)
            elif type(frame) is Info:
                self._info = frame.info
            elif type(frame) is Err:
                self._on_err(frame.message)

    def _on_msg(self, frame: MsgFrame) -> None:
        payload = frame.payload
        stats = self.stats
        stats.in_msgs += 1
        stats.in_bytes += len(payload)
        sub = self._subs.get(frame.sid)
        if sub is None:
            return
        msg = Msg(frame.subject, payload, frame.reply)
        msg._conn = self
        if frame.header is not None:
            try:
                msg._headers, msg.status, msg.description = decode_headers(frame.header)
            except BadHeaderMsgError as exc:
                self._report(exc)
        if sub is self._resp_sub:
            self._on_response(msg)
            return
        sub._count += 1
        if sub._max and sub._count >= sub._max:
            if sub._count > sub._max:
                return
            self._subs.pop(sub.sid, None)
        size = len(payload)
        if (sub._in_msgs - sub._out_msgs >= sub.pending_msgs_limit
                or sub._in_bytes - sub._out_bytes + size > sub.pending_bytes_limit):
            sub.dropped += 1
            if not sub._slow:
                sub._slow = True
                self._report(SlowConsumerError(
                    f"slow consumer on subscription {sub.sid} ({sub.subject!r}): "
                    "messages dropped", sid=sub.sid, subject=sub.subject))
        else:
            sub._slow = False
            sub._in_msgs += 1
            sub._in_bytes += size
            if sub._callback is not None:
                sub._pending.append(msg)
                if not sub._scheduled:
                    self._schedule_sub(sub)
            else:
                sub._queue.put_nowait(msg)
        if sub._max and sub._count == sub._max:
            sub._end()

    def _on_response(self, msg: Msg) -> None:
        fut = self._resp_map.pop(msg.subject[len(self._resp_prefix):], None)
        if fut is None:
            return
        if msg.is_no_responders:
            fail(fut, NoRespondersError(f"no responders on {msg.subject!r}"))
        else:
            resolve(fut, msg)

    def _on_err(self, text: str) -> None:
        err = error_from_server(text)
        if is_fatal(err):
            transport = self._transport
            self._on_lost(err)
            if transport is not None:
                transport.close()
        else:
            self._report(err)

    def _on_lost(self, exc: BaseException | None) -> None:
        """The transport ended without ``close()``: report, then shut down."""
        with self._lock:
            if self._closing or self._transport is None:
                return
            self._closing = True
            self._transport = None
        self._writer.detach()
        err = exc if isinstance(exc, NatsError) else ConnectionClosedError(
            f"connection lost: {exc}" if exc else "connection closed by the server")
        self._report(err)
        spawn(self._finish, err, TimeoutError("connection lost"), name="natskit-lost")

    # -- dispatcher workers --------------------------------------------------

    def _schedule_sub(self, sub: Subscription) -> None:
        """Queue ``sub`` for a worker; start one if every worker would be busy."""
        with self._lock:
            if sub._scheduled:
                return
            sub._scheduled = True
            self._queued += 1
            if self._queued > self._free and len(self._workers) < MAX_WORKERS:
                self._free += 1
                self._workers.append(spawn(self._worker, self._ready, name="natskit-dispatcher"))
        self._ready.put_nowait(sub)

    async def _worker(self, ready: Queue[Subscription | None]) -> None:
        while True:
            sub = await ready.get()
            if sub is None:
                return
            with self._lock:
                self._queued -= 1
                self._free -= 1
            await self._run_sub(sub)
            with self._lock:
                self._free += 1

    async def _run_sub(self, sub: Subscription) -> None:
        """Run the callback for each pending message of ``sub``, in order."""
        pending = sub._pending
        callback = sub._callback
        while True:
            while pending:
                item = pending.popleft()
                if not sub._discard and callback is not None:
                    try:
                        await call_cb(callback, item)
                    except Exception:
                        log.exception("callback %r failed", callback)
                sub._taken(len(item.data) if isinstance(item, Msg) else 0)
            sub._scheduled = False
            # The reader appends, then checks _scheduled: look again so that a
            # message added just now is not left behind.
            if not pending:
                return
            with self._lock:
                if sub._scheduled:
                    return
                sub._scheduled = True

    def _schedule(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on a worker, in order with other events."""
        events = self._events
        events._in_msgs += 1
        events._pending.append(lambda: fn(*args))
        if not events._scheduled:
            self._schedule_sub(events)

    def _report(self, err: Exception) -> None:
        """An asynchronous error: ``last_error``, the log and ``error_cb``."""
        self._last_error = err
        log.warning("%s: %s", err.code if isinstance(err, NatsError) else type(err).__name__, err)
        if self.options.error_cb is not None:
            self._schedule(self.options.error_cb, err)

    def _set_status(self, status: Status) -> None:
        self._status = status
        if self.options.status_cb is not None:
            self._schedule(self.options.status_cb, status)

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
        check = self.options.check_subjects
        subj = encode_subject(subject, check=check)
        rep = encode_subject(reply, check=check) if reply else None
        if isinstance(payload, str):
            payload = payload.encode()
        elif not isinstance(payload, bytes):
            payload = bytes(payload)
        limit = self._info.get("max_payload", 0)
        if headers:
            if self._info and not self._info.get("headers"):
                raise HeadersNotSupportedError("the server does not support headers")
            hdr = encode_headers(headers)
            size = len(hdr) + len(payload)
            cmd = hpub_cmd(subj, rep, hdr, payload)
        else:
            size = len(payload)
            cmd = pub_cmd(subj, rep, payload)
        if limit and size > limit:
            raise MaxPayloadError(f"message of {size} bytes exceeds max_payload of {limit}")
        if self._status is Status.CLOSED:
            raise ConnectionClosedError("the connection is closed")
        writer = self._writer
        writer.write(cmd)
        stats = self.stats
        stats.out_msgs += 1
        stats.out_bytes += len(payload)
        if writer.needs_drain:
            await writer.drain()

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
        return self._subscribe(subject, queue, callback, max_msgs, pending_msgs_limit,
                               pending_bytes_limit)

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
        if max_msgs is not None and (not isinstance(max_msgs, int) or max_msgs < 0):
            raise InvalidArgError(f"max_msgs must be a positive integer, not {max_msgs!r}")
        self._check_writable()
        opts = self.options
        sub = Subscription(
            self, next(self._sids), subject, queue, callback, max_msgs,
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

    async def _drain_sub(self, sub: Subscription, timeout: float | None) -> None:
        timeout = check_timeout(timeout, self.options.drain_timeout)
        self._check_writable()
        if self._subs.get(sub.sid) is sub and self._transport is not None:
            self._writer.write_ctl(unsub_cmd(sub.sid))
            await self.flush(timeout)  # what was sent before UNSUB has arrived
        self._subs.pop(sub.sid, None)
        sub._end()
        if not await sub._idle.wait(timeout):
            raise TimeoutError(f"draining subscription {sub.sid} timed out")

    # -- requests ----------------------------------------------------------

    def _start_request(self) -> tuple[str, Future[Msg]]:
        with self._lock:
            if self._resp_sub is None:
                self._resp_prefix = f"{self.new_inbox()}."
                self._resp_sub = self._subscribe(self._resp_prefix + "*")
            token = format(next(self._resp_ids), "x")
            fut: Future[Msg] = new_future()
            self._resp_map[token] = fut
        return token, fut

    async def request(
        self,
        subject: str,
        payload: bytes | bytearray | memoryview | str = b"",
        *,
        headers: HeadersArg = None,
        timeout: float | None = None,
    ) -> Msg:
        """Send a request and return the first reply."""
        timeout = check_timeout(timeout, self.options.request_timeout)
        token, fut = self._start_request()
        try:
            await self.publish(subject, payload, reply=self._resp_prefix + token, headers=headers)
            return await wait_future(fut, timeout)
        except TimeoutError:
            raise TimeoutError(f"request to {subject!r} timed out after {timeout} s") from None
        finally:
            self._resp_map.pop(token, None)

    async def request_msg(self, msg: MsgBase, *, timeout: float | None = None) -> Msg:
        """``request`` with the subject, data and headers of ``msg``."""
        return await self.request(msg.subject, msg.data, headers=msg._headers, timeout=timeout)

    async def request_future(
        self,
        subject: str,
        payload: bytes | bytearray | memoryview | str = b"",
        *,
        headers: HeadersArg = None,
        timeout: float | None = None,
    ) -> Future[Msg]:
        """Send a request; the future gets the reply, an error, or is cancelled."""
        timeout = check_timeout(timeout, self.options.request_timeout)
        token, fut = self._start_request()

        def expire() -> None:
            fail(fut, TimeoutError(f"request to {subject!r} timed out after {timeout} s"))

        timer = call_later(timeout or 0.0, expire)

        def done(_: Any) -> None:
            timer.cancel()
            self._resp_map.pop(token, None)

        fut.add_done_callback(done)
        try:
            await self.publish(subject, payload, reply=self._resp_prefix + token, headers=headers)
        except BaseException:
            fut.cancel()
            raise
        return fut

    async def request_many(
        self,
        subject: str,
        payload: bytes | bytearray | memoryview | str = b"",
        *,
        headers: HeadersArg = None,
        timeout: float | None = None,
        max_msgs: int | None = None,
        stall: float | None = None,
    ) -> list[Msg]:
        """Gather replies until ``max_msgs``, ``timeout`` or a ``stall`` gap."""
        return [
            msg
            async for msg in self.iter_request_many(
                subject, payload, headers=headers, timeout=timeout, max_msgs=max_msgs, stall=stall
            )
        ]

    async def iter_request_many(
        self,
        subject: str,
        payload: bytes | bytearray | memoryview | str = b"",
        *,
        headers: HeadersArg = None,
        timeout: float | None = None,
        max_msgs: int | None = None,
        stall: float | None = None,
    ) -> AsyncIterator[Msg]:
        """Yield replies as they come (see ``request_many``)."""
        timeout = check_timeout(timeout, self.options.request_timeout)
        stall = check_timeout(stall, None)
        inbox = self.new_inbox()
        sub = self._subscribe(inbox, max_msgs=max_msgs)
        count = 0
        try:
            await self.publish(subject, payload, reply=inbox, headers=headers)
            deadline = monotonic() + (timeout or 0.0)
            while max_msgs is None or count < max_msgs:
                wait = deadline - monotonic()
                if stall is not None and count:
                    wait = min(wait, stall)
                if wait <= 0:
                    break
                try:
                    msg = await sub.next_msg(wait)
                except (TimeoutError, BadSubscriptionError):
                    break
                if msg.status is not None and not msg.data:
                    if count == 0 and msg.is_no_responders:
                        raise NoRespondersError(f"no responders on {subject!r}")
                    break
                count += 1
                yield msg
            if count == 0:
                raise TimeoutError(f"request to {subject!r} timed out after {timeout} s")
        finally:
            if sub._active and self._status is not Status.CLOSED:
                await sub.unsubscribe()

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
        if self._connector is not None:
            self._connector.cancel()
        if transport is not None:
            await self._writer.close(self.options.connect_timeout)
        self._last_error = None
        await self._finish(None, ConnectionClosedError("the connection was closed"))

    async def _finish(self, reason: Exception | None, request_error: Exception) -> None:
        """Fail what waits, end subscriptions, stop the dispatcher: CLOSED."""
        if reason is not None:
            self._last_error = reason
        for fut in list(self._resp_map.values()):
            fail(fut, request_error)
        self._resp_map.clear()
        while self._pongs:
            fail(self._pongs.popleft(), ConnectionClosedError("the connection is closed"))
        closed = ConnectionClosedError("the connection is closed")
        for sub in list(self._subs.values()):
            sub._end(closed)
        self._subs.clear()
        self._resp_sub = None
        self._set_status(Status.CLOSED)
        self._writer = Writer(self.options.reconnect_buffer_size)
        # Callbacks already scheduled still run; then the workers stop.
        with self._lock:
            workers, self._workers = self._workers, []
            ready, self._ready = self._ready, Queue()
            self._free = self._queued = 0
        for _ in workers:
            ready.put_nowait(None)
        for worker in workers:
            await worker.join()

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
