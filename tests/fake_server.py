"""A scripted NATS server for faults a real server never produces.

Each accepted connection runs ``handler(client)`` in its own thread::

    def silent(client: FakeClient) -> None:
        client.handshake()          # INFO, CONNECT, PING/PONG
        # return: the connection stays open and never answers a PING

    with FakeServer(silent) as server:
        ...connect to server.url...

Connections stay open after the handler returns, until ``client.close()``
or the end of the ``with`` block, which closes them and waits for the
handlers. The first exception raised by a handler is re-raised when the
block exits, except EOFError and ConnectionError (the client went away)
and OSError after the connection was closed.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

__all__ = ["FakeClient", "FakeServer"]

HOST = "127.0.0.1"
_JOIN_TIMEOUT = 5.0


class FakeClient:
    """The server side of one accepted connection."""

    def __init__(self, sock: socket.socket, server_port: int) -> None:
        self.sock = sock
        self.server_port = server_port
        self.connect_options: dict[str, Any] | None = None
        self.closed = False
        self._buffer = bytearray()

    def send(self, data: bytes) -> None:
        """Send raw bytes to the client."""
        self.sock.settimeout(None)
        self.sock.sendall(data)

    def read_line(self, timeout: float = 5.0) -> bytes:
        """Return the next ``\\r\\n``-terminated line, without the terminator.

        Raises TimeoutError if none arrives in time, EOFError if the
        connection closes first.
        """
        deadline = time.monotonic() + timeout
        while True:
            end = self._buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 2]
                return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no complete line within {timeout} s")
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("client closed the connection")
            self._buffer += chunk

    def read_until(self, prefix: bytes, timeout: float = 5.0) -> bytes:
        """Skip lines until one starts with ``prefix``; return that line."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.read_line(max(deadline - time.monotonic(), 0.0))
            if line.startswith(prefix):
                return line

    def handshake(self, info: dict[str, Any] | None = None) -> None:
        """Send INFO (``info`` overrides fields), expect CONNECT and PING, answer PONG.

        The CONNECT JSON is stored in :attr:`connect_options`.
        """
        fields: dict[str, Any] = {
            "server_id": "NFAKESERVER",
            "server_name": "fake",
            "version": "2.10.0",
            "proto": 1,
            "go": "go1.21.0",
            "host": HOST,
            "port": self.server_port,
            "headers": True,
            "max_payload": 1048576,
        }
        fields.update(info or {})
        self.send(b"INFO " + json.dumps(fields).encode() + b"\r\n")
        connect = self.read_line()
        if not connect.startswith(b"CONNECT "):
            raise AssertionError(f"expected CONNECT, got {connect!r}")
        self.connect_options = json.loads(connect[len(b"CONNECT ") :])
        ping = self.read_line()
        if ping != b"PING":
            raise AssertionError(f"expected PING, got {ping!r}")
        self.send(b"PONG\r\n")

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class FakeServer:
    """Listens on 127.0.0.1 (free port) and runs ``handler`` per connection."""

    def __init__(self, handler: Callable[[FakeClient], None]) -> None:
        self._handler = handler
        self._listener = socket.create_server((HOST, 0))
        self.port: int = self._listener.getsockname()[1]
        self.url = f"nats://{HOST}:{self.port}"
        self.clients: list[FakeClient] = []
        self.errors: list[BaseException] = []
        self._changed = threading.Condition()
        self._closing = False
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    def __enter__(self) -> FakeServer:
        self._acceptor.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
        if exc is None and self.errors:
            raise self.errors[0]

    def wait_connections(self, n: int, timeout: float = 5.0) -> None:
        """Block until ``n`` connections have been accepted in total."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.clients) >= n, timeout):
                raise TimeoutError(f"{len(self.clients)} of {n} connections after {timeout} s")

    def close(self) -> None:
        """Stop accepting, close every connection and join the threads."""
        with self._changed:
            if self._closing:
                return
            self._closing = True
        if self._acceptor.is_alive():
            # Wake the blocking accept() with a connection of our own.
            try:
                socket.create_connection((HOST, self.port), timeout=1.0).close()
            except OSError:
                pass
            self._acceptor.join()
        self._listener.close()
        with self._changed:
            clients, threads = list(self.clients), list(self._threads)
        for client in clients:
            client.close()
        for thread in threads:
            thread.join(_JOIN_TIMEOUT)
            if thread.is_alive():
                self.errors.append(RuntimeError(f"handler still running after {_JOIN_TIMEOUT} s"))

    def _accept_loop(self) -> None:
        while True:
            sock, _ = self._listener.accept()
            with self._changed:
                if self._closing:
                    sock.close()
                    return
                client = FakeClient(sock, self.port)
                thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
                self.clients.append(client)
                self._threads.append(thread)
                thread.start()
                self._changed.notify_all()

    def _serve(self, client: FakeClient) -> None:
        try:
            self._handler(client)
        except (EOFError, ConnectionError):
            pass  # the client went away
        except Exception as exc:
            if not (isinstance(exc, OSError) and client.closed):
                with self._changed:
                    self.errors.append(exc)
