"""Tests of the Headers class and the header wire codec (ADR-4)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from natskit._protocol.headers import decode_headers, encode_headers
from natskit.errors import BadHeaderMsgError, InvalidArgError
from natskit.headers import Headers

# -- Headers ----------------------------------------------------------------------------


def test_multi_map_basics() -> None:
    h = Headers()
    h.add("A", "1")
    h.add("a", "2")
    h.add("A", "3")
    assert h["A"] == "1" and h["a"] == "2"
    assert h.get_all("A") == ["1", "3"] == h.values("A")
    assert h.get_all("missing") == [] and h.get("missing") is None and h.get("x", "d") == "d"
    assert h.keys() == ["A", "a"] and list(h) == ["A", "a"] and len(h) == 2
    assert h.items() == [("A", "1"), ("A", "3"), ("a", "2")]
    assert "A" in h and "b" not in h and 1 not in h
    h["A"] = "only"
    assert h.get_all("A") == ["only"]
    h.set("a", "x")
    assert h.items() == [("A", "only"), ("a", "x")]
    del h["A"]
    assert h.keys() == ["a"]
    with pytest.raises(KeyError):
        del h["A"]
    with pytest.raises(KeyError):
        h["A"]


def test_get_all_returns_a_copy() -> None:
    h = Headers({"k": ["1", "2"]})
    h.get_all("k").append("3")
    assert h.get_all("k") == ["1", "2"]


def test_keys_pattern() -> None:
    h = Headers([("Nats-Msg-Id", "1"), ("Nats-Expected-Stream", "S"), ("nats-lower", "x")])
    assert h.keys("Nats-*") == ["Nats-Msg-Id", "Nats-Expected-Stream"]
    assert h.keys("*-Msg-??") == ["Nats-Msg-Id"]
    assert h.keys("none*") == []


def test_constructors() -> None:
    from_pairs = Headers([("a", "1"), ("b", "2"), ("a", "3")])
    from_mapping = Headers({"a": ["1", "3"], "b": "2"})
    from_tuple = Headers({"a": ("1", "3"), "b": ["2"]})
    assert from_pairs == from_mapping == from_tuple == Headers(from_pairs)
    copied = Headers(from_pairs)
    copied.add("a", "4")
    assert from_pairs.get_all("a") == ["1", "3"]
    assert Headers() == Headers(None) == Headers({}) == {}


@pytest.mark.parametrize(
    "initial",
    [{"k": 5}, {"k": {"v"}}, {"k": ["v", 5]}, ["ab"], [("k",)], [("k", "v", "x")], "ab", 5],
)
def test_invalid_initial(initial: Any) -> None:
    with pytest.raises(InvalidArgError):
        Headers(initial)


def test_copy_is_independent() -> None:
    h = Headers({"a": "1"})
    c = h.copy()
    c.add("a", "2")
    assert h.get_all("a") == ["1"] and c.get_all("a") == ["1", "2"]


def test_equality_with_plain_dicts() -> None:
    h = Headers([("a", "1"), ("b", "2"), ("b", "3")])
    assert h == {"a": "1", "b": ["2", "3"]}
    assert h == {"a": ["1"], "b": ("2", "3")}
    assert h != {"a": "1", "b": "2"}
    assert h != {"a": "1"}
    assert h != {"a": "1", "b": ["2", "3"], "c": "4"}
    assert h != {"a": 1, "b": ["2", "3"]}
    assert h != [("a", "1")]
    assert h != Headers({"a": "1", "b": ["3", "2"]})


def test_unhashable_and_repr() -> None:
    h = Headers([("a", "1"), ("a", "2")])
    with pytest.raises(TypeError):
        hash(h)
    assert repr(h) == "Headers([('a', '1'), ('a', '2')])"
    assert eval(repr(h)) == h


@pytest.mark.parametrize(
    "key", ["", "a b", "a:b", "a\tb", "a\r", "a\n", "é", "a\x7f", "a\x00", 1, None, b"k"]
)
def test_invalid_keys(key: Any) -> None:
    h = Headers()
    for op in (h.add, h.set, h.__setitem__):
        with pytest.raises(InvalidArgError):
            op(key, "v")
    with pytest.raises(InvalidArgError):
        Headers({key: "v"})
    with pytest.raises(InvalidArgError):
        Headers([(key, "v")])
    assert len(h) == 0


@pytest.mark.parametrize("value", ["a\rb", "a\nb", "\r\n", 1, None, b"v", ["v"]])
def test_invalid_values(value: Any) -> None:
    h = Headers({"k": "ok"})
    for op in (h.add, h.set, h.__setitem__):
        with pytest.raises(InvalidArgError):
            op("k", value)
    assert h.get_all("k") == ["ok"]


def test_valid_edge_keys_and_values() -> None:
    key = "".join(chr(c) for c in range(33, 127) if chr(c) != ":")
    h = Headers({key: ["", " spaced ", "ünïcode", "tab\there"]})
    assert h.get_all(key) == ["", " spaced ", "ünïcode", "tab\there"]


# -- wire codec -------------------------------------------------------------------------


def test_encode() -> None:
    h = Headers([("Header1", "X"), ("Header1", "Y"), ("Header2", "Z")])
    block = encode_headers(h)
    assert block == b"NATS/1.0\r\nHeader1: X\r\nHeader1: Y\r\nHeader2: Z\r\n\r\n"
    assert len(block) == 48  # the ADR-4 example
    assert encode_headers({"Header1": ["X", "Y"], "Header2": "Z"}) == block
    assert encode_headers(None) == b""
    assert encode_headers(Headers()) == b"NATS/1.0\r\n\r\n"
    with pytest.raises(InvalidArgError):
        encode_headers({"bad key": "v"})


def test_decode() -> None:
    block = b"NATS/1.0\r\nA: 1\r\nb:2\r\nA:  3 \t\r\nEmpty:\r\n\r\n"
    headers, status, description = decode_headers(block)
    assert headers == {"A": ["1", "3"], "b": "2", "Empty": ""}
    assert headers.keys() == ["A", "b", "Empty"]
    assert status is None and description == ""


@pytest.mark.parametrize(
    ("first", "status", "description"),
    [
        (b"NATS/1.0", None, ""),
        (b"NATS/1.0 503", 503, ""),
        (b"NATS/1.0 408 Request Timeout", 408, "Request Timeout"),
        (b"NATS/1.0 100 Idle Heartbeat", 100, "Idle Heartbeat"),
        (b"NATS/1.0  404   No Messages ", 404, "No Messages"),
    ],
)
def test_decode_status(first: bytes, status: int | None, description: str) -> None:
    block = first + b"\r\nNats-Pending-Messages: 5\r\n\r\n"
    assert decode_headers(block) == (
        Headers({"Nats-Pending-Messages": "5"}),
        status,
        description,
    )
    assert decode_headers(first + b"\r\n\r\n")[1:] == (status, description)


def test_decode_value_with_colon_and_utf8() -> None:
    headers, _, _ = decode_headers("NATS/1.0\r\nUrl: http://x:1/é\r\n\r\n".encode())
    assert headers["Url"] == "http://x:1/é"


@pytest.mark.parametrize(
    "block",
    [
        b"",
        b"NATS/2.0\r\n\r\n",
        b"HTTP/1.1 200\r\n\r\n",
        b"NATS/1.0503\r\n\r\n",
        b"NATS/1.0 abc\r\n\r\n",
        b"NATS/1.0 50\r\n\r\n",
        b"NATS/1.0 5034\r\n\r\n",
        b"NATS/1.0 \xd9\xa3\xd9\xa3\xd9\xa3\r\n\r\n",
        b"NATS/1.0\r\nno colon\r\n\r\n",
        b"NATS/1.0\r\n: empty key\r\n\r\n",
        b"NATS/1.0\r\nbad key: v\r\n\r\n",
        b"NATS/1.0\r\n\xc3\xa9: v\r\n\r\n",
        b"NATS/1.0\r\nk: \xff\r\n\r\n",
        b"NATS/1.0\r\nk: a\nb\r\n\r\n",
        b"NATS/1.0\r\nk: a\rb\r\n\r\n",
        b"NATS/1.0\n\n",
    ],
)
def test_decode_errors(block: bytes) -> None:
    with pytest.raises(BadHeaderMsgError):
        decode_headers(block)


keys = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"),
    min_size=1,
    max_size=12,
)
values = st.text(st.characters(exclude_characters="\r\n", codec="utf-8"), max_size=20).map(
    lambda v: v.strip(" \t")
)


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(keys, values), max_size=10))
def test_round_trip(pairs: list[tuple[str, str]]) -> None:
    headers = Headers(pairs)
    decoded, status, description = decode_headers(encode_headers(headers))
    assert decoded == headers and (status, description) == (None, "")
    assert decoded.items() == headers.items() and decoded.keys() == headers.keys()


@settings(max_examples=200, deadline=None)
@given(block=st.binary(max_size=80).map(lambda b: b"NATS/1.0" + b))
def test_decode_raises_only_bad_header(block: bytes) -> None:
    try:
        headers, _, _ = decode_headers(block)
    except BadHeaderMsgError:
        return
    assert Headers(headers.items()) == headers  # what the public API would build
