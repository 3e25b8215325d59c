"""user_info() and trace() on servers too old for them: a clear error, nothing sent."""

from __future__ import annotations

import pytest

import natskit.aio
from natskit._async.memory import MemoryNetwork
from natskit.server_version import version_of


async def test_an_old_server_is_named_with_the_version_needed() -> None:
    net = MemoryNetwork()
    server = net.listen("old", version="2.9.25")
    nc = await net.connect("nats://old:4222")
    peer = server.peers[0]
    with pytest.raises(
        natskit.NoRespondersError,
        match=r"user_info .* needs nats-server 2\.10 or later \(this server is 2\.9\.25\)",
    ):
        await nc.user_info()
    with pytest.raises(
        natskit.ServerError, match=r"message tracing \(trace\) needs nats-server 2\.11"
    ):
        await nc.trace("x", b"y")
    await nc.flush()
    assert not [c for c in peer.commands if c[0] in ("PUB", "HPUB", "SUB")]
    await nc.close()


def test_versions_are_read_from_info() -> None:
    assert version_of({"version": "2.15.1"}) == (2, 15, 1)
    assert version_of({"version": "v2.11.0-beta.2"}) == (2, 11, 0)
    assert version_of({}) is None


async def test_config_features_on_a_server_too_old_for_them() -> None:
    """Servers before 2.12 do not read ``Nats-Required-Api-Level``: a stream or
    consumer feature newer than the connected server fails before anything is sent."""
    net = MemoryNetwork()
    server = net.listen("old", version="2.11.4")
    nc = await net.connect("nats://old:4222")
    peer = server.peers[0]
    js = nc.jetstream(timeout=1)
    with pytest.raises(
        natskit.JetStreamError,
        match=r"^allow_msg_counter needs nats-server 2\.12 or later \(this server is 2\.11\.4\)$",
    ):
        await js.add_stream("S", subjects=["s"], allow_msg_counter=True)
    with pytest.raises(
        natskit.JetStreamError, match=r"ack_policy='flow_control' needs nats-server 2\.14"
    ):
        await js.add_push_consumer("S", "C", "d", ack_policy="flow_control")
    await nc.flush()
    assert not [c for c in peer.commands if c[0] in ("PUB", "HPUB")]
    await nc.close()
