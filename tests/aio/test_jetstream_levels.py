"""ADR-44: stream and consumer requests assert the JetStream API level their
config needs (``Nats-Required-Api-Level``), by the server's own rules, and a
server below that level gets a clear error naming the feature."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import natskit.aio
from natskit._jsapi.levels import REQUIRED_LEVEL, consumer_level, stream_level

STREAMS: list[dict[str, Any]] = [
    {},
    {"allow_msg_ttl": True},
    {"allow_msg_ttl": True, "subject_delete_marker_ttl": 2.0},
    {"allow_msg_counter": True},
    {"allow_atomic": True},
    {"allow_msg_schedules": True},
    {"persist_mode": "async"},
    {"allow_atomic": True, "allow_batched": True},
]


async def test_stream_levels_match_the_server(js: natskit.aio.JetStream) -> None:
    for i, options in enumerate(STREAMS):
        info = await js.add_stream(f"L{i}", subjects=[f"l{i}.>"], **options)
        assert info.config.metadata is not None
        wire = info.config.to_json()
        assert str(stream_level(wire)[0]) == info.config.metadata["_nats.req.level"], options


async def test_consumer_levels_match_the_server(js: natskit.aio.JetStream) -> None:
    await js.add_stream("LC", subjects=["lc.>"])
    until = datetime.now(timezone.utc) + timedelta(hours=1)
    consumers: list[dict[str, Any]] = [
        {},
        {"pause_until": until},
        {"priority_groups": ["g"], "priority_policy": "pinned_client"},
        {"priority_groups": ["g"], "priority_policy": "prioritized"},
    ]
    for i, options in enumerate(consumers):
        info = await js.add_pull_consumer("LC", f"c{i}", **options)
        assert info.config.metadata is not None
        wire = info.config.to_json()
        assert str(consumer_level(wire)[0]) == info.config.metadata["_nats.req.level"], options
    push = await js.add_push_consumer(
        "LC", "fc", "deliver.fc", ack_policy="flow_control", flow_control=True, idle_heartbeat=1
    )
    assert push.config.metadata is not None
    assert push.config.metadata["_nats.req.level"] == "4"
    assert consumer_level(push.config.to_json())[0] == 4


async def test_a_server_below_the_level_refuses_with_a_clear_error(
    nc: natskit.aio.Connection,
) -> None:
    """An older JetStream, played by a responder on an API prefix of its own: it
    records each request's level header and refuses a level above 1 as
    nats-server does (err_code 10185)."""
    seen: list[tuple[str, str | None]] = []

    async def old_jetstream(msg: natskit.aio.Msg) -> None:
        level = msg.headers.get(REQUIRED_LEVEL) if msg.headers else None
        seen.append((msg.subject, level))
        if level is not None and int(level) > 1:
            error = {
                "code": 412,
                "err_code": 10185,
                "description": "JetStream minimum api level required",
            }
            await msg.respond(json.dumps({"error": error}))
        else:
            await msg.respond(json.dumps({"error": {"code": 500, "description": "played"}}))

    sub = await nc.subscribe("OLD.API.>", callback=old_jetstream)
    js = nc.jetstream(api_prefix="OLD.API", timeout=5)
    with pytest.raises(natskit.JetStreamError) as refused:
        await js.add_stream("K", subjects=["k"], allow_msg_counter=True)
    assert refused.value.err_code == 10185
    assert str(refused.value) == (
        "stream 'K': allow_msg_counter needs JetStream API level 2 (nats-server 2.12 or "
        "newer); the server that answered has a lower level"
    )
    with pytest.raises(natskit.JetStreamError, match="played"):
        await js.add_stream("T", subjects=["t"], allow_msg_ttl=True)
    with pytest.raises(natskit.JetStreamError, match="played"):
        await js.add_pull_consumer("T", "C")
    with pytest.raises(natskit.JetStreamError, match=r"consumer reset needs JetStream API level 4"):
        await js.reset_consumer("T", "C")
    await sub.unsubscribe()
    assert seen == [
        ("OLD.API.STREAM.CREATE.K", "2"),
        ("OLD.API.STREAM.CREATE.T", "1"),
        ("OLD.API.CONSUMER.CREATE.T.C", None),
        ("OLD.API.CONSUMER.RESET.T.C", "4"),
    ]


async def test_an_atomic_batch_asserts_its_level_on_the_first_message(
    nc: natskit.aio.Connection, js: natskit.aio.JetStream
) -> None:
    await js.add_stream("B", subjects=["b.>"], allow_atomic=True)
    sub = await nc.subscribe("b.>")
    ack = await js.publish_batch([("b.1", b"one"), ("b.2", b"two")])
    assert ack.batch_size == 2
    first = await sub.next_msg(5)
    second = await sub.next_msg(5)
    assert first.headers is not None and first.headers.get(REQUIRED_LEVEL) == "2"
    assert second.headers is not None and second.headers.get(REQUIRED_LEVEL) is None
    await sub.unsubscribe()
