"""An in-memory network for tests: a ``Connection`` over scripted bytes, no sockets.

::

    net = MemoryNetwork()
    server = net.listen("mem", 4222)            # INFO, then PONG to every PING
    nc = await net.connect("nats://mem:4222")   # a Connection on this network
    peer = server.peers[0]                      # the server's side of it
    await peer.expect("SUB")                    # what the client sent, parsed
    peer.send(b"MSG foo 1 2\\r\\nhi\\r\\n")       # what the server says
    peer.drop()                                 # the server goes away

Each accepted connection is a ``MemoryPeer``: ``commands`` lists the client's
commands as tuples (``("PUB", subject, reply, payload)``, ``("SUB", subject,
queue, sid)``, ...), ``expect`` waits for the next of a kind, ``send`` and
``drop`` act as the server. TLS and WebSocket upgrades are pretended (the
peer records them). What arrives is handed to the connection by a reader of
the transport's own, as a socket's would be.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from .._io_async import Event, Queue, StateLock, Task, monotonic, spawn
from ..errors import ConnectionRefusedError, ConnectionTimeoutError, TimeoutError
from .connection import Connection

Command = tuple[Any, ...]
_EOF = b""  # in a transport's inbox: the server closed the connection


def info_line(fields: dict[str, Any]) -> bytes:
    return b"INFO " + json.dumps(fields).encode() + b"\r\n"


class MemoryServer:
    """A listening address of a ``MemoryNetwork`` and how its peers behave.

    ``info``: fields of the INFO sent first (``greeting`` replaces the whole
    first line, e.g. garbage, or ``b""`` for nothing); ``pong``: answer every
    PING; ``reject``: bytes to send instead of accepting CONNECT (say an
    ``-ERR 'Authorization Violation'``), after which the peer drops; ``refuse``:
    refuse TCP connections; ``replies``: what answers a request to a subject
    (payloads, or a function of the request's payload that returns them), each
    sent to the request's reply subject as a responder's would be.
    """

    def __init__(self, host: str, port: int, info: dict[str, Any] | None = None) -> None:
        self.host = host
        self.port = port
        self.info: dict[str, Any] = {
            "server_id": "NMEMORY",
            "server_name": f"{host}:{port}",
            "version": "2.12.0",
            "proto": 1,
            "host": host,
            "port": port,
            "headers": True,
            "max_payload": 1048576,
        }
        self.info.update(info or {})
        self.greeting: bytes | None = None
        self.pong = True
        self.reject: bytes | None = None
        self.refuse = False
        self.replies: dict[str, list[bytes] | Callable[[bytes], list[bytes]]] = {}
        self.peers: list[MemoryPeer] = []
        self._accepted = Event()

    async def accepted(self, count: int, timeout: float = 5.0) -> MemoryPeer:
        """Wait until ``count`` connections were accepted in all; return the last."""
        deadline = monotonic() + timeout
        while len(self.peers) < count:
            self._accepted.clear()
            if len(self.peers) >= count:
                break
            left = deadline - monotonic()
            if left <= 0 or not await self._accepted.wait(left):
                raise TimeoutError(f"{len(self.peers)} of {count} connections accepted")
        return self.peers[count - 1]

    def _accept(self) -> MemoryTransport:
        peer = MemoryPeer(self)
        self.peers.append(peer)
        self._accepted.set()
        greeting = info_line(self.info) if self.greeting is None else self.greeting
        if greeting:
            peer.send(greeting)
        return peer.transport


class MemoryNetwork:
    """Servers by address; ``open`` is the opener a ``Connection`` uses here."""

    def __init__(self) -> None:
        self.servers: dict[tuple[str, int], MemoryServer] = {}

    def listen(self, host: str, port: int = 4222, **info: Any) -> MemoryServer:
        server = self.servers[host, port] = MemoryServer(host, port, info)
        return server

    async def open(self, host: str, port: int, timeout: float) -> MemoryTransport:
        """Connect to ``host:port`` on this network (``open_transport``'s twin)."""
        server = self.servers.get((host, port))
        if server is None or server.refuse:
            raise ConnectionRefusedError(f"cannot connect to {host}:{port}: refused (memory)")
        return server._accept()

    def connection(self, servers: str | Sequence[str], **options: Any) -> Connection:
        """A ``Connection`` whose servers are on this network."""
        return Connection(servers, _opener=self.open, **options)

    async def connect(self, servers: str | Sequence[str], **options: Any) -> Connection:
        """``connection(...)``, connected."""
        nc = self.connection(servers, **options)
        await nc.connect()
        return nc


class MemoryPeer:
    """The server's side of one connection."""

    def __init__(self, server: MemoryServer) -> None:
        self.server = server
        self.transport = MemoryTransport(self)
        self.commands: list[Command] = []
        self.connect_options: dict[str, Any] | None = None
        self.tls = False  # the client upgraded (pretended)
        self.websocket = False
        self.subscriptions: dict[int, str] = {}  # sid -> subject, as SUB and UNSUB say
        self.closed_by_client = Event()
        self._buffer = bytearray()
        self._cursor = 0
        self._lock = StateLock()
        self._changed = Event()

    def send(self, data: bytes) -> None:
        """Bytes from the server to the client."""
        self.transport.deliver(data)

    def send_info(self, **fields: Any) -> None:
        """An INFO with the server's fields, changed by ``fields``."""
        self.send(info_line({**self.server.info, **fields}))

    def drop(self) -> None:
        """The server closes the connection."""
        self.transport.deliver(_EOF)

    async def expect(self, op: str, timeout: float = 5.0) -> Command:
        """The next command ``op`` (``"PUB"``, ``"SUB"``, ...) the client sent
        after the one ``expect`` returned last, skipping others."""
        deadline = monotonic() + timeout
        while True:
            self._changed.clear()  # before looking: a write after the look sets it again
            with self._lock:
                while self._cursor < len(self.commands):
                    command = self.commands[self._cursor]
                    self._cursor += 1
                    if command[0] == op:
                        return command
            left = deadline - monotonic()
            if left <= 0 or not await self._changed.wait(left):
                raise TimeoutError(f"the client sent no {op} within {timeout} s")

    def received(self, data: bytes) -> None:
        """The client wrote ``data`` (called by its transport)."""
        with self._lock:
            self._buffer += data
            commands = parse_commands(self._buffer)
            self.commands.extend(commands)
        for command in commands:
            self._answer(command)
        self._changed.set()

    def _answer(self, command: Command) -> None:
        op = command[0]
        if op == "CONNECT":
            self.connect_options = command[1]
            if self.server.reject is not None:
                self.send(self.server.reject)
                self.drop()
        elif op == "PING" and self.server.pong:
            self.send(b"PONG\r\n")
        elif op == "SUB":
            self.subscriptions[command[3]] = command[1]
        elif op == "UNSUB" and command[2] is None:
            self.subscriptions.pop(command[1], None)
        elif op == "PUB" and command[2] and command[1] in self.server.replies:
            answer = self.server.replies[command[1]]
            self._reply(command[2], answer(command[3]) if callable(answer) else answer)

    def _reply(self, inbox: str, payloads: list[bytes]) -> None:
        """Send ``payloads`` to ``inbox`` on the sid whose subject matches it."""
        for sid, subject in list(self.subscriptions.items()):
            if subject == inbox or (
                subject.endswith(".*") and inbox.rpartition(".")[0] == subject[:-2]
            ):
                for data in payloads:
                    self.send(b"MSG %s %d %d\r\n%s\r\n" % (inbox.encode(), sid, len(data), data))
                return


class MemoryTransport:
    """The client's side of one connection: the ``Transport`` interface."""

    def __init__(self, peer: MemoryPeer) -> None:
        self._peer = peer
        self._inbox: Queue[bytes | None] = Queue()  # None: closed by the client
        self._reader: Task | None = None
        self.closed = False

    def deliver(self, data: bytes) -> None:
        """Queue server bytes (``b""``: the server closed) for the reader."""
        if not self.closed:
            self._inbox.put_nowait(data)

    async def read(self, timeout: float) -> bytes:
        """Handshake phase: the next chunk, b"" at EOF."""
        try:
            item = await self._inbox.get(max(timeout, 0.0))
        except TimeoutError:
            raise ConnectionTimeoutError("timed out waiting for the server") from None
        return item or b""

    async def start_tls(self, context: Any, server_hostname: str, timeout: float) -> None:
        self._peer.tls = True

    async def start_websocket(self, host: str, port: int, timeout: float, path: str = "/") -> None:
        self._peer.websocket = True

    def start(
        self, on_data: Callable[[bytes], None], on_lost: Callable[[BaseException | None], None]
    ) -> None:
        """Hand every further chunk to ``on_data`` from a reader of its own."""
        self._reader = spawn(self._read_loop, on_data, on_lost, name="natskit-memory-reader")

    async def _read_loop(
        self, on_data: Callable[[bytes], None], on_lost: Callable[[BaseException | None], None]
    ) -> None:
        while True:
            item = await self._inbox.get()
            if item is None:
                return  # closed by the client
            if not item:
                break  # closed by the server
            try:
                on_data(item)
            except Exception as exc:  # a ProtocolError, or a bug: drop the connection
                self.close()
                on_lost(exc)
                return
        if not self.closed:
            self.close()
            on_lost(None)

    def write(self, data: bytes | bytearray) -> None:
        if not self.closed:  # as a closed socket's, late writes go nowhere
            self._peer.received(bytes(data))

    def bind_writer(self, writer: Any) -> None:
        """Writes never block here."""

    async def wait_writable(self) -> None:
        """Writes never block here."""

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._inbox.put_nowait(None)
            self._peer.closed_by_client.set()

    async def wait_closed(self, timeout: float) -> None:
        """Close, and wait for the reader to end."""
        self.close()
        if self._reader is not None:
            await self._reader.join()


def parse_commands(buf: bytearray) -> list[Command]:
    """Take the complete client commands off the front of ``buf``."""
    out: list[Command] = []
    while True:
        end = buf.find(b"\r\n")
        if end < 0:
            return out
        line = bytes(buf[:end]).decode()
        op, _, rest = line.partition(" ")
        op = op.upper()
        args = rest.split()
        if op in ("PUB", "HPUB"):
            total = int(args[-1])
            start = end + 2
            if len(buf) < start + total + 2:
                return out  # the payload is not all here yet
            body = bytes(buf[start : start + total])
            del buf[: start + total + 2]
            if op == "PUB":
                reply = args[1] if len(args) == 3 else None
                out.append(("PUB", args[0], reply, body))
            else:
                reply = args[1] if len(args) == 4 else None
                size = int(args[-2])
                out.append(("HPUB", args[0], reply, body[:size], body[size:]))
            continue
        del buf[: end + 2]
        if op == "CONNECT":
            out.append(("CONNECT", json.loads(rest)))
        elif op == "SUB":
            queue = args[1] if len(args) == 3 else None
            out.append(("SUB", args[0], queue, int(args[-1])))
        elif op == "UNSUB":
            out.append(("UNSUB", int(args[0]), int(args[1]) if len(args) > 1 else None))
        else:
            out.append((op, *args))
