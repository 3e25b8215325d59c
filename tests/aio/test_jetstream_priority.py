"""Pull consumer priority groups (ADR-42): pinned client, overflow, prioritized."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import natskit.aio
from natskit._io_async import monotonic, sleep
from natskit.testing import NatsCluster, NatsServer

PIN = "Nats-Pin-Id"


@pytest.fixture
async def js(nc: natskit.aio.Connection) -> natskit.aio.JetStream:
    js = nc.jetstream(timeout=2)
    await js.add_stream("S", subjects=["s.>"])
    return js


@pytest.fixture
async def js2(jetstream_server: NatsServer) -> AsyncIterator[natskit.aio.JetStream]:
    """A second client of the same server."""
    conn = await natskit.aio.connect(jetstream_server.url)
    yield conn.jetstream(timeout=2)
    await conn.close()


async def publish(js: natskit.aio.JetStream, start: int, stop: int) -> None:
    for i in range(start, stop):
        await js.publish("s.x", str(i))


async def waiting(js: natskit.aio.JetStream, name: str, count: int) -> None:
    """Wait until the server holds ``count`` pulls of consumer S/``name``: a pull is
    a plain publish, and no event tells when the server has taken it."""
    deadline = monotonic() + 5
    while (await js.consumer_info("S", name)).num_waiting < count:
        assert monotonic() < deadline, "the pulls never reached the server"
        await sleep(0.01)


async def pinned(js: natskit.aio.JetStream, name: str) -> str | None:
    groups = (await js.consumer_info("S", name)).priority_groups
    assert [g.group for g in groups] == ["g"]
    return groups[0].pinned_client_id


async def test_a_pull_without_group_on_a_consumer_with_groups_is_a_clear_error(
    js: natskit.aio.JetStream,
) -> None:
    await js.add_pull_consumer("S", "P", priority_groups=["g"], priority_policy="overflow")
    await publish(js, 0, 1)
    with pytest.raises(natskit.InvalidArgError, match="has priority groups: pass group="):
        await js.fetch("S", "P", 1, timeout=1)
    with pytest.raises(natskit.InvalidArgError, match="group is not one of"):
        await js.next("S", "P", timeout=1, group="other")
    ctx = await js.consume("S", "P")
    with pytest.raises(natskit.InvalidArgError, match="pass group="):
        await ctx.next_msg(timeout=2)
    assert not ctx.is_active
    assert isinstance(ctx.last_error, natskit.InvalidArgError)
    msg = await js.next("S", "P", timeout=2, group="g")
    assert msg.data == b"0"


async def test_bad_priority_arguments_send_nothing(js: natskit.aio.JetStream) -> None:
    await js.add_pull_consumer("S", "P", priority_groups=["g"], priority_policy="prioritized")
    sent = js.connection.stats.out_msgs
    with pytest.raises(natskit.InvalidArgError, match="priority must be"):
        await js.fetch("S", "P", 1, group="g", priority=10)
    with pytest.raises(natskit.InvalidArgError, match="group is required"):
        await js.next("S", "P", min_pending=3)
    with pytest.raises(natskit.InvalidArgError, match="group must be"):
        await js.consume("S", "P", group="no spaces")
    with pytest.raises(natskit.InvalidArgError, match="min_ack_pending"):
        await js.consume("S", "P", group="g", min_ack_pending=-1)
    assert js.connection.stats.out_msgs == sent


async def test_fetch_keeps_the_pin_and_unpin_moves_it(
    js: natskit.aio.JetStream, js2: natskit.aio.JetStream
) -> None:
    await js.add_pull_consumer(
        "S", "P", priority_groups=["g"], priority_policy="pinned_client", priority_timeout=30
    )
    await publish(js, 0, 3)
    [first] = await js.fetch("S", "P", 1, timeout=2, group="g")
    pin = first.headers.get(PIN)
    assert pin and await pinned(js, "P") == pin
    await first.ack_sync()
    # the other client waits while the first holds the pin ...
    assert await js2.fetch("S", "P", 1, timeout=0.3, group="g") == []
    # ... which the first sends again with each pull and so keeps
    second = await js.next("S", "P", timeout=2, group="g")
    assert second.data == b"1" and second.headers.get(PIN) == pin
    await second.ack_sync()

    await js.unpin_consumer("S", "P", "g")
    [third] = await js2.fetch("S", "P", 1, timeout=2, group="g")
    assert third.data == b"2"
    new_pin = third.headers.get(PIN)
    assert new_pin and new_pin != pin and await pinned(js, "P") == new_pin
    await third.ack_sync()
    # the first client's pin is stale now: 423, forgotten, pulled again without it
    await publish(js, 3, 4)
    assert await js.fetch("S", "P", 1, timeout=0.3, group="g") == []
    [fourth] = await js2.fetch("S", "P", 1, timeout=2, group="g")
    assert fourth.data == b"3"


async def test_consume_pinned_client_unpinned_the_other_takes_over(
    js: natskit.aio.JetStream, js2: natskit.aio.JetStream
) -> None:
    await js.add_pull_consumer(
        "S", "P", priority_groups=["g"], priority_policy="pinned_client", priority_timeout=30
    )
    a = await js.consume("S", "P", group="g", max_messages=10)
    await waiting(js, "P", 1)
    b = await js2.consume("S", "P", group="g", max_messages=10)
    await waiting(js, "P", 2)
    assert a.pin_id is None and b.pin_id is None
    await publish(js, 0, 3)
    for i in range(3):
        msg = await a.next_msg(timeout=2)  # the first pull waiting gets the pin
        assert msg.data == str(i).encode()
        await msg.ack_sync()
    old = a.pin_id
    assert old is not None and await pinned(js, "P") == old and b.pin_id is None

    await js.unpin_consumer("S", "P", "g")
    await publish(js, 3, 6)
    for i in range(3, 6):
        msg = await b.next_msg(timeout=2)
        assert msg.data == str(i).encode()
        await msg.ack_sync()
    assert b.pin_id is not None and b.pin_id != old and await pinned(js, "P") == b.pin_id
    deadline = monotonic() + 5  # the 423 reaches the other client on its own connection
    while a.pin_id is not None:
        assert monotonic() < deadline, "the stale pin id was kept"
        await sleep(0.01)
    assert a.is_active and a.last_error is None
    await a.stop()
    await b.stop()


async def test_consume_pinned_client_stops_the_other_takes_over(
    js: natskit.aio.JetStream, js2: natskit.aio.JetStream
) -> None:
    await js.add_pull_consumer(
        "S", "P", priority_groups=["g"], priority_policy="pinned_client", priority_timeout=1
    )
    a = await js.consume("S", "P", group="g")
    await waiting(js, "P", 1)
    b = await js2.consume("S", "P", group="g")
    await waiting(js, "P", 2)
    await publish(js, 0, 1)
    msg = await a.next_msg(timeout=2)
    await msg.ack_sync()
    assert a.pin_id is not None
    await a.stop()
    await publish(js, 1, 3)
    # once the pin's priority_timeout passed without a pull from it, b is pinned
    for i in range(1, 3):
        msg = await b.next_msg(timeout=5)
        assert msg.data == str(i).encode()
        await msg.ack_sync()
    assert b.pin_id is not None and b.pin_id != a.pin_id
    await b.stop()


async def test_overflow_serves_a_pull_only_above_min_pending(js: natskit.aio.JetStream) -> None:
    await js.add_pull_consumer("S", "O", priority_groups=["g"], priority_policy="overflow")
    await publish(js, 0, 3)
    assert await js.fetch("S", "O", 1, timeout=0.3, group="g", min_pending=5) == []
    await publish(js, 3, 6)
    [msg] = await js.fetch("S", "O", 1, timeout=2, group="g", min_pending=5)
    assert msg.data == b"0"
    await msg.ack_sync()
    # without a limit the group is served at once
    [msg] = await js.fetch("S", "O", 1, timeout=2, group="g")
    assert msg.data == b"1"
    await msg.ack_sync()
    # min_ack_pending: 1 unacked message is not enough for 2
    [held] = await js.fetch("S", "O", 1, timeout=2, group="g")
    ctx = await js.consume("S", "O", group="g", min_ack_pending=2)
    await waiting(js, "O", 1)
    with pytest.raises(natskit.TimeoutError):
        await ctx.next_msg(timeout=0.3)
    [other] = await js.fetch("S", "O", 1, timeout=2, group="g")  # now 2 wait for an ack
    assert (await ctx.next_msg(timeout=2)).data == b"4"
    await ctx.stop()
    await held.ack_sync()
    await other.ack_sync()


async def test_prioritized_serves_the_lowest_priority_first(js: natskit.aio.JetStream) -> None:
    await js.add_pull_consumer("S", "R", priority_groups=["g"], priority_policy="prioritized")
    low = await js.consume("S", "R", group="g", priority=1)
    await waiting(js, "R", 1)
    high = await js.consume("S", "R", group="g", priority=0)
    await waiting(js, "R", 2)
    await publish(js, 0, 3)
    for i in range(3):
        msg = await high.next_msg(timeout=2)
        assert msg.data == str(i).encode()
        await msg.ack()
    with pytest.raises(natskit.TimeoutError):
        await low.next_msg(timeout=0.3)
    await high.stop()
    await publish(js, 3, 4)
    assert (await low.next_msg(timeout=2)).data == b"3"  # served once alone
    await low.stop()


async def test_pinned_client_on_a_replicated_consumer_of_a_cluster(
    nats_cluster: NatsCluster,
) -> None:
    """Two pullers on different nodes of a 3-node cluster share one R3 pinned
    consumer: the first is pinned, and after unpin_consumer the other takes over."""
    one = await natskit.aio.connect(nats_cluster.urls[0])
    two = await natskit.aio.connect(nats_cluster.urls[1])
    js, js2 = one.jetstream(timeout=5), two.jetstream(timeout=5)
    await js.add_stream("S", subjects=["s.>"], num_replicas=3)
    await js.add_pull_consumer(
        "S",
        "P",
        priority_groups=["g"],
        priority_policy="pinned_client",
        priority_timeout=30,
        num_replicas=3,
    )
    a = await js.consume("S", "P", group="g", max_messages=10)
    await waiting(js, "P", 1)
    b = await js2.consume("S", "P", group="g", max_messages=10)
    await waiting(js, "P", 2)
    await publish(js, 0, 2)
    for i in range(2):
        msg = await a.next_msg(timeout=5)
        assert msg.data == str(i).encode()
        await msg.ack_sync()
    old = a.pin_id
    assert old is not None and await pinned(js, "P") == old

    await js.unpin_consumer("S", "P", "g")
    await publish(js, 2, 4)
    for i in range(2, 4):
        msg = await b.next_msg(timeout=5)
        assert msg.data == str(i).encode()
        await msg.ack_sync()
    assert b.pin_id not in (None, old)
    await a.stop()
    await b.stop()
    await one.close()
    await two.close()
