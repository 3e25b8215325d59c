"""``PubEncoder``: the one PUB/HPUB encoder (checks, templates, limits), without a server."""

from __future__ import annotations

import pytest

from natskit import Headers
from natskit._protocol import LARGE, PubEncoder, ack_cmd
from natskit._protocol.publish import TEMPLATES
from natskit.errors import (
    BadSubjectError,
    HeadersNotSupportedError,
    InvalidArgError,
    MaxPayloadError,
)


def test_pub_and_its_template() -> None:
    enc = PubEncoder(check_subjects=True)
    assert enc.encode("a.b", b"hi", None, None) == (b"PUB a.b 2\r\nhi\r\n", 2)
    template = enc.templates["a.b"]
    assert template % (3, b"abc") == b"PUB a.b 3\r\nabc\r\n"  # what publish() formats
    enc.encode("100%.d", b"", None, None)  # "%" may be in a subject
    assert enc.templates["100%.d"] % (1, b"x") == b"PUB 100%.d 1\r\nx\r\n"


def test_reply_headers_and_payload_types() -> None:
    enc = PubEncoder(check_subjects=True)
    assert enc.encode("s", "é", "r.1", None) == (b"PUB s r.1 2\r\n\xc3\xa9\r\n", 2)
    assert enc.encode("s", bytearray(b"x"), None, None)[0] == b"PUB s 1\r\nx\r\n"
    assert enc.encode("s", memoryview(b"x"), None, None)[0] == b"PUB s 1\r\nx\r\n"
    cmd, size = enc.encode("s", b"x", None, Headers({"K": "v"}))
    assert cmd == b"HPUB s 18 19\r\nNATS/1.0\r\nK: v\r\n\r\nx\r\n"
    assert size == 19  # headers count against max_payload
    with pytest.raises(InvalidArgError):
        enc.encode("s", 5, None, None)  # type: ignore[arg-type]  # the error under test


def test_large_payloads_are_joined_the_same() -> None:
    enc = PubEncoder(check_subjects=True)
    payload = b"x" * (LARGE * 4)
    cmd, size = enc.encode("big", payload, None, None)
    assert size == len(payload)
    assert cmd == b"PUB big %d\r\n" % size + payload + b"\r\n"


def test_subjects_are_checked_unless_trusted() -> None:
    enc = PubEncoder(check_subjects=True)
    for bad in ("", "a b", "a..b", "a.*", "a.\udc80"):
        with pytest.raises(BadSubjectError):
            enc.encode(bad, b"", None, None)
    with pytest.raises(BadSubjectError):
        enc.encode("ok", b"", "bad reply", None)
    cmd, _ = enc.encode("$JS.ACK.s.c.1.2.3.4.0", b"+ACK", "_INBOX.x", None, True, True)
    assert cmd == b"PUB $JS.ACK.s.c.1.2.3.4.0 _INBOX.x 4\r\n+ACK\r\n"
    assert "$JS.ACK.s.c.1.2.3.4.0" not in enc.templates  # trusted subjects are not kept
    unchecked = PubEncoder(check_subjects=False)
    assert unchecked.encode("a..b", b"", None, None)[0] == b"PUB a..b 0\r\n\r\n"
    with pytest.raises(BadSubjectError):
        unchecked.encode("a b", b"", None, None)  # would break the line


def test_server_limits_from_info() -> None:
    enc = PubEncoder(check_subjects=True)
    enc.server_info({"max_payload": 4, "headers": False})
    assert enc.encode("s", b"1234", None, None)[1] == 4
    with pytest.raises(MaxPayloadError):
        enc.encode("s", b"12345", None, None)
    with pytest.raises(HeadersNotSupportedError):
        enc.encode("s", b"", None, {"K": "v"})
    enc.server_info({"headers": True})  # no max_payload: unlimited
    assert enc.encode("s", b"x" * 100, None, {"K": "v"})[1] > 100


def test_templates_are_bounded() -> None:
    enc = PubEncoder(check_subjects=True)
    for i in range(TEMPLATES + 10):
        enc.encode(f"s.{i}", b"", None, None)
    assert 0 < len(enc.templates) <= TEMPLATES


def test_ack_command() -> None:
    assert ack_cmd("$JS.ACK.x", b"+ACK") == b"PUB $JS.ACK.x 4\r\n+ACK\r\n"
