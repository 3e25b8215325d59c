"""Asyncio half of the paired transports: one TCP (TLS, WebSocket) connection, its writer.

Code under ``_async/`` opens servers with ``open_transport`` and writes through
``Writer``; the converter rewrites the import to ``_transport_sync``, whose
names and signatures match this module.
"""

from __future__ import annotations

import asyncio
import builtins
import socket
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from ._io_async import new_future, resolve, wait_future
from ._protocol.websocket import WebSocket
from .errors import (
    BrokenSocketError,
    ConnectionRefusedError,
    ConnectionTimeoutError,
    HostNotFoundError,
    ReconnectBufferExceededError,
    TimeoutError,
    TLSError,
)

if TYPE_CHECKING:
    import ssl

__all__ = ["Transport", "Writer", "open_transport"]

# The protocol reads into one buffer per connection (see ``_transport_sync``: a
# fresh 256 KiB bytes per read costs an mmap cycle in glibc).
READ_SIZE = 256 * 1024
# The writer hands its buffer to the transport once it holds this much, even
# inside a tight publish loop that never yields to the event loop.
FLUSH_AT = 256 * 1024


class _Protocol(asyncio.BufferedProtocol):
    def __init__(self) -> None:
        self._view = memoryview(bytearray(READ_SIZE))
        self.transport: asyncio.Transport | None = None
        self.on_data: Callable[[bytes], None] | None = None
        self.on_lost: Callable[[BaseException | None], None] | None = None
        self.early: deque[bytes] = deque()
        self.early_waiter: asyncio.Future[None] | None = None
        self.eof = False
        self.lost_exc: BaseException | None = None
        self.paused = False
        self.resumed: asyncio.Future[None] | None = None
        self.writer: Writer | None = None  # told about pause/resume
        self.ws: WebSocket | None = None  # set once upgraded to WebSocket

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A cast, not an isinstance check: uvloop's transports do not derive from
        # asyncio.Transport, though they have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(self._view[:nbytes].tobytes())

    def data_received(self, data: bytes) -> None:
        try:
            ws = self.ws
            if ws is not None:  # NATS over WebSocket: the frames' payloads are the stream
                data = self._ws_decode(ws, data)
                if not data:
                    return
            on_data = self.on_data
            if on_data is None:
                self.early.append(data)
                self._wake_reader()
                return
            on_data(data)
        except Exception as exc:  # a ProtocolError, or a bug: drop the connection
            assert self.transport is not None
            self.transport.abort()
            self._lost(exc)

    def _ws_decode(self, ws: WebSocket, data: bytes) -> bytes:
        data = ws.decode(data)
        replies = ws.take_replies()
        if replies and self.transport is not None:
            self.transport.write(replies)
        if ws.closed and self.transport is not None:
            self.transport.close()  # connection_lost follows
        return data

    def eof_received(self) -> bool | None:
        self.eof = True
        self._wake_reader()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self._wake_reader()
        if self.resumed is not None and not self.resumed.done():
            self.resumed.set_result(None)
        self._lost(exc)

    def _lost(self, exc: BaseException | None) -> None:
        if self.lost_exc is None:
            self.lost_exc = exc or BrokenSocketError("connection closed by the server")
            on_lost = self.on_lost
            self.on_lost = None
            if on_lost is not None:
                on_lost(exc)

    def _wake_reader(self) -> None:
        if self.early_waiter is not None:
            resolve(self.early_waiter, None)

    def pause_writing(self) -> None:
        self.paused = True
        if self.writer is not None:
            self.writer.needs_drain = True

    def resume_writing(self) -> None:
        self.paused = False
        if self.writer is not None:
            self.writer.needs_drain = False
        if self.resumed is not None:
            resolve(self.resumed, None)


class Transport:
    """One TCP connection to a server."""

    def __init__(self, protocol: _Protocol) -> None:
        self._proto = protocol

    async def read(self, timeout: float) -> bytes:
        """Handshake phase: the next chunk, b"" at EOF."""
        proto = self._proto
        if not proto.early and not proto.eof:
            proto.early_waiter = new_future()
            try:
                await wait_future(proto.early_waiter, timeout)
            except TimeoutError:
                raise ConnectionTimeoutError("timed out waiting for the server") from None
            finally:
                proto.early_waiter = None
        if proto.early:
            return proto.early.popleft()
        return b""

    async def start_tls(
        self, context: ssl.SSLContext, server_hostname: str, timeout: float
    ) -> None:
        """Upgrade to TLS (handshake phase); ``TLSError`` when it fails."""
        proto = self._proto
        assert proto.transport is not None
        loop = asyncio.get_running_loop()
        try:
            new = await asyncio.wait_for(
                loop.start_tls(proto.transport, proto, context, server_hostname=server_hostname),
                max(timeout, 0.001),
            )
        except asyncio.TimeoutError:
            raise ConnectionTimeoutError("the TLS handshake timed out") from None
        except OSError as exc:  # ssl.SSLError and CertificateError are OSErrors
            raise TLSError(f"TLS handshake with the server failed: {exc}") from None
        assert new is not None
        proto.transport = new

    async def start_websocket(self, host: str, port: int, timeout: float, path: str = "/") -> None:
        """Upgrade to WebSocket (handshake phase; after TLS for ``wss``)."""
        proto = self._proto
        assert proto.transport is not None
        ws = WebSocket(host, port, path)
        proto.transport.write(ws.request())
        deadline = asyncio.get_running_loop().time() + timeout
        rest = None
        while rest is None:
            data = await self.read(deadline - asyncio.get_running_loop().time())
            if not data:
                raise BrokenSocketError(
                    "the server closed the connection during the WebSocket upgrade"
                )
            rest = ws.receive_handshake(data)
        proto.ws = ws
        raw = b"".join([rest, *proto.early])  # frames that came before ws was set
        proto.early.clear()
        if raw:
            proto.data_received(raw)

    def start(
        self, on_data: Callable[[bytes], None], on_lost: Callable[[BaseException | None], None]
    ) -> None:
        """Hand every further chunk to ``on_data``; ``on_lost`` once at the end."""
        proto = self._proto
        proto.on_data = on_data
        proto.on_lost = on_lost
        if proto.eof:
            proto._lost(None)

    def write(self, data: bytes | bytearray) -> None:
        proto = self._proto
        assert proto.transport is not None
        proto.transport.write(data if proto.ws is None else proto.ws.encode(data))

    def bind_writer(self, writer: Writer) -> None:
        """Tell ``writer`` when the socket buffer is full (``needs_drain``)."""
        self._proto.writer = writer
        writer.needs_drain = self._proto.paused

    async def wait_writable(self) -> None:
        """Wait until the transport resumes writing (every waiter is woken)."""
        proto = self._proto
        while proto.paused and not proto.eof:
            if proto.resumed is None or proto.resumed.done():
                proto.resumed = new_future()
            await asyncio.shield(proto.resumed)

    def close(self) -> None:
        transport = self._proto.transport
        if transport is not None:
            transport.close()

    async def wait_closed(self, timeout: float) -> None:
        """Close after the kernel took what is buffered, or abort at ``timeout``."""
        transport = self._proto.transport
        if transport is None or self._proto.eof:
            return
        waiter = new_future()
        self._proto.early_waiter = waiter
        transport.close()
        try:
            await wait_future(waiter, timeout)
        except TimeoutError:
            transport.abort()
        except BaseException:  # cancelled: do not leave the socket waiting on the peer
            transport.abort()
            raise


async def open_transport(host: str, port: int, timeout: float) -> Transport:
    """Connect over TCP; natskit errors for refusal, timeout and other failures."""
    loop = asyncio.get_running_loop()
    try:
        _, proto = await asyncio.wait_for(loop.create_connection(_Protocol, host, port), timeout)
    except asyncio.TimeoutError:
        raise ConnectionTimeoutError(f"connecting to {host}:{port} timed out") from None
    except socket.gaierror as exc:
        raise HostNotFoundError(f"cannot resolve host {host!r}: {exc}", host=host) from None
    except builtins.ConnectionRefusedError as exc:
        raise ConnectionRefusedError(f"cannot connect to {host}:{port}: {exc}") from None
    except OSError as exc:
        raise BrokenSocketError(f"cannot connect to {host}:{port}: {exc}") from None
    sock = proto.transport.get_extra_info("socket") if proto.transport else None
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return Transport(proto)


class Writer:
    """Outgoing bytes: coalesced per loop iteration, kept while disconnected."""

    def __init__(self, limit: int) -> None:
        self._buf = bytearray()
        self._limit = limit
        self._transport: Transport | None = None
        self._scheduled = False
        self.needs_drain = False  # the transport paused writing: publishers should wait

    def write(self, data: bytes) -> None:
        """Queue ``data``; raise when disconnected and the buffer is full."""
        transport = self._transport
        if transport is None:
            if len(self._buf) + len(data) > self._limit:
                raise ReconnectBufferExceededError(
                    f"reconnect buffer of {self._limit} bytes is full"
                )
            self._buf += data
            return
        if len(data) >= FLUSH_AT:  # a large message goes to the transport as it is,
            self._flush()  # not copied into the buffer first (1 MiB: a copy and a realloc)
            transport.write(data)
            return
        self._buf += data
        if len(self._buf) >= FLUSH_AT:
            self._flush()
        elif not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def write_ctl(self, data: bytes) -> None:
        """Queue a control line (PONG); same as ``write`` on the event loop."""
        self.write(data)

    def write_urgent(self, data: bytes) -> None:
        """Queue ``data`` for a waiting caller: the first urgent write of a loop
        iteration goes to the transport now (no wait for the next iteration);
        the ones after it join the flush it schedules, so 1,000 requests made
        at once cost two socket writes, not 1,000."""
        if self._transport is None or self._scheduled:
            self.write(data)
        else:
            self._buf += data
            self._flush()
            self._scheduled = True  # a flush for what the rest of this iteration writes
            asyncio.get_running_loop().call_soon(self._flush)

    async def drain(self) -> None:
        """Wait until the transport accepts more data."""
        transport = self._transport
        if transport is not None:
            await transport.wait_writable()

    def _flush(self) -> None:
        self._scheduled = False
        if self._transport is not None and self._buf:
            data, self._buf = self._buf, bytearray()
            self._transport.write(data)

    def attach(self, transport: Transport, preamble: bytes) -> None:
        """Start sending to ``transport``: ``preamble`` first, then what was kept."""
        self._buf[0:0] = preamble
        self._transport = transport
        transport.bind_writer(self)
        self._flush()

    def detach(self) -> None:
        """Stop sending; later writes are kept up to the limit."""
        self._transport = None
        self.needs_drain = False

    async def close(self, timeout: float) -> None:
        """Send everything buffered, then close the transport."""
        transport = self._transport
        self._flush()
        self._transport = None
        if transport is not None:
            await transport.wait_closed(timeout)
