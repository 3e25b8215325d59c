"""Opening one server: TCP, optional TLS, optional WebSocket upgrade (``ws``/``wss``),
INFO, then CONNECT + PING -> PONG.

TLS is used when the server requires it, and whenever ``tls_wanted`` (the
user asked for TLS, or a server of the pool required it: ``ServerPool``): a
server that cannot give it is refused with ``SecureConnWantedError`` before
anything is sent, never talked to in plaintext.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from .._io_async import Opener, monotonic
from .._protocol import PING_CMD, PONG, Err, Info, Parser, connect_cmd
from .._transport_async import Transport
from ..connect_fields import connect_fields, has_credentials
from ..errors import (
    AuthorizationError,
    BrokenSocketError,
    ConnectionClosedError,
    NatsError,
    ProtocolError,
    SecureConnWantedError,
)
from ..options import Options, Server
from ..server_errors import error_from_server

if TYPE_CHECKING:
    import ssl


def tls_context(opts: Options) -> ssl.SSLContext:
    """The user's context, else a default one that verifies the server."""
    if opts.tls is not None:
        return opts.tls
    import ssl  # here, not at the top: only TLS connections load OpenSSL

    return ssl.create_default_context()


async def _read_frame(
    transport: Transport, parser: Parser, frames: deque[Any], deadline: float
) -> Any:
    while not frames:
        data = await transport.read(max(deadline - monotonic(), 0.0))
        if not data:
            raise ConnectionClosedError("the server closed the connection during the handshake")
        frames.extend(parser.feed(data))
    return frames.popleft()


async def handshake(
    opts: Options, server: Server, parser: Parser, tls_name: str, opener: Opener, tls_wanted: bool
) -> tuple[Transport, dict[str, Any], list[Any]]:
    """Connect to ``server``; returns the transport, its INFO and frames read past PONG."""
    addr = server.address
    deadline = monotonic() + opts.connect_timeout
    transport: Transport = await opener(addr.host, addr.port, opts.connect_timeout)
    try:
        websocket = addr.scheme in ("ws", "wss")
        # over WebSocket a tls= context means TLS from the start, as in nats.go
        tls = (
            opts.tls_handshake_first or addr.scheme == "wss" or (websocket and opts.tls is not None)
        )
        if tls:
            await transport.start_tls(tls_context(opts), tls_name, deadline - monotonic())
        if websocket:
            if tls_wanted and not tls:
                raise SecureConnWantedError(f"TLS is required: use wss://, not {addr.scheme}://")
            await transport.start_websocket(
                addr.host, addr.port, deadline - monotonic(), addr.path or "/"
            )
        frames: deque[Any] = deque()
        first = await _read_frame(transport, parser, frames, deadline)
        if not isinstance(first, Info):
            raise ProtocolError(f"expected INFO from the server, got {first!r}")
        info = first.info
        if not tls and not websocket:  # over WebSocket, TLS is wss://, never an upgrade
            wanted = tls_wanted or addr.scheme == "tls"
            if info.get("tls_required") or (wanted and info.get("tls_available")):
                await transport.start_tls(tls_context(opts), tls_name, deadline - monotonic())
                tls = True
            elif wanted:
                raise SecureConnWantedError(
                    f"{addr.host}:{addr.port} does not offer TLS, which this client requires"
                )
        fields = connect_fields(opts, server, info, tls)
        transport.write(connect_cmd(fields) + PING_CMD)
        while True:
            frame = await _read_frame(transport, parser, frames, deadline)
            if frame is PONG:
                break
            if isinstance(frame, Err):
                err = error_from_server(frame.message)
                if isinstance(err, AuthorizationError) and not has_credentials(fields):
                    err = type(err)(f"{frame.message} (no credentials known for this server)")
                raise err
            if isinstance(frame, Info):
                info = frame.info
    except NatsError:
        transport.close()
        raise
    except OSError as exc:  # the socket failed under a write (reset, closed)
        transport.close()
        raise BrokenSocketError(f"the connection failed during the handshake: {exc}") from None
    except BaseException:
        transport.close()
        raise
    return transport, info, list(frames)
