"""The connection: connecting and reconnecting, publish, subscribe, flush, drain, close.

Threads of control (tasks in asyncio, threads in the blocking twin):

* the reader feeds bytes to the sans-I/O ``Parser`` and hands the frames to
  the ``Router`` (``subscription.py``): messages go to their subscription,
  which queues them for ``next_msg`` or its callback (request replies
  resolve their future at once); PING, PONG, INFO and -ERR come back here;
* the ``Dispatcher`` runs callbacks, ``error_cb`` and ``status_cb`` on its
  workers, never on the reader (see ``dispatch.py``);
* the ``Writer`` coalesces outgoing bytes and keeps them while not connected;
* a connector task (thread) runs the initial ``connect(wait=False)`` and
  every reconnect, as ``ServerPool`` (``pool.py``, no I/O) directs.

Each collaborator owns its state: ``ServerPool`` the servers and the
reconnect policy, ``PubEncoder`` (``_protocol``) the wire format of
publishes, ``Router`` the subscriptions, ``Replies`` (``requests.py``) the
requests awaiting a reply. ``Link`` (``link.py``) is what natskit's own
layers (messages, JetStream) use of a connection beyond its public API.
``Connection`` gathers mixins: ``RequestMethods`` (``requests.py``),
``ReconnectMethods`` (``reconnecting.py``: the reconnect loop, PINGs) and
``FeatureMethods`` (``entrypoints.py``: JetStream, services, tracing); the
initial ``connect()`` function is in ``connecting.py``.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from .. import _instrument
from .._io_async import (
    Event,
    Future,
    Opener,
    StateLock,
    Task,
    TimerHandle,
    check_blocking_allowed,
    check_callback,
    fail,
    monotonic,
    new_future,
    report_unhandled,
    resolve,
    spawn,
    wait_future,
)
from .._protocol import (
    LARGE,
    PING,
    PING_CMD,
    PONG,
    PONG_CMD,
    Err,
    Info,
    Parser,
    PubEncoder,
    next_nuid,
)
from .._transport_async import Writer, open_transport
from ..errors import (
    CallbackError,
    ConnectionClosedError,
    NatsError,
    NoServersError,
    TimeoutError,
)
from ..msg import HeadersArg, MsgBase, headers_of
from ..options import Options, Server, ServerAddress, check_timeout
from ..pool import ServerPool
from ..server_errors import error_from_server, is_fatal
from ..status import Stats, Status
from .dispatch import Dispatcher
from .entrypoints import FeatureMethods
from .handshake import handshake
from .link import Link, ended_error
from .msg import Msg
from .reconnecting import ReconnectMethods
from .requests import Payload, Replies, RequestMethods
from .subscription import Router, Subscription

log = logging.getLogger("natskit.connection")
_CLOSED = Status.CLOSED  # for publish: an Enum attribute costs about 50 ns on CPython 3.11


class Connection(RequestMethods, ReconnectMethods, FeatureMethods):
    """A connection to a pool of NATS servers.

    ``connect()`` makes one and connects it; ``Connection(servers, **options)``
    makes one to connect later with its ``connect()`` method (the arguments
    are those of ``connect()``, kept in ``options``, an ``Options``). Leaving
    its ``with`` block (``async with``) closes it. While it lives, a lost
    server is replaced by another of the pool, subscriptions are restored and
    publishes buffered; errors that happen in the background go to the
    ``error_cb`` option and ``last_error``, changes of ``status`` to
    ``status_cb``. ``jetstream()`` and ``service()`` work on this connection.
    """

    def __init__(
        self,
        servers: str | Sequence[str] | None = None,
        *,
        _opener: Opener = open_transport,
        **options: Any,
    ) -> None:
        # _opener: how a server is reached; tests give an in-memory network's (memory.py)
        self.options = opts = Options.build(servers, options)
        for name in ("error_cb", "status_cb", "discovered_servers_cb", "lame_duck_cb"):
            check_callback(getattr(opts, name), name)
        check_callback(opts.reconnect_delay_cb, "reconnect_delay_cb")
        self._opener = _opener
        self._pool = ServerPool.from_options(opts)
        self._pool.delay_failed = lambda exc: self._callback_failed(exc, "reconnect_delay_cb")
        self._status = Status.CLOSED
        self._last_error: Exception | None = None
        self._info: dict[str, Any] = {}
        self._writer = Writer(opts.reconnect_buffer_size)
        self._lock = StateLock()
        self._pongs: deque[Future[None] | None] = deque()  # None: a keep-alive PING
        self._pings_out = 0
        self._ping_timer: TimerHandle | None = None  # holds self: cancelled when the transport goes
        self._dispatcher = Dispatcher(self._call_failed, self)
        self._listeners: list[Callable[[Status], None]] = []
        self._link = Link(
            self,
            publish=self._publish_internal,
            queue=self._queue_internal,
            request=self._request,
            send=self._send,
            drain=self._drain_writer,
            control=self._control,
            check_writable=self._check_writable,
            report=self._report,
            callback_failed=self._callback_failed,
            listeners=self._listeners,
        )
        self._router = Router(self._link, opts, self._dispatcher, self._lock, self._on_frame)
        self._replies = self._link.replies = Replies(self._router, self.new_inbox)
        self._encoder = PubEncoder(opts.check_subjects)
        self._templates = self._encoder.templates  # the fast path of publish reads them
        self._fast_max = LARGE  # larger payloads take the encoder's path
        self._connector: Task | None = None
        self._transport: Any = None
        self._ending = False  # no more (re)connecting: close() was called, or it gave up
        self._finishing = False
        self._close_called = Event()  # wakes a reconnect that waits between attempts
        self._out_msgs = self._out_bytes = 0
        self._reconnects = 0

    # -- properties -------------------------------------------------------

    @property
    def status(self) -> Status:
        """``CONNECTING``, ``CONNECTED``, ``RECONNECTING``, ``DRAINING`` or ``CLOSED``."""
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
        router = self._router
        return Stats(
            router.in_msgs, self._out_msgs, router.in_bytes, self._out_bytes, self._reconnects
        )

    @property
    def max_payload(self) -> int:
        """The largest payload the server accepts, in bytes (0 before the first INFO)."""
        return int(self._info.get("max_payload", 0))

    @property
    def client_id(self) -> int | None:
        """The id the server gave this client (None before the first INFO)."""
        value = self._info.get("client_id")
        return int(value) if value is not None else None

    @property
    def current_server(self) -> ServerAddress | None:
        """The server connected to, or being tried (None before the first attempt)."""
        current = self._pool.current
        return current.address if current else None

    @property
    def servers(self) -> list[ServerAddress]:
        """The pool: the given servers and those the cluster announced."""
        return self._pool.addresses

    @property
    def is_connected(self) -> bool:
        """Whether ``status`` is ``CONNECTED``."""
        return self._status is Status.CONNECTED

    def new_inbox(self) -> str:
        """A unique, unguessable subject under ``inbox_prefix``."""
        return f"{self.options.inbox_prefix}.{next_nuid()}"

    # -- connecting -------------------------------------------------------

    async def connect(self, wait: bool = True) -> Connection:
        """Connect to the pool; with ``wait=False`` return at once (CONNECTING)."""
        check_blocking_allowed()
        if self._status is not Status.CLOSED:
            return self
        self._ending = False
        self._finishing = False
        self._close_called = Event()
        self._last_error = None
        self._set_status(Status.CONNECTING)
        if not wait:
            self._connector = spawn(self._connect_in_background, name="natskit-connect")
            return self
        try:
            await self._connect_pool()
        except NatsError as exc:
            if not self._retry_later(exc):
                await self._failed_connect(exc)
                raise
        except BaseException as exc:  # cancelled / interrupted
            await self._failed_connect(exc)
            raise
        return self

    def _retry_later(self, exc: NatsError) -> bool:
        """``retry_on_failed_connect``: True, and reconnecting in the background."""
        opts = self.options
        if not (opts.retry_on_failed_connect and opts.allow_reconnect) or self._ending:
            return False
        if isinstance(exc, ConnectionClosedError):  # close() was called
            return False
        self._set_status(Status.RECONNECTING)
        self._connector = spawn(self._reconnect, name="natskit-reconnect")
        return True

    async def _failed_connect(self, exc: BaseException) -> None:
        """The first connect failed for good: CLOSED, ``last_error`` its reason."""
        self._ending = True
        transport, self._transport = self._transport, None
        self._stop_ping()
        if transport is not None:  # connected, then cancelled before returning
            transport.close()
        reason = _cause(exc) if isinstance(exc, NatsError) else None
        await self._finish(reason, ConnectionClosedError("connection failed"))

    async def _connect_in_background(self) -> None:
        try:
            await self._connect_pool()
        except NatsError as exc:
            if not self._ending and not self._retry_later(exc):
                self._ending = True
                if exc.__cause__ is not None:  # each attempt was reported: the outcome too
                    self._report(exc)
                await self._finish(_cause(exc), TimeoutError("the connection failed"))

    async def _connect_pool(self) -> None:
        """The initial connect: each server of the pool once, in order. Each
        failure is reported; one server raises its error, several raise
        ``NoServersError`` caused by the last one."""
        errors: list[str] = []
        last: NatsError | None = None
        for server in self._pool.servers:
            if self._ending:
                raise ConnectionClosedError("closed while connecting")
            try:
                await self._connect_to(server)
                return
            except NatsError as exc:
                self._report(exc)
                errors.append(f"{server.address.host}:{server.address.port}: {exc}")
                last = exc
        if last is not None and len(errors) == 1:
            raise last
        raise NoServersError(f"no server could be reached ({'; '.join(errors)})") from last

    async def _connect_to(self, server: Server) -> None:
        pool = self._pool
        pool.attempting(server, monotonic())
        parser = Parser()  # never shared with the reader of a lost transport
        transport, info, frames = await handshake(
            self.options, server, parser, pool.tls_name(server), self._opener, pool.tls_required
        )
        with self._lock:
            if self._ending:
                transport.close()
                raise ConnectionClosedError("closed while connecting")
            self._transport = transport
            pool.connected(server)
            self._pings_out = 0
            self._process_info(info, initial=True)
            self._writer.attach(transport, self._router.restore_commands())
            if self._status is Status.RECONNECTING:
                self._reconnects += 1
            self._set_status(Status.CONNECTED)
        handle = self._router.handle
        handle(frames)
        with self._lock:
            if self._transport is not transport:
                return  # closed, or lost (lame duck), while handling those frames
            # The parser goes with the transport: a late chunk of a lost one
            # cannot reach the parser of the next.
            feed = parser.feed
            transport.start(lambda data: handle(feed(data)), self._on_lost)
            self._schedule_ping(transport)

    def _process_info(self, info: dict[str, Any], initial: bool = False) -> None:
        """Adopt an INFO: its limits, new servers from ``connect_urls``, lame duck mode."""
        self._info = info
        self._pool.server_info(info)
        self._encoder.server_info(info)
        self._fast_max = min(LARGE, self._encoder.max_payload)
        added = self._pool.learn(info.get("connect_urls") or ())
        callback = self.options.discovered_servers_cb
        if added and not initial and callback is not None:
            self._dispatcher.call(callback, added)
        current = self._pool.current
        if info.get("ldm") and not initial and current is not None:
            log.info("server %s entered lame duck mode", current.address)
            if self.options.lame_duck_cb is not None:
                self._dispatcher.call(self.options.lame_duck_cb, current.address)
            if len(self._pool) > 1 and self._transport is not None:
                self._transport.close()
                self._on_lost(None, report=False)

    # -- reader side (no awaits: runs in the reader) ----------------------

    def _on_frame(self, frame: Any) -> None:
        """A protocol frame other than a message (the router routes those)."""
        if frame is PING:
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

    def _on_err(self, text: str) -> None:
        err = error_from_server(text)
        if is_fatal(err):
            transport = self._transport
            self._on_lost(err)
            if transport is not None:
                transport.close()
        else:
            self._report(err)

    # -- asynchronous errors and status --------------------------------------

    def _report(self, err: Exception) -> None:
        """An asynchronous error: ``last_error``, the log and ``error_cb``."""
        self._last_error = err
        log.warning("%s: %s", err.code if isinstance(err, NatsError) else type(err).__name__, err)
        if self.options.error_cb is not None:
            self._dispatcher.call(self.options.error_cb, err)

    def _callback_failed(
        self, exc: Exception, what: str, *, sid: int = 0, subject: str = ""
    ) -> None:
        """A callback of the user's (``what``) raised: to ``error_cb``, else
        reported as an unhandled exception of a thread or task."""
        if isinstance(exc, CallbackError):  # described already (a service handler's)
            err = exc
        else:
            err = CallbackError(
                f"{what} raised {type(exc).__name__}: {exc}", sid=sid, subject=subject
            )
            err.__cause__ = exc
        if self.options.error_cb is None:
            report_unhandled(err)
        else:
            self._dispatcher.call(self.options.error_cb, err)

    def _call_failed(self, fn: Any, exc: Exception) -> None:
        """``error_cb``, ``status_cb`` or another function run by the dispatcher raised."""
        what = getattr(fn, "__qualname__", repr(fn))
        if fn is self.options.error_cb:  # not to error_cb again
            err = CallbackError(f"error_cb {what} raised {type(exc).__name__}: {exc}")
            err.__cause__ = exc
            report_unhandled(err)
        else:
            self._callback_failed(exc, what)

    def _set_status(self, status: Status) -> None:
        self._status = status
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                log.exception("status listener %r failed", listener)
        if self.options.status_cb is not None:
            self._dispatcher.call(self.options.status_cb, status)

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
        if _instrument.active is not None:
            await self._publish_traced(_instrument.active, subject, payload, reply, headers)
            return
        try:
            template = self._templates.get(subject)
        except TypeError:  # not a str: the encoder raises the natskit error
            template = None
        if (
            template is None
            or reply is not None
            or headers
            or type(payload) is not bytes
            or (size := len(payload)) > self._fast_max
        ):
            cmd, size = self._encoder.encode(subject, payload, reply, headers)
        else:  # the common case: a known subject, bytes, nothing else
            cmd = template % (size, payload)
        # _send() inlined: this is the hottest path of the library
        if self._status is _CLOSED:
            raise ConnectionClosedError("the connection is closed")
        writer = self._writer
        writer.write(cmd)
        self._out_msgs += 1
        self._out_bytes += size
        if writer.needs_drain:
            await writer.drain()

    async def _publish_traced(
        self,
        hooks: _instrument.Hooks,
        subject: str,
        payload: Payload,
        reply: str | None,
        headers: HeadersArg,
    ) -> None:
        """``publish`` in a span, the trace context added to the headers."""
        with hooks.send("publish", self, subject, payload, headers) as op:
            cmd, size = self._encoder.encode(subject, payload, reply, op.headers)
            if self._send(cmd, size):
                await self._writer.drain()

    async def _publish_internal(
        self,
        subject: str,
        payload: Payload = b"",
        *,
        reply: str | None = None,
        headers: HeadersArg = None,
        subject_trusted: bool = False,
        urgent: bool = False,
    ) -> None:
        """``publish`` for natskit's own messages: the reply subject (an inbox made
        here) is not checked again, nor is ``subject`` when ``subject_trusted``
        (an ack subject from the server); neither fills the templates.
        ``urgent``: a caller waits for the answer, send now (``write_urgent``)."""
        if self._queue_internal(subject, payload, reply, headers, subject_trusted, urgent):
            await self._writer.drain()

    def _queue_internal(
        self,
        subject: str,
        payload: Payload,
        reply: str | None,
        headers: HeadersArg,
        subject_trusted: bool = False,
        urgent: bool = False,
    ) -> bool:
        """``_publish_internal`` without the wait: True when the caller should drain
        (a coroutine less on the hot paths of requests and ``publish_future``)."""
        cmd, size = self._encoder.encode(subject, payload, reply, headers, subject_trusted, True)
        return self._send(cmd, size, urgent)

    def _send(self, cmd: bytes, size: int, urgent: bool = False) -> bool:
        """Queue an encoded message; True when the caller should wait for the socket."""
        if self._status is _CLOSED:
            raise ConnectionClosedError("the connection is closed")
        writer = self._writer
        if urgent:
            writer.write_urgent(cmd)
        else:
            writer.write(cmd)
        self._out_msgs += 1
        self._out_bytes += size
        return writer.needs_drain

    async def _drain_writer(self) -> None:
        await self._writer.drain()  # the writer of the moment: close() makes a new one

    def _control(self, cmd: bytes) -> bool:
        """Send a control line (SUB, UNSUB) if connected; a reconnect restores
        the subscriptions anyway. True when it went to the writer."""
        with self._lock:
            if self._transport is None:
                return False
            self._writer.write_ctl(cmd)
            return True

    async def publish_msg(self, msg: MsgBase) -> None:
        """Publish a ``Msg`` (subject, data, reply and headers)."""
        await self.publish(msg.subject, msg.data, reply=msg.reply, headers=headers_of(msg))

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
        concurrency: int = 1,
    ) -> Subscription:
        """Subscribe; messages go to ``callback`` or are read with ``next_msg``.
        ``concurrency=N``: the callback runs for up to N messages at once (in
        no particular order); by default for one at a time, in order."""
        check_callback(callback, "callback")
        return self._router.subscribe(
            subject, queue, callback, max_msgs, pending_msgs_limit, pending_bytes_limit, concurrency
        )

    # -- flush, drain, close ----------------------------------------------

    async def flush(self, timeout: float | None = None) -> None:
        """PING the server and wait for PONG: everything sent before is processed."""
        check_blocking_allowed()
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
        """Unsubscribe everything, handle what arrived, then close; ``timeout``
        (default: the ``drain_timeout`` option; None in both: no limit) bounds
        the wait for the callbacks."""
        check_blocking_allowed()
        timeout = check_timeout(timeout, self.options.drain_timeout)
        if self._status is not Status.CONNECTED:
            await self.close()
            return
        self._set_status(Status.DRAINING)
        try:
            await self._router.drain(timeout)
        except NatsError as exc:
            self._report(exc)
        finally:  # also when cancelled: a drain ends closed
            await self.close()

    async def close(self) -> None:
        """Send what is buffered, close the socket, cancel pending requests."""
        with self._lock:
            if self._status is Status.CLOSED:
                return
            self._ending = True
            transport, self._transport = self._transport, None
            self._stop_ping()
        self._close_called.set()
        if self._connector is not None:
            self._connector.cancel()
        try:
            if transport is not None:
                await self._writer.close(self.options.connect_timeout)
        finally:  # also when cancelled while flushing: closed all the same
            self._last_error = None
            await self._finish(None, ConnectionClosedError("the connection was closed"))
            await self._link.join_tasks()  # the consumers' and watchers' tasks end now

    async def _finish(self, reason: Exception | None, request_error: Exception) -> None:
        """Fail what waits, end subscriptions, stop the dispatcher: CLOSED (once)."""
        with self._lock:
            if self._finishing:
                return
            self._finishing = True
        if reason is not None:
            self._last_error = reason
        self._replies.fail_all(request_error)
        pongs, self._pongs = self._pongs, deque()
        for pong in pongs:
            if pong is not None:
                fail(pong, ConnectionClosedError("the connection is closed"))
        self._router.end_all(ended_error(reason))
        self._set_status(Status.CLOSED)
        self._writer = Writer(self.options.reconnect_buffer_size)
        # Callbacks already scheduled still run; then the workers stop.
        await self._dispatcher.stop()

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<Connection {self._status.value} {self.current_server}>"


def _cause(exc: NatsError) -> Exception:
    """What ``last_error`` keeps of a failed connect: the last attempt's error."""
    cause = exc.__cause__
    return cause if isinstance(exc, NoServersError) and isinstance(cause, Exception) else exc
