"""Losing a server and finding another: ``Connection``'s reconnect loop,
``force_reconnect``, ``set_servers`` and the keep-alive PINGs (a mixin; the
policy, which server and when, is ``ServerPool``'s)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._io_async import (
    Event,
    Future,
    StateLock,
    Task,
    TimerHandle,
    call_later,
    fail,
    monotonic,
    spawn,
)
from .._protocol import PING_CMD
from .._transport_async import Writer
from ..errors import (
    BrokenSocketError,
    ConnectionClosedError,
    NatsError,
    NoServersError,
    StaleConnectionError,
    TimeoutError,
)
from ..status import Status

if TYPE_CHECKING:
    from ..options import Options, Server
    from ..pool import ServerPool


class ReconnectMethods:
    """The reconnect side of ``Connection``."""

    if TYPE_CHECKING:
        options: Options
        _lock: StateLock
        _pool: ServerPool
        _writer: Writer
        _transport: Any
        _ending: bool
        _status: Status
        _last_error: Exception | None
        _pongs: deque[Future[None] | None]
        _pings_out: int
        _ping_timer: TimerHandle | None
        _connector: Task | None
        _close_called: Event

        def _set_status(self, status: Status) -> None: ...
        def _report(self, err: Exception) -> None: ...
        def _check_writable(self) -> None: ...
        async def _connect_to(self, server: Server) -> None: ...
        async def _finish(self, reason: Exception | None, request_error: Exception) -> None: ...

    def _on_lost(
        self, exc: BaseException | None, report: bool = True, forced: bool = False
    ) -> None:
        """The transport ended without ``close()``: reconnect, or shut down."""
        with self._lock:
            if self._ending or self._transport is None:
                return
            self._transport = None
            self._stop_ping()
            self._writer.detach()
            pongs, self._pongs = self._pongs, deque()
            reconnect = self.options.allow_reconnect
            self._ending = not reconnect
            if reconnect:
                self._set_status(Status.RECONNECTING)
        for fut in pongs:
            if fut is not None:
                fail(fut, ConnectionClosedError("the connection was lost"))
        if isinstance(exc, NatsError):
            err: NatsError = exc
        else:
            text = f"connection lost: {exc}" if exc else "connection closed by the server"
            err = BrokenSocketError(text)
        if report:
            self._report(err)
        if reconnect:
            self._connector = spawn(self._reconnect, forced, name="natskit-reconnect")
        else:
            spawn(self._finish, err, TimeoutError("connection lost"), name="natskit-lost")

    async def force_reconnect(self) -> None:
        """Reconnect as after a loss of the server, reporting no error (nothing
        happens while (re)connecting already)."""
        with self._lock:
            self._check_writable()
            transport = self._transport
            if transport is None or self._status is not Status.CONNECTED:
                return
            transport.close()
        self._on_lost(None, report=False, forced=True)

    def set_servers(self, servers: str | Sequence[str]) -> None:
        """Replace the pool with ``servers`` (URLs, as ``connect()`` takes them);
        the current connection stays until it is lost."""
        self._pool.replace(servers)
        self.options.servers = [servers] if isinstance(servers, str) else list(servers)

    async def _reconnect(self, forced: bool = False) -> None:
        """Try servers as the pool says until one answers or it gives up."""
        pool = self._pool
        pool.lost(forced)
        while not self._ending:
            step = pool.next_attempt(monotonic())
            if step is None:
                break  # every server left the pool
            server, wait = step
            if wait > 0 and await self._close_called.wait(wait):
                return
            if self._ending:
                return
            try:
                await self._connect_to(server)
                return
            except NatsError as exc:
                if self._ending:
                    return
                self._report(exc)  # every failed attempt is an asynchronous error
                if pool.failed(server, exc):
                    break
        if not self._ending:
            self._ending = True
            err = self._last_error or NoServersError("no servers left in the pool")
            await self._finish(err, TimeoutError("connection lost"))

    def _schedule_ping(self, transport: Any) -> None:
        interval = self.options.ping_interval
        if interval > 0:
            self._ping_timer = call_later(interval, lambda: self._ping_tick(transport))

    def _stop_ping(self) -> None:
        timer, self._ping_timer = self._ping_timer, None
        if timer is not None:
            timer.cancel()

    def _ping_tick(self, transport: Any) -> None:
        """Client keep-alive: PING every ``ping_interval``; stale after too many."""
        with self._lock:
            if self._transport is not transport or self._ending:
                return
            if self._pings_out >= self.options.max_outstanding_pings:
                stale = True
            else:
                stale = False
                self._pings_out += 1
                self._pongs.append(None)
                self._writer.write_ctl(PING_CMD)
                self._schedule_ping(transport)
        if stale:
            transport.close()
            self._on_lost(StaleConnectionError("stale connection: PINGs not answered"))
