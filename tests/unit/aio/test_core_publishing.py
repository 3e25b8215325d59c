"""Publishing features on a server too old for them (a scripted server): a clear
error naming the feature and the version it needs, and nothing sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import natskit.aio
from natskit._async.memory import MemoryNetwork


async def test_features_need_their_server_version() -> None:
    net = MemoryNetwork()
    server = net.listen("mem", version="2.10.24")
    nc = await net.connect("nats://mem:4222")
    js = nc.jetstream()
    cases: list[tuple[Callable[[], Any], str]] = [
        (lambda: js.publish("s", b"x", ttl=5), r"per-message TTL needs nats-server 2\.11"),
        (lambda: js.publish_future("s", b"x", ttl="never"), r"TTL needs nats-server 2\.11"),
        (lambda: js.publish_batch([("s", b"x")]), r"atomic batch publish needs nats-server 2\.12"),
        (lambda: js.counter("C"), r"counters needs nats-server 2\.12"),
        (
            lambda: js.publish_schedule("s.1", target="s.2", every=5),
            r"message schedules needs nats-server 2\.12",
        ),
    ]
    for call, match in cases:
        with pytest.raises(natskit.JetStreamError, match=match) as info:
            await call()
        assert "2.10.24" in str(info.value)
    with pytest.raises(natskit.JetStreamError, match=r"2\.12"):
        js.batch()
    await nc.flush()
    assert not [c for c in server.peers[0].commands if c[0] in ("PUB", "HPUB")]
    await nc.close()
