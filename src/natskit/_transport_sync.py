"""Blocking half of the paired transports: one TCP (TLS, WebSocket) connection, its writer.

Same names and signatures as ``_transport_async``. ``Transport.start`` runs
the reader thread; ``Writer`` has a flusher thread that sends what publishers
buffered in large chunks.
"""

from __future__ import annotations

import builtins
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._protocol.websocket import WebSocket
from .errors import (
    BrokenSocketError,
    ConnectionRefusedError,
    ConnectionTimeoutError,
    HostNotFoundError,
    NatsError,
    ReconnectBufferExceededError,
    TLSError,
)
from .options import is_ip

if TYPE_CHECKING:
    import ssl

__all__ = ["Transport", "Writer", "open_transport"]

# Reads go into one buffer per connection, copied out at their size: a fresh
# 256 KiB ``recv()`` per read is an mmap/mremap/munmap cycle in glibc (above its
# mmap threshold), which doubled the system time of a request round trip.
READ_SIZE = 256 * 1024
# A publisher waits for the flusher once this much is buffered.
HIGH_WATER = 4 * 1024 * 1024


class Transport:
    """One TCP connection to a server; ``start`` runs the reader thread."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._closed = False
        self._reader: threading.Thread | None = None
        self._ws: WebSocket | None = None  # set once upgraded to WebSocket
        self._ws_early = b""  # NATS bytes that came with the upgrade answer
        self._ws_lock = threading.Lock()  # whole frames: writers and the reader's pongs

    def _recv(self, timeout: float) -> bytes:
        self._sock.settimeout(max(timeout, 0.001))
        try:
            return self._sock.recv(READ_SIZE)
        except builtins.TimeoutError:
            raise ConnectionTimeoutError("timed out waiting for the server") from None
        except OSError as exc:
            raise BrokenSocketError(f"socket failed: {exc}") from None

    def read(self, timeout: float) -> bytes:
        """Handshake phase: the next chunk, b"" at EOF."""
        ws = self._ws
        if ws is None:
            return self._recv(timeout)
        if self._ws_early:
            data, self._ws_early = self._ws_early, b""
            return data
        deadline = time.monotonic() + timeout
        while not ws.closed:
            raw = self._recv(deadline - time.monotonic())
            if not raw:
                break
            data = self._ws_decode(ws, raw)
            if data:
                return data
        return b""

    def start_websocket(self, host: str, port: int, timeout: float, path: str = "/") -> None:
        """Upgrade to WebSocket (handshake phase; after TLS for ``wss``)."""
        ws = WebSocket(host, port, path)
        deadline = time.monotonic() + timeout
        try:
            self._sock.sendall(ws.request())
        except OSError as exc:
            raise BrokenSocketError(f"socket failed: {exc}") from None
        rest = None
        while rest is None:
            data = self._recv(deadline - time.monotonic())
            if not data:
                raise BrokenSocketError(
                    "the server closed the connection during the WebSocket upgrade"
                )
            rest = ws.receive_handshake(data)
        self._ws = ws
        self._ws_early = self._ws_decode(ws, rest) if rest else b""

    def _ws_decode(self, ws: WebSocket, raw: bytes) -> bytes:
        """NATS bytes of ``raw`` frames; answer pings (from the reader's thread)."""
        data = ws.decode(raw)
        replies = ws.take_replies()
        if replies:
            with self._ws_lock:
                self._sock.sendall(replies)
        return data

    def start_tls(self, context: ssl.SSLContext, server_hostname: str, timeout: float) -> None:
        """Upgrade to TLS (handshake phase); ``TLSError`` when it fails."""
        self._sock.settimeout(max(timeout, 0.001))
        try:
            self._sock = context.wrap_socket(self._sock, server_hostname=server_hostname)
        except builtins.TimeoutError:
            raise ConnectionTimeoutError("the TLS handshake timed out") from None
        except OSError as exc:  # ssl.SSLError and CertificateError are OSErrors
            raise TLSError(f"TLS handshake with the server failed: {exc}") from None

    def start(
        self, on_data: Callable[[bytes], None], on_lost: Callable[[BaseException | None], None]
    ) -> None:
        """Hand every further chunk to ``on_data`` on a reader thread."""
        self._sock.settimeout(None)
        reader = threading.Thread(
            target=self._read_loop, args=(on_data, on_lost), name="natskit-reader", daemon=True
        )
        reader.start()
        self._reader = reader  # only a started thread can be joined by wait_closed

    def _read_loop(
        self, on_data: Callable[[bytes], None], on_lost: Callable[[BaseException | None], None]
    ) -> None:
        recv_into = self._sock.recv_into
        view = memoryview(bytearray(READ_SIZE))
        ws = self._ws
        exc: BaseException | None = None
        try:
            while True:
                size = recv_into(view)
                if not size:
                    break
                if ws is None:
                    on_data(view[:size].tobytes())
                    continue
                data = self._ws_decode(ws, view[:size].tobytes())
                if data:
                    on_data(data)
                if ws.closed:
                    break
        except NatsError as err:  # a ProtocolError (some natskit errors are OSErrors)
            exc = err
        except OSError as err:
            exc = BrokenSocketError(f"socket failed: {err}")
        except Exception as err:  # a bug: drop the connection
            exc = err
        if not self._closed:
            self.close()  # the socket is done for: release it
            on_lost(exc)

    def write(self, data: bytes | bytearray) -> None:
        ws = self._ws
        if ws is None:
            self._sock.sendall(data)
            return
        encoded = ws.encode(data)
        with self._ws_lock:
            self._sock.sendall(encoded)

    def bind_writer(self, writer: Writer) -> None:
        """The blocking writer waits in ``sendall``: nothing to tell it."""

    def wait_writable(self) -> None:
        """Blocking writes need no separate wait."""

    def _shutdown(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        self._closed = True
        self._shutdown()
        self._sock.close()

    def wait_closed(self, timeout: float) -> None:
        """Close, and wait for the reader thread to end."""
        self.close()
        reader = self._reader
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout)


def _resolve(host: str, port: int, timeout: float) -> list[tuple[str, int]]:
    """The addresses of ``host``, the lookup bounded by ``timeout``: a resolver may
    hang far longer, so a name is looked up on a daemon thread that is left to
    finish on its own when it is late (an IP literal needs no lookup)."""
    if is_ip(host):
        return [(host, port)]
    found: list[tuple[str, int]] = []
    failed: list[OSError] = []

    def lookup() -> None:
        try:
            for *_, addr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
                found.append((str(addr[0]), int(addr[1])))
        except OSError as exc:
            failed.append(exc)

    thread = threading.Thread(target=lookup, name="natskit-resolve", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise builtins.TimeoutError
    if failed:
        raise failed[0]
    return found


def open_transport(host: str, port: int, timeout: float) -> Transport:
    """Connect over TCP; natskit errors for refusal, timeout and other failures.
    ``timeout`` bounds the name lookup and the connection together."""
    deadline = time.monotonic() + timeout
    try:
        error: OSError = OSError(f"{host} has no address")
        for address in _resolve(host, port, timeout):
            left = deadline - time.monotonic()
            if left <= 0:
                raise builtins.TimeoutError
            try:
                sock = socket.create_connection(address, left)
                break
            except builtins.TimeoutError:
                raise
            except OSError as exc:  # refused on this address: try the next one
                error = exc
        else:
            raise error
    except builtins.TimeoutError:
        raise ConnectionTimeoutError(f"connecting to {host}:{port} timed out") from None
    except socket.gaierror as exc:
        raise HostNotFoundError(f"cannot resolve host {host!r}: {exc}", host=host) from None
    except builtins.ConnectionRefusedError as exc:
        raise ConnectionRefusedError(f"cannot connect to {host}:{port}: {exc}") from None
    except OSError as exc:
        raise BrokenSocketError(f"cannot connect to {host}:{port}: {exc}") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return Transport(sock)


class Writer:
    """Outgoing bytes, sent by a flusher thread in large chunks.

    Publishers append under a lock and wake the flusher only when the buffer
    was empty; the flusher swaps the whole buffer out and sends it, so many
    messages go out in one ``sendall``.
    """

    def __init__(self, limit: int) -> None:
        self._buf = bytearray()
        self._limit = limit
        self._transport: Transport | None = None
        self._lock = threading.Lock()  # entered directly on the hot path (a C lock)
        self._cond = threading.Condition(self._lock)
        self._flusher: threading.Thread | None = None
        self._closing = False
        self._sending = False  # a thread is inside transport.write
        self._blocked = 0

    def write(self, data: bytes) -> None:
        """Queue ``data``; wait while the buffer is over ``HIGH_WATER``."""
        with self._lock:
            buf = self._buf
            if self._transport is None:
                self._keep(data)
                return
            if not buf:
                self._cond.notify()  # only the flusher waits on an empty buffer
            buf += data
            if len(buf) >= HIGH_WATER:
                self._wait_below_high_water()

    def _wait_below_high_water(self) -> None:
        while len(self._buf) >= HIGH_WATER and self._transport is not None:
            self._blocked += 1
            try:
                self._cond.wait()
            finally:
                self._blocked -= 1

    def write_ctl(self, data: bytes) -> None:
        """Queue a control line without ever waiting (used by the reader)."""
        with self._lock:
            if self._transport is None:
                self._keep(data)
                return
            if not self._buf:
                self._cond.notify()
            self._buf += data

    def _keep(self, data: bytes) -> None:
        """Disconnected: buffer up to the limit."""
        if len(self._buf) + len(data) > self._limit:
            raise ReconnectBufferExceededError(f"reconnect buffer of {self._limit} bytes is full")
        self._buf += data

    needs_drain = False

    def drain(self) -> None:
        """``write`` already waits; nothing to do."""

    def write_urgent(self, data: bytes) -> None:
        """Queue ``data`` and, unless a send is under way, send it from this thread.

        For requests and flushes, whose caller waits for the answer: it saves
        the hand-off to the flusher thread. Bulk publishing uses ``write``.
        """
        with self._lock:
            transport = self._transport
            if transport is None:
                self._keep(data)
                return
            self._buf += data
            if self._sending:
                return  # the send under way is followed by another one
            out, self._buf = self._buf, bytearray()
            self._sending = True
        try:
            transport.write(out)
        except OSError:
            pass  # the reader reports the broken socket
        finally:
            with self._lock:
                self._sending = False
                if self._buf or self._closing:
                    self._cond.notify_all()

    def _run(self, transport: Transport) -> None:
        """The flusher thread: send whatever is buffered, one send at a time."""
        cond = self._cond
        while True:
            with cond:
                while self._transport is transport and (self._sending or not self._buf):
                    if self._closing and not self._sending:
                        return
                    cond.wait()
                if self._transport is not transport:
                    return
                data, self._buf = self._buf, bytearray()
                self._sending = True
                if self._blocked:
                    cond.notify_all()
            try:
                transport.write(data)
            except OSError:
                return  # the reader reports the broken socket
            finally:
                with cond:
                    self._sending = False
                    if self._buf or self._blocked:
                        cond.notify_all()  # e.g. the next flusher after a reconnect

    def attach(self, transport: Transport, preamble: bytes) -> None:
        """Start sending to ``transport``: ``preamble`` first, then what was kept."""
        with self._cond:
            self._buf[0:0] = preamble
            self._transport = transport
            self._closing = False
            self._flusher = threading.Thread(
                target=self._run, args=(transport,), name="natskit-flusher", daemon=True
            )
            self._flusher.start()

    def detach(self) -> None:
        """Stop sending; later writes are kept up to the limit."""
        with self._cond:
            self._transport = None
            self._cond.notify_all()

    def close(self, timeout: float) -> None:
        """Send everything buffered, then close the transport."""
        with self._cond:
            transport = self._transport
            self._closing = True
            self._cond.notify_all()
        flusher = self._flusher
        if flusher is not None and flusher is not threading.current_thread():
            flusher.join(timeout)
        with self._cond:
            self._transport = None
            self._cond.notify_all()
        if transport is not None:
            transport.wait_closed(timeout)
