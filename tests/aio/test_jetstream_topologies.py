"""JetStream across domains (hub and leaf) and in a three-node cluster."""

from __future__ import annotations

from collections.abc import (
    AsyncIterator,
    Awaitable,  # unasync: remove
    Callable,
)

import pytest

import natskit.aio
from natskit import StreamSource
from natskit._io_async import sleep
from natskit.testing import NatsCluster, NatsHubLeaf


async def eventually(
    check: Callable[[], Awaitable[bool]],  # unasync: sync: check: Callable[[], bool],
    timeout: float = 10.0,
) -> None:
    """Await ``check()`` until it returns true (every 50 ms, up to ``timeout`` s)."""
    for _ in range(int(timeout / 0.05)):
        if await check():
            return
        await sleep(0.05)
    raise AssertionError("condition not reached")


@pytest.fixture
async def leaf_nc(nats_hub_leaf: NatsHubLeaf) -> AsyncIterator[natskit.aio.Connection]:
    conn = await natskit.aio.connect(nats_hub_leaf.leaf.url)
    yield conn
    await conn.close()


async def test_domains_select_the_jetstream(leaf_nc: natskit.aio.Connection) -> None:
    hub = leaf_nc.jetstream(domain="hub")
    leaf = leaf_nc.jetstream(domain="leaf")
    assert (await hub.account_info()).domain == "hub"
    assert (await leaf.account_info()).domain == "leaf"
    assert (await leaf_nc.jetstream().account_info()).domain == "leaf"  # the local one
    await hub.add_stream("ORDERS", subjects=["orders.>"])
    assert await hub.stream_names() == ["ORDERS"]
    assert await leaf.stream_names() == []
    ack = await hub.publish("orders.1", b"one", stream="ORDERS")
    assert (ack.stream, ack.domain) == ("ORDERS", "hub")
    await hub.add_pull_consumer("ORDERS", "C")
    msgs = await hub.fetch("ORDERS", "C", 1, timeout=2)
    assert (msgs[0].metadata.stream, msgs[0].data) == ("ORDERS", b"one")
    await msgs[0].ack_sync()
    assert (await hub.consumer_info("ORDERS", "C")).num_ack_pending == 0
    prefixed = leaf_nc.jetstream(api_prefix="$JS.hub.API")
    assert prefixed.api_prefix == "$JS.hub.API"
    assert (await prefixed.stream_info("ORDERS")).state.messages == 1


async def test_mirror_and_sources_across_domains(leaf_nc: natskit.aio.Connection) -> None:
    hub = leaf_nc.jetstream(domain="hub")
    leaf = leaf_nc.jetstream(domain="leaf")
    await hub.add_stream("UP", subjects=["up.>"])
    await hub.add_stream("UP2", subjects=["up2.>"])
    for i in range(3):
        await hub.publish(f"up.{i}", str(i))
        await hub.publish(f"up2.{i}", str(i))
    await leaf.add_stream("MIRROR", mirror=StreamSource("UP", api="$JS.hub.API"))
    await leaf.add_stream(
        "AGG",
        sources=[
            StreamSource("UP", api="$JS.hub.API", filter_subject="up.1"),
            StreamSource("UP2", api="$JS.hub.API"),
        ],
    )

    async def copied() -> bool:
        mirror = (await leaf.stream_info("MIRROR")).state.messages
        agg = (await leaf.stream_info("AGG")).state.messages
        return mirror == 3 and agg == 4

    await eventually(copied)
    info = await leaf.stream_info("MIRROR")
    assert info.config.mirror is not None and info.config.mirror.api == "$JS.hub.API"
    assert info.mirror is not None and info.mirror["name"] == "UP"
    assert (await leaf.stream_msg_get("MIRROR", seq=3)).data == b"2"


async def test_publishing_with_msg_id_through_a_node_failure(nats_cluster: NatsCluster) -> None:
    nc = await natskit.aio.connect(nats_cluster.urls, reconnect_time_wait=0.1)
    admin = nc.jetstream(timeout=5)
    js = nc.jetstream(timeout=0.5)
    info = await admin.add_stream("R3", subjects=["r3.>"], num_replicas=3)
    assert info.cluster is not None
    leader = info.cluster["leader"]
    for i in range(60):
        if i == 20:  # kill the stream leader mid-way
            nats_cluster.kill(int(leader.rsplit("-", 1)[1]))
        for _ in range(100):  # retry with the same msg_id until acknowledged
            try:
                await js.publish("r3.x", str(i), msg_id=f"m-{i}")
                break
            except (
                natskit.TimeoutError,
                natskit.NoRespondersError,
                natskit.JetStreamError,
                natskit.ConnectionClosedError,
            ):
                await sleep(0.1)  # a user's back-off while the stream elects a new leader
        else:
            raise AssertionError(f"message {i} never acknowledged")
    state = (await admin.stream_info("R3")).state
    assert (state.messages, state.last_seq) == (60, 60)  # each one stored once
    got = [int((await admin.stream_msg_get("R3", seq=s)).data) for s in range(1, 61)]
    assert got == list(range(60))
    await nc.close()
