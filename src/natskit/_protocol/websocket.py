"""The client side of WebSocket (RFC 6455) for NATS over ``ws://`` and ``wss://``, sans-I/O.

The NATS protocol runs unchanged inside binary frames: the client masks each
frame it sends; the payloads of the server's frames (unmasked, possibly
fragmented) make the byte stream the NATS parser reads. Pings are answered
with pongs (``take_replies``); a close frame ends the stream. Compression is
never negotiated.
"""

from __future__ import annotations

import base64
import os

from ..errors import ProtocolError

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_CONT, _TEXT, _BINARY, _CLOSE, _PING, _PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
MAX_HANDSHAKE = 16 * 1024  # bytes of HTTP response head accepted
MAX_FRAME = 1 << 30


def _mask(data: bytes, key: bytes) -> bytes:
    """XOR ``data`` with the repeated 4-byte ``key`` (one big-int operation, no byte loop)."""
    n = len(data)
    if not n:
        return b""
    keys = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(keys, "big")).to_bytes(n, "big")


def frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked frame (every frame a client sends is masked)."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 1 << 16:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    key = os.urandom(4)
    return head + key + _mask(payload, key)


class WebSocket:
    """One client connection's WebSocket state: the upgrade, then frames both ways."""

    def __init__(self, host: str, port: int, path: str = "/") -> None:
        self.host = host
        self.port = port
        self.path = path or "/"
        self._key = base64.b64encode(os.urandom(16)).decode()
        self._head = bytearray()  # the HTTP response, until its blank line
        self._buf = bytearray()  # frame bytes not yet complete
        self._replies: list[bytes] = []  # pongs (and the close echo) to send
        self.upgraded = False
        self.closed = False

    def request(self) -> bytes:
        """The HTTP upgrade request."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (
            f"GET {self.path} HTTP/1.1\r\nHost: {host}:{self.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {self._key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()

    def receive_handshake(self, data: bytes) -> bytes | None:
        """Feed the server's answer; once it is complete return the bytes after it
        (the first frames, maybe ``b""``), None while more is needed."""
        self._head += data
        end = self._head.find(b"\r\n\r\n")
        if end < 0:
            if len(self._head) > MAX_HANDSHAKE:
                raise ProtocolError("the WebSocket upgrade answer is too long")
            return None
        lines = bytes(self._head[:end]).decode("latin-1").split("\r\n")
        rest = bytes(self._head[end + 4 :])
        self._head = bytearray()
        status = lines[0].split(" ", 2)
        if len(status) < 2 or status[1] != "101":
            raise ProtocolError(f"the server refused the WebSocket upgrade: {lines[0]!r}")
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        import hashlib  # here: hashlib loads OpenSSL's libcrypto (about 4 MiB)

        accept = base64.b64encode(hashlib.sha1(self._key.encode() + _GUID).digest()).decode()
        if fields.get("sec-websocket-accept") != accept:
            raise ProtocolError("the server's Sec-WebSocket-Accept does not match")
        if "permessage-deflate" in fields.get("sec-websocket-extensions", ""):
            raise ProtocolError("the server chose WebSocket compression, which was not offered")
        self.upgraded = True
        return rest

    def encode(self, data: bytes | bytearray) -> bytes:
        """NATS protocol bytes as one binary frame."""
        return frame(_BINARY, bytes(data))

    def take_replies(self) -> bytes:
        """Control frames owed to the server (pongs, the close echo); b"" if none."""
        out = b"".join(self._replies)
        self._replies.clear()
        return out

    def decode(self, data: bytes) -> bytes:
        """Feed frame bytes; return the NATS bytes of every complete data frame."""
        buf = self._buf
        buf += data
        out: list[bytes] = []
        pos = 0
        end = len(buf)
        while end - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            if b1 & 0x80:
                raise ProtocolError("the server sent a masked WebSocket frame")
            if b0 & 0x70:
                raise ProtocolError("a WebSocket frame uses reserved bits (compression?)")
            size = b1 & 0x7F
            head = 2
            if size == 126:
                head = 4
                if end - pos < head:
                    break
                size = int.from_bytes(buf[pos + 2 : pos + 4], "big")
            elif size == 127:
                head = 10
                if end - pos < head:
                    break
                size = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                if size > MAX_FRAME:
                    raise ProtocolError(f"a WebSocket frame of {size} bytes is too large")
            opcode = b0 & 0x0F
            if opcode >= _CLOSE and (size > 125 or not b0 & 0x80):
                raise ProtocolError("a WebSocket control frame is fragmented or too long")
            if end - pos < head + size:
                break
            payload = bytes(buf[pos + head : pos + head + size])
            pos += head + size
            if not self.closed:  # nothing counts after the server's close frame
                self._frame(opcode, payload, out)
        del buf[:pos]
        return b"".join(out)

    def _frame(self, opcode: int, payload: bytes, out: list[bytes]) -> None:
        if opcode in (_BINARY, _TEXT, _CONT):
            out.append(payload)  # fragments too: NATS reads one byte stream
        elif opcode == _PING:
            self._replies.append(frame(_PONG, payload))
        elif opcode == _CLOSE:
            if not self.closed:
                self._replies.append(frame(_CLOSE, payload[:2]))
            self.closed = True
        elif opcode != _PONG:
            raise ProtocolError(f"unknown WebSocket opcode {opcode}")
