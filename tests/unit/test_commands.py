"""Tests of the protocol command encoders."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from natskit._protocol.commands import (
    PING_CMD,
    PONG_CMD,
    connect_cmd,
    hpub_cmd,
    pub_cmd,
    sub_cmd,
    unsub_cmd,
)


def test_connect() -> None:
    fields = {"verbose": False, "pedantic": False, "name": "ñ", "headers": True}
    cmd = connect_cmd(fields)
    assert cmd.startswith(b"CONNECT {") and cmd.endswith(b"}\r\n")
    assert b" " not in cmd[len(b"CONNECT ") :]
    assert json.loads(cmd[len(b"CONNECT ") :]) == fields
    assert connect_cmd({}) == b"CONNECT {}\r\n"


def test_pub() -> None:
    assert pub_cmd(b"foo", None, b"hello") == b"PUB foo 5\r\nhello\r\n"
    assert pub_cmd(b"foo", b"_INBOX.1", b"") == b"PUB foo _INBOX.1 0\r\n\r\n"
    assert pub_cmd(b"a", None, b"\r\n") == b"PUB a 2\r\n\r\n\r\n"


def test_hpub() -> None:
    header = b"NATS/1.0\r\nHeader: X\r\n\r\n"
    assert len(header) == 23
    assert hpub_cmd(b"SUBJECT", b"REPLY", header, b"PAYLOAD") == (
        b"HPUB SUBJECT REPLY 23 30\r\nNATS/1.0\r\nHeader: X\r\n\r\nPAYLOAD\r\n"
    )
    assert hpub_cmd(b"SUBJECT", None, header, b"") == (
        b"HPUB SUBJECT 23 23\r\nNATS/1.0\r\nHeader: X\r\n\r\n\r\n"
    )


@settings(max_examples=100, deadline=None)
@given(
    subject=st.binary(min_size=1, max_size=20),
    reply=st.none() | st.binary(min_size=1, max_size=20),
    header=st.binary(max_size=50),
    payload=st.binary(max_size=2000),
)
def test_pub_layout(subject: bytes, reply: bytes | None, header: bytes, payload: bytes) -> None:
    mid = b" " if reply is None else b" " + reply + b" "
    assert pub_cmd(subject, reply, payload) == (
        b"PUB " + subject + mid + str(len(payload)).encode() + b"\r\n" + payload + b"\r\n"
    )
    sizes = f"{len(header)} {len(header) + len(payload)}".encode()
    assert hpub_cmd(subject, reply, header, payload) == (
        b"HPUB " + subject + mid + sizes + b"\r\n" + header + payload + b"\r\n"
    )


def test_sub_unsub() -> None:
    assert sub_cmd("foo.*", None, 1) == b"SUB foo.* 1\r\n"
    assert sub_cmd("foo.>", "workers", 42) == b"SUB foo.> workers 42\r\n"
    assert sub_cmd("ü", "q", 3) == "SUB ü q 3\r\n".encode()
    assert unsub_cmd(7) == b"UNSUB 7\r\n"
    assert unsub_cmd(7, 10) == b"UNSUB 7 10\r\n"
    assert unsub_cmd(7, 0) == b"UNSUB 7 0\r\n"


def test_ping_pong() -> None:
    assert PING_CMD == b"PING\r\n"
    assert PONG_CMD == b"PONG\r\n"
