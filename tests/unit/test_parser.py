"""Tests of the sans-I/O protocol parser."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from natskit._protocol.parser import (
    MAX_CONTROL_LINE,
    MAX_INFO_LINE,
    OK,
    PING,
    PONG,
    Err,
    Frame,
    Info,
    Ok,
    Parser,
    Ping,
    Pong,
)
from natskit.errors import ProtocolError

SETTINGS = settings(max_examples=200, deadline=None)


def encode(frame: Frame) -> bytes:
    """Serialize a frame the way a server would (independent of the parser)."""
    if isinstance(frame, Info):
        return b"INFO " + json.dumps(frame.info).encode() + b"\r\n"
    if isinstance(frame, Err):
        return f"-ERR '{frame.message}'\r\n".encode()
    if isinstance(frame, tuple):  # MsgFrame (Info and Err, tuples too, are handled above)
        subject, sid, reply, header, payload = frame
        args = [subject, str(sid)]
        if reply is not None:
            args.append(reply)
        if header is None:
            args.append(str(len(payload)))
            op = "MSG"
            body = payload
        else:
            args += [str(len(header)), str(len(header) + len(payload))]
            op = "HMSG"
            body = header + payload
        return f"{op} {' '.join(args)}\r\n".encode() + body + b"\r\n"
    return {Ping: b"PING\r\n", Pong: b"PONG\r\n", Ok: b"+OK\r\n"}[type(frame)]


def feed_all(chunks: list[bytes]) -> list[Frame]:
    parser = Parser()
    frames: list[Frame] = []
    for chunk in chunks:
        frames += parser.feed(chunk)
    return frames


def parse(data: bytes) -> list[Frame]:
    return Parser().feed(data)


def tagged(frames: list[Frame]) -> list[tuple[type, Any]]:
    # NamedTuples compare equal to any tuple with the same fields: compare types too.
    return [(type(f), f) for f in frames]


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in pairwise(bounds)]


# -- well-formed input ------------------------------------------------------------------


def test_all_frame_kinds() -> None:
    data = (
        b'INFO {"server_id":"X","max_payload":1048576}\r\n'
        b"PING\r\nPONG\r\n+OK\r\n-ERR 'Authorization Violation'\r\n"
        b"MSG foo.bar 9 5\r\nhello\r\n"
        b"MSG foo 1 _INBOX.x 0\r\n\r\n"
        b"HMSG foo 2 bar 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
        b"HMSG foo 3 12 12\r\nNATS/1.0\r\n\r\n\r\n"
    )
    assert tagged(parse(data)) == tagged(
        [
            Info({"server_id": "X", "max_payload": 1048576}),
            PING,
            PONG,
            OK,
            Err("Authorization Violation"),
            ("foo.bar", 9, None, None, b"hello"),
            ("foo", 1, "_INBOX.x", None, b""),
            ("foo", 2, "bar", b"NATS/1.0\r\n\r\n", b"hi"),
            ("foo", 3, None, b"NATS/1.0\r\n\r\n", b""),
        ]
    )


def test_singletons_are_returned() -> None:
    frames = parse(b"PING\r\nPONG\r\n+OK\r\nping\r\n")
    assert frames[0] is PING and frames[1] is PONG and frames[2] is OK and frames[3] is PING
    assert len({PING, PONG, OK}) == 3 and repr(PING) == "PING"


def test_payload_with_crlf_inside() -> None:
    payload = b"\r\nMSG x 1 1\r\nz\r\n\r\n"
    data = b"MSG s 1 %d\r\n%b\r\nPING\r\n" % (len(payload), payload)
    assert parse(data) == [("s", 1, None, None, payload), PING]
    assert feed_all(bytewise(data)) == [("s", 1, None, None, payload), PING]


@pytest.mark.parametrize(
    "line",
    [b"msg foo 1 3", b"Msg foo 1 3", b"mSg\tfoo 1 3", b"MSG\tfoo\t1\t3", b"MSG  foo \t 1   3 "],
)
def test_msg_case_and_separators(line: bytes) -> None:
    assert parse(line + b"\r\nabc\r\n") == [("foo", 1, None, None, b"abc")]


def test_control_ops_case_insensitive_and_tabs() -> None:
    data = b"ping\r\nPong\r\n+ok\r\n-err\t'x y'\r\ninfo\t{}\r\nhmsg\tf\t1\tr\t0 0\r\n\r\nPING \r\n"
    assert tagged(parse(data)) == tagged(
        [PING, PONG, OK, Err("x y"), Info({}), ("f", 1, "r", b"", b""), PING]
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"-ERR 'Stale Connection'", "Stale Connection"),
        (b"-ERR   ' Permissions Violation for \"x\" '  ", 'Permissions Violation for "x"'),
        (b"-ERR", ""),
        (b"-ERR no quotes", "no quotes"),
        (b"-ERR '\xff'", "\ufffd"),
    ],
)
def test_err_text(line: bytes, message: str) -> None:
    assert parse(line + b"\r\n") == [Err(message)]


def test_utf8_subject_and_reply() -> None:
    data = "MSG é.ü 1 ñ 1\r\nx\r\n".encode()
    assert parse(data) == [("é.ü", 1, "ñ", None, b"x")]


def test_one_byte_at_a_time() -> None:
    data = (
        b'INFO {"a":[1,2]}\r\nMSG a 1 r 3\r\nabc\r\nHMSG b 2 16 19\r\n'
        b"NATS/1.0 503\r\n\r\nxyz\r\nPING\r\n-ERR 'e'\r\n"
    )
    assert tagged(feed_all(bytewise(data))) == tagged(parse(data))
    assert len(parse(data)) == 5


def test_large_payload_in_small_chunks() -> None:
    payload = bytes(range(256)) * (5 * 4096)  # 5 MiB
    data = b"MSG big 7 %d\r\n" % len(payload) + payload + b"\r\nPONG\r\n"
    frames = feed_all([data[i : i + 1024] for i in range(0, len(data), 1024)])
    assert frames == [("big", 7, None, None, payload), PONG]


def test_large_hmsg_in_chunks() -> None:
    header = b"NATS/1.0\r\nA: b\r\n\r\n"
    payload = b"\r\n" * (1 << 19)
    body = header + payload
    data = b"HMSG big 7 %d %d\r\n" % (len(header), len(body)) + body + b"\r\n"
    frames = feed_all([data[i : i + 65536] for i in range(0, len(data), 65536)])
    assert frames == [("big", 7, None, header, payload)]


def test_crlf_split_across_chunks() -> None:
    data = b"MSG a 1 3\r\nabc\r\nPING\r\n"
    for cut in range(len(data) + 1):
        assert feed_all([data[:cut], data[cut:]]) == [
            ("a", 1, None, None, b"abc"),
            PING,
        ], cut
    # Payload chunks, then CR and LF arriving separately.
    assert feed_all([b"MSG a 1 3\r\n", b"a", b"b", b"c", b"\r", b"\n"]) == [
        ("a", 1, None, None, b"abc")
    ]


def test_empty_feed_and_partial_state() -> None:
    parser = Parser()
    assert parser.feed(b"") == []
    assert parser.feed(b"MSG a 1 3\r\nab") == []
    assert parser.feed(b"") == []
    assert parser.feed(b"c\r\nPI") == [("a", 1, None, None, b"abc")]
    assert parser.feed(b"") == []
    assert parser.feed(b"NG\r\n") == [PING]


def test_reset_clears_partial_frame() -> None:
    parser = Parser()
    parser.feed(b"MSG a 1 10\r\nabc")
    parser.reset()
    assert parser.feed(b"PING\r\n") == [PING]
    parser.feed(b"PIN")
    parser.reset()
    assert parser.feed(b"PONG\r\n") == [PONG]


# -- control line length ----------------------------------------------------------------


def long_msg_line(length: int) -> bytes:
    """A MSG control line of exactly ``length`` bytes (before CRLF)."""
    head = b"MSG "
    tail = b" 1 0"
    return head + b"s" * (length - len(head) - len(tail)) + tail


def test_control_line_limit() -> None:
    ok = long_msg_line(MAX_CONTROL_LINE)
    assert len(parse(ok + b"\r\n\r\n")) == 1
    assert len(feed_all(bytewise(ok + b"\r\n\r\n"))) == 1
    with pytest.raises(ProtocolError, match="longer than 4096"):
        parse(long_msg_line(MAX_CONTROL_LINE + 1) + b"\r\n\r\n")


def test_control_line_limit_before_crlf() -> None:
    parser = Parser()
    parser.feed(b"MSG " + b"s" * (MAX_CONTROL_LINE - 4))  # exactly 4096 bytes: fine
    parser.feed(b"\r")  # may still be followed by \n
    with pytest.raises(ProtocolError, match="longer than"):
        parser.feed(b"s")
    with pytest.raises(ProtocolError, match="longer than"):
        Parser().feed(b"X" * (MAX_CONTROL_LINE + 1))
    parser = Parser()
    parser.feed(b"PING\r\nMSG ")
    with pytest.raises(ProtocolError, match="longer than"):
        parser.feed(b"s" * MAX_CONTROL_LINE)


def test_long_info_accepted() -> None:
    info = {"connect_urls": [f"10.0.{i // 256}.{i % 256}:4222" for i in range(2000)]}
    data = b"INFO " + json.dumps(info).encode() + b"\r\n"
    assert len(data) > 4 * MAX_CONTROL_LINE
    assert parse(data) == [Info(info)]
    assert feed_all([data[i : i + 1000] for i in range(0, len(data), 1000)]) == [Info(info)]
    assert parse(b"info\t" + data[5:]) == [Info(info)]


def test_info_limit() -> None:
    with pytest.raises(ProtocolError, match="longer than 1048576"):
        Parser().feed(b'INFO {"a":"' + b"x" * MAX_INFO_LINE)
    parser = Parser()
    parser.feed(b"INFO ")
    for _ in range(MAX_INFO_LINE // 65536 - 1):
        parser.feed(b"x" * 65536)
    with pytest.raises(ProtocolError, match="longer than 1048576"):
        parser.feed(b"x" * 65536)


# -- malformed input --------------------------------------------------------------------

MALFORMED = [
    b"FOO\r\n",
    b"\r\n",
    b" PING\r\n",
    b"PINGX\r\n",
    b"PING foo\r\n",
    b"+OK x\r\n",
    b"PING\n",
    b"MSG\r\n",
    b"MSG foo\r\n",
    b"MSG foo 1\r\n",
    b"MSG foo 1 a b 3\r\nabc\r\n",
    b"MSG foo x 3\r\nabc\r\n",
    b"MSG foo 1 -3\r\nabc\r\n",
    b"MSG foo 1 +3\r\nabc\r\n",
    b"MSG foo 1 3.0\r\nabc\r\n",
    b"MSG foo 1 \xd9\xa3\r\nabc\r\n",  # Arabic-Indic digit three
    b"MSG foo 1 3\r\nabcd\r\n",
    b"MSG foo 1 3\r\nabc\n\r\n",
    b"MSG foo 1 3\r\nabcXY",
    b"MSG \xff 1 3\r\nabc\r\n",
    b"MSG foo 1 \xfe 3\r\nabc\r\n",
    b"MSG foo 1 3\rabc\r\n",
    b"HMSG foo 1 3\r\nabc\r\n",
    b"HMSG foo 1 4 3\r\nabc\r\n",
    b"HMSG foo 1 r x 3\r\nabc\r\n",
    b"HMSG foo 1 r 1 2 3\r\nabc\r\n",
    b"INFO\r\n",
    b"INFO \r\n",
    b"INFO [1]\r\n",
    b'INFO "x"\r\n',
    b"INFO {\r\n",
    b"INFO {}}\r\n",
    b"INFO " + b"[" * 100_000 + b"\r\n",
    b'INFO {"a":' + b"1" * 5000 + b"}\r\n",
    b"INFO {\xff}\r\n",
    b"INFO{}\r\n",
    b"MSG foo 1 " + b"9" * 5000 + b"\r\n",
]


@pytest.mark.parametrize("data", MALFORMED)
def test_malformed_raises_protocol_error(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse(data)
    with pytest.raises(ProtocolError):
        feed_all(bytewise(data))


def test_incomplete_is_not_an_error() -> None:
    for data in (b"MSG foo 1 3\r\nab", b"PIN", b"PING\r", b"HMSG a 1 2 5\r\nNATS"):
        assert parse(data) == []


# -- properties -------------------------------------------------------------------------

subjects = st.text(
    st.characters(exclude_characters=" \t\r\n", codec="utf-8"),
    min_size=1,
    max_size=20,
)
payloads = st.one_of(
    st.binary(max_size=64),
    st.lists(st.sampled_from([b"\r\n", b"\r", b"\n", b"MSG a 1 1\r\n", b"x"])).map(b"".join),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
err_messages = st.text(st.characters(exclude_characters="'\r\n", codec="utf-8"), max_size=30).map(
    lambda s: s.strip(" \t")
)

frames_st = st.one_of(
    st.tuples(subjects, st.integers(0, 2**40), st.none() | subjects, st.none(), payloads),
    st.tuples(subjects, st.integers(0, 2**40), st.none() | subjects, payloads, payloads),
    # keys that are no field natskit checks (an arbitrary "port" would be rejected)
    st.builds(
        Info, st.dictionaries(st.text(max_size=10).map("x-".__add__), json_values, max_size=4)
    ),
    st.builds(Err, err_messages),
    st.just(PING),
    st.just(PONG),
    st.just(OK),
)


@SETTINGS
@given(frames=st.lists(frames_st, max_size=12), cuts=st.lists(st.integers(0, 2000)))
def test_round_trip_random_splits(frames: list[Frame], cuts: list[int]) -> None:
    data = b"".join(encode(f) for f in frames)
    assert tagged(feed_all(split_at(data, cuts))) == tagged(frames)


@settings(max_examples=50, deadline=None)
@given(frames=st.lists(frames_st, max_size=6))
def test_round_trip_bytewise(frames: list[Frame]) -> None:
    data = b"".join(encode(f) for f in frames)
    assert tagged(feed_all(bytewise(data))) == tagged(frames)


fragments = st.sampled_from(
    [
        b"MSG ", b"HMSG ", b"msg\t", b"PING", b"PONG", b"+OK", b"-ERR ", b"INFO ", b"{}",
        b'{"a":1}', b"[", b" ", b"\t", b"\r\n", b"\r", b"\n", b"0", b"1", b"3", b"12", b"-1",
        b"foo", b"a.b", b"\xff", b"\x00", b"'", b"99999999999999999999",
    ]
)  # fmt: skip
garbage = st.one_of(st.binary(max_size=200), st.lists(fragments, max_size=40).map(b"".join))


def outcome(chunks: list[bytes]) -> tuple[list[tuple[type, Any]], bool]:
    """Frames returned before any error, and whether a ProtocolError was raised."""
    parser = Parser()
    frames: list[Frame] = []
    try:
        for chunk in chunks:
            frames += parser.feed(chunk)
    except ProtocolError:
        return tagged(frames), True
    return tagged(frames), False


@SETTINGS
@given(data=garbage, cuts=st.lists(st.integers(0, 200)))
def test_garbage_raises_only_protocol_error(data: bytes, cuts: list[int]) -> None:
    whole_frames, whole_failed = outcome([data])
    split_frames, split_failed = outcome(split_at(data, cuts))
    assert whole_failed == split_failed
    if not whole_failed:
        assert split_frames == whole_frames


@SETTINGS
@given(
    payloads=st.lists(st.sampled_from([b"abc", b"a\r\nb", b"", b"\r\n", b"xyz"]), max_size=40),
    headers=st.lists(st.booleans(), max_size=40),
    cuts=st.lists(st.integers(0, 600)),
)
def test_runs_of_one_subject_with_crlf_and_headers(
    payloads: list[bytes], headers: list[bool], cuts: list[int]
) -> None:
    """The split fast path for repeated MSG lines hands over to the slow path
    wherever a payload holds CRLF, a frame has headers, or a chunk ends."""
    frames: list[Frame] = []
    for i, payload in enumerate(payloads):
        header = b"NATS/1.0\r\n\r\n" if i < len(headers) and headers[i] else None
        frames.append(("run", 1, None, header, payload))
    data = b"".join(encode(f) for f in frames) + b"PING\r\n"
    points = sorted({c for c in cuts if 0 < c < len(data)})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert tagged(feed_all(chunks)) == tagged([*frames, PING])
