"""JetStream replies of the wrong shape are ``ProtocolError``s naming what is
wrong; nothing else leaves the parsing of what a server sent."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import natskit
from natskit import (
    AccountInfo,
    ConsumerConfig,
    ConsumerInfo,
    PubAck,
    StreamConfig,
    StreamInfo,
    StreamState,
)

CLASSES: list[Any] = [PubAck, StreamInfo, StreamState, ConsumerInfo, AccountInfo]
CLASSES += [StreamConfig, ConsumerConfig]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@pytest.mark.parametrize(
    ("cls", "data", "named"),
    [
        (PubAck, {"stream": 5, "seq": 1}, "PubAck.stream"),
        (PubAck, {"stream": "s", "seq": "one"}, "PubAck"),
        (PubAck, [1, 2], "PubAck"),
        (StreamInfo, {"config": {"name": "s", "max_age": "long"}, "state": {}}, "StreamConfig"),
        (StreamInfo, {"config": [1], "state": {}}, "StreamConfig"),
        (StreamInfo, {"config": {"name": "s", "subjects": "a.b"}}, "StreamConfig.subjects"),
        (StreamInfo, {"config": {"name": "s"}, "state": {"messages": "7"}}, "StreamState"),
        (ConsumerInfo, {"stream_name": "s", "name": "c", "delivered": {"stream_seq": "x"}}, "Seq"),
        (ConsumerInfo, {"stream_name": "s", "name": 3}, "ConsumerInfo.name"),
        (AccountInfo, {"memory": "lots"}, "AccountInfo.memory"),
    ],
)
def test_malformed_replies_are_protocol_errors(cls: Any, data: Any, named: str) -> None:
    with pytest.raises(natskit.ProtocolError, match=named):
        cls.from_json(data)


def test_well_formed_replies_still_parse() -> None:
    info = StreamInfo.from_json(
        {
            "config": {"name": "s", "subjects": ["a.>"], "max_age": 10**9, "metadata": {"k": "v"}},
            "state": {"messages": 3, "first_ts": "2026-12-03T07:00:00.5Z"},
            "created": "2026-12-03T07:00:00Z",
        }
    )
    assert info.config.max_age == 1.0
    assert info.state.messages == 3
    assert PubAck.from_json({"stream": "s", "seq": 4, "duplicate": True}).duplicate


@settings(max_examples=300, deadline=None)
@given(cls=st.sampled_from(CLASSES), data=st.dictionaries(st.text(max_size=12), json_values))
def test_any_json_object_parses_or_is_a_protocol_error(cls: Any, data: dict[str, Any]) -> None:
    for key in ("name", "stream", "stream_name", "config", "state", "seq", "max_age", "memory"):
        if key in data:  # make hitting the real fields likely
            break
    else:
        data = {**data, "name": data.get("", "x"), "config": data.get("c", {})}
    try:
        cls.from_json(data)
    except natskit.ProtocolError:
        pass


@pytest.mark.parametrize(
    "meta",
    [b'{"name": 5}', b'{"name": "a", "size": "big"}', b'{"name": "a", "headers": [1]}', b"[]"],
)
def test_bad_object_metadata_is_a_jetstream_error(meta: bytes) -> None:
    from natskit._jsapi.obj import ObjectInfo

    with pytest.raises(natskit.JetStreamError, match="bad object metadata"):
        ObjectInfo.from_json(meta, None)


def test_bad_stream_get_headers_are_protocol_errors() -> None:
    msg = natskit.MsgBase("s", b"", headers={"Nats-Sequence": "x1", "Nats-Time-Stamp": "soon"})
    for attribute in ("seq", "time", "time_ns"):
        with pytest.raises(natskit.ProtocolError, match="Nats-"):
            getattr(msg, attribute)
