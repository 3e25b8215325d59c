"""JetStream replies of the wrong shape, from a scripted server: ProtocolError."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import natskit.aio
from natskit._async.memory import MemoryNetwork


@pytest.mark.parametrize(
    "reply",
    [b'{"stream": 5, "seq": 1}', b'{"stream": "s", "seq": "one"}', b"[1]", b"null"],
)
async def test_a_malformed_pub_ack(reply: bytes) -> None:
    net = MemoryNetwork()
    net.listen("mem").replies["orders.new"] = [reply]
    nc = await net.connect("nats://mem:4222")
    js = nc.jetstream()
    with pytest.raises((natskit.ProtocolError, natskit.JetStreamError)):
        await js.publish("orders.new", b"x")
    fut = await js.publish_future("orders.new", b"x")
    await js.publish_async_complete(5)
    with pytest.raises((natskit.ProtocolError, natskit.JetStreamError)):
        fut.result()
    await nc.close()


async def test_unknown_enum_values_are_refused_before_anything_is_sent() -> None:
    net = MemoryNetwork()
    server = net.listen("mem")
    nc = await net.connect("nats://mem:4222")
    js = nc.jetstream()
    cases: list[tuple[Callable[[], Any], str, str]] = [
        (lambda: js.add_stream(name="s", storage="disk"), "storage", "file, memory"),
        (lambda: js.add_stream(name="s", retention="forever"), "retention", "workqueue"),
        (lambda: js.add_stream(name="s", discard="newest"), "discard", "old, new"),
        (lambda: js.add_consumer("s", durable_name="c", ack_policy="x"), "ack_policy", "explicit"),
        (lambda: js.add_consumer("s", deliver_policy="first"), "deliver_policy", "by_start_seq"),
        (lambda: js.add_consumer("s", replay_policy="fast"), "replay_policy", "instant, original"),
        (lambda: js.create_key_value("b", storage="disk"), "storage", "file"),
    ]
    for call, field, allowed in cases:
        with pytest.raises(natskit.InvalidArgError, match=f"{field} must be one of .*{allowed}"):
            await call()
    await nc.flush()
    assert not [c for c in server.peers[0].commands if c[0] == "PUB"]
    await nc.close()
