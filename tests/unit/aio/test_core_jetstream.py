"""JetStream replies of the wrong shape, from a scripted server: ProtocolError."""

from __future__ import annotations

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
