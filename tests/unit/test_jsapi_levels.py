"""ADR-44 API levels a stream or consumer config needs, and the header asserting them."""

from __future__ import annotations

from natskit._jsapi.levels import (
    REQUIRED_LEVEL,
    consumer_level,
    level_headers,
    level_message,
    stream_level,
)


def test_stream_levels() -> None:
    assert stream_level({"name": "S", "subjects": ["a"]}) == (0, "")
    assert stream_level({"allow_msg_ttl": True}) == (1, "allow_msg_ttl")
    assert stream_level({"subject_delete_marker_ttl": 10**9}) == (1, "subject_delete_marker_ttl")
    assert stream_level({"allow_msg_ttl": True, "allow_msg_counter": True}) == (
        2,
        "allow_msg_counter",
    )
    assert stream_level({"persist_mode": "async"})[0] == 2
    assert stream_level({"persist_mode": "default"}) == (0, "")
    assert stream_level({"allow_atomic": True, "allow_batched": True}) == (4, "allow_batched")
    assert stream_level({"allow_atomic": False, "subject_delete_marker_ttl": 0}) == (0, "")


def test_consumer_levels() -> None:
    assert consumer_level({"durable_name": "C", "ack_policy": "explicit"}) == (0, "")
    assert consumer_level({"priority_policy": "none"}) == (0, "")
    assert consumer_level({"pause_until": "2030-01-01T00:00:00Z"}) == (1, "pause_until")
    assert consumer_level({"priority_groups": ["g"], "priority_policy": "pinned_client"})[0] == 1
    assert consumer_level({"ack_policy": "flow_control", "pause_until": "x"})[0] == 4


def test_level_header_and_message() -> None:
    assert level_headers(0) is None
    headers = level_headers(2)
    assert headers is not None and headers.get(REQUIRED_LEVEL) == "2"
    text = level_message("allow_msg_counter", 2)
    assert "allow_msg_counter needs JetStream API level 2 (nats-server 2.12 or newer)" in text
    assert "(nats-server" not in level_message("x", 3)
