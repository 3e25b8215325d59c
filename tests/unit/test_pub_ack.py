"""``pub_ack``: the hand-cut publish reply gives what ``json`` gives, for every input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from natskit import PubAck
from natskit._jsapi.api import parse_reply, pub_ack


def reference(data: bytes) -> PubAck:
    return PubAck.from_json(parse_reply(data, "publish to 'x'"))


def outcome(parse: Any, data: bytes) -> tuple[Any, ...]:
    """Everything a caller can see: the fields with their types and the raw JSON in
    order, or the error's type, message and fields."""
    try:
        ack = parse(data)
    except Exception as exc:
        return ("error", type(exc), str(exc), getattr(exc, "err_code", None))
    fields = (ack.stream, ack.seq, ack.duplicate, ack.domain, ack.value, ack.batch_id)
    return ("ack", fields, [type(f) for f in fields], ack.batch_size, list(ack.raw.items()))


def same(data: bytes) -> None:
    assert outcome(lambda d: pub_ack(d, "publish to 'x'"), data) == outcome(reference, data)


@pytest.mark.parametrize(
    "data",
    [
        b'{"stream":"ORDERS","seq":1}',
        b'{"stream":"S","domain":"hub","seq":42}',
        b'{"stream":"S","domain":"","seq":0}',
        b'{"stream":"","seq":7}',
        b'{"stream":"ORDERS","seq":2,"duplicate": true}',
        b'{"stream":"C","seq":3,"val":"12"}',
        b'{"stream":"B","seq":9,"batch":"b1","count":3}',
        b'{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 2"},'
        b'"stream":"ORDERS","seq":0}',
        b'{"stream":"S","seq":01}',
        b'{"stream":"S","seq":-1}',
        b'{"stream":"S","seq":1.5}',
        b'{"stream":"S","seq":' + b"9" * 21 + b"}",
        b'{"stream":"S","seq":' + b"9" * 20 + b"}",
        b'{"stream":"S\\"x","seq":1}',
        b'{"stream":"S\\u0041","seq":1}',
        b'{"stream":"S\x01","seq":1}',
        b'{"stream":"\xc3\xa9","seq":1}',
        b'{"stream":"\xff","seq":1}',
        b'{"stream":"S","seq":1} ',
        b'{"stream":"S","seq":}',
        b'{"stream":"S","seq":1',
        b'{"stream":"S',
        b'{"stream":"S","domain":"d',
        b'{"stream":"S","domain":"d","seq":1,"seq":2}',
        b'{"stream":"S","stream":"T","seq":1}',
        b'{"stream":"a","seq":1,"x":"","seq":1}',
        b'{"stream":","seq":1}',
        b'{"stream":"","domain":","seq":1}',
        b'{"stream":"S","domain":"","domain":"","seq":1}',
        b"",
        b"[]",
        b"null",
    ],
)
def test_examples_give_what_json_gives(data: bytes) -> None:
    same(data)


def test_the_common_reply_is_exact() -> None:
    ack = pub_ack(b'{"stream":"ORDERS","seq":12}')
    assert ack == PubAck("ORDERS", 12)
    assert ack.raw == {"stream": "ORDERS", "seq": 12}
    ack = pub_ack(b'{"stream":"S","domain":"hub","seq":1}')
    assert (ack.stream, ack.seq, ack.domain) == ("S", 1, "hub")


names = st.one_of(st.text(max_size=12), st.from_regex(r"[A-Za-z0-9_-]{0,12}", fullmatch=True))
scalars = st.one_of(
    st.integers(min_value=-3, max_value=10**22),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.text(max_size=4),
)


@st.composite
def replies(draw: st.DrawFn) -> bytes:
    """A JSON object shaped like a publish reply, encoded in one of several styles."""
    obj: dict[str, Any] = {"stream": draw(st.one_of(names, scalars))}
    if draw(st.booleans()):
        obj["domain"] = draw(st.one_of(names, scalars))
    obj["seq"] = draw(st.one_of(st.integers(min_value=0, max_value=2**64), scalars))
    for key in draw(st.lists(st.sampled_from(["duplicate", "val", "batch", "count", "x"]))):
        obj[key] = draw(scalars)
    if draw(st.integers(0, 9)) == 0:
        obj = {"error": {"code": 400, "err_code": draw(st.integers(0, 10200)), "description": "d"}}
    compact = draw(st.booleans())
    text = json.dumps(
        obj,
        separators=(",", ":") if compact else None,
        ensure_ascii=draw(st.booleans()),
    )
    return text.encode()


@st.composite
def near_misses(draw: st.DrawFn) -> bytes:
    """The fast path's own shape with arbitrary bytes in its holes."""
    stream = draw(st.one_of(st.binary(max_size=8), st.from_regex(rb"[A-Z]{1,6}", fullmatch=True)))
    seq = draw(st.one_of(st.binary(max_size=6), st.from_regex(rb"[0-9]{1,22}", fullmatch=True)))
    middle = b""
    if draw(st.booleans()):
        middle = b'","domain":"' + draw(st.binary(max_size=6))
    tail = draw(st.sampled_from([b"}", b"", b" }", b"}\r\n", b',"duplicate":true}']))
    data = b'{"stream":"' + stream + middle + b'","seq":' + seq + tail
    if draw(st.booleans()):  # cut or doubled anywhere
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + data[draw(st.integers(0, len(data))) :]
    return data


@settings(max_examples=600)
@given(st.one_of(replies(), near_misses(), st.binary(max_size=40)))
@example(b'{"stream":"S","seq":1}')
def test_every_input_gives_what_json_gives(data: bytes) -> None:
    same(data)
