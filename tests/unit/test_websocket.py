"""The WebSocket codec (RFC 6455, client side) without a server."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from natskit._protocol.websocket import WebSocket, _mask
from natskit.errors import ProtocolError


def server_frame(opcode: int, payload: bytes, final: bool = True) -> bytes:
    """An unmasked frame as a server sends it."""
    n = len(payload)
    first = (0x80 if final else 0) | opcode
    if n < 126:
        head = bytes((first, n))
    elif n < 1 << 16:
        head = bytes((first, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((first, 127)) + n.to_bytes(8, "big")
    return head + payload


def upgraded() -> WebSocket:
    ws = WebSocket("127.0.0.1", 8080)
    key = ws.request().split(b"Sec-WebSocket-Key: ")[1].split(b"\r\n")[0]
    accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    answer = (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )
    assert ws.receive_handshake(answer[:20]) is None  # more is needed
    assert ws.receive_handshake(answer[20:] + server_frame(2, b"INFO {}\r\n")) == (
        server_frame(2, b"INFO {}\r\n")
    )
    return ws


def unmask_client_frame(data: bytes) -> tuple[int, bytes]:
    assert data[1] & 0x80, "client frames are masked"
    size, head = data[1] & 0x7F, 2
    if size == 126:
        size, head = int.from_bytes(data[2:4], "big"), 4
    elif size == 127:
        size, head = int.from_bytes(data[2:10], "big"), 10
    key = data[head : head + 4]
    return data[0], _mask(data[head + 4 : head + 4 + size], key)


def test_upgrade_request_and_answer_checks() -> None:
    ws = upgraded()
    assert ws.upgraded and b"Upgrade: websocket" in ws.request()
    assert ws.request().startswith(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n")
    proxied = WebSocket("::1", 80, "/nats").request()
    assert proxied.startswith(b"GET /nats HTTP/1.1\r\nHost: [::1]:80")
    with pytest.raises(ProtocolError, match="refused"):
        WebSocket("h", 1).receive_handshake(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    with pytest.raises(ProtocolError, match="Accept"):
        WebSocket("h", 1).receive_handshake(
            b"HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: nope\r\n\r\n"
        )
    with pytest.raises(ProtocolError, match="too long"):
        WebSocket("h", 1).receive_handshake(b"x" * 20000)


@given(st.binary(max_size=70000))
def test_encode_is_one_masked_binary_frame(payload: bytes) -> None:
    opcode, data = unmask_client_frame(WebSocket("h", 1).encode(payload))
    assert (opcode, data) == (0x82, payload)


@given(st.lists(st.binary(max_size=300), max_size=6), st.integers(1, 50))
def test_decode_joins_frames_split_anywhere(payloads: list[bytes], step: int) -> None:
    ws = upgraded()
    stream = b"".join(server_frame(2, p) for p in payloads)
    out = b"".join(ws.decode(stream[i : i + step]) for i in range(0, len(stream), step))
    assert out == b"".join(payloads)


def test_fragments_extended_lengths_and_control_frames() -> None:
    ws = upgraded()
    big = b"b" * 70000
    data = (
        server_frame(2, b"MSG a 1 3\r\n", final=False)
        + server_frame(0, b"abc\r\n")
        + server_frame(9, b"ping!")
        + server_frame(2, b"x" * 300)
        + server_frame(2, big)
    )
    assert ws.decode(data) == b"MSG a 1 3\r\nabc\r\n" + b"x" * 300 + big
    opcode, body = unmask_client_frame(ws.take_replies())
    assert (opcode, body) == (0x8A, b"ping!")  # a pong with the ping's payload
    assert ws.take_replies() == b""
    assert ws.decode(server_frame(8, b"\x03\xe8bye")) == b""
    assert ws.closed and unmask_client_frame(ws.take_replies())[0] == 0x88


def test_bad_frames_are_protocol_errors() -> None:
    for bad in (
        bytes((0x82, 0x81)) + b"mask" + b"x",  # masked by the server
        bytes((0xC2, 0x01)) + b"x",  # RSV1: compressed
        server_frame(3, b"x"),
    ):  # an unknown opcode
        with pytest.raises(ProtocolError):
            upgraded().decode(bad)


def test_control_frames_must_be_whole_and_short() -> None:
    with pytest.raises(ProtocolError, match="control frame"):
        upgraded().decode(server_frame(9, b"p" * 126))
    with pytest.raises(ProtocolError, match="control frame"):
        upgraded().decode(server_frame(9, b"p", final=False))
    ws = upgraded()
    assert ws.decode(server_frame(8, b"") + server_frame(2, b"late")) == b""  # after close
