"""Ordered consumers (ADR-17): in order, no gaps, no duplicates, across resets."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest

import natskit.aio
from natskit._io_async import Event, monotonic, sleep
from natskit.testing import NatsServer

if TYPE_CHECKING:
    from tests.aio.conftest import Reconnected


@pytest.fixture
async def js(nc: natskit.aio.Connection) -> natskit.aio.JetStream:
    js = nc.jetstream(timeout=2)
    await js.add_stream("S", subjects=["s.>"])
    return js


async def publish(js: natskit.aio.JetStream, start: int, stop: int, subject: str = "s.x") -> None:
    for i in range(start, stop):
        await js.publish(subject, str(i))


async def take(oc: natskit.aio.OrderedConsumer, count: int) -> list[int]:
    return [int((await oc.next_msg(timeout=5)).data) for _ in range(count)]


async def test_iterate_in_order(js: natskit.aio.JetStream) -> None:
    await publish(js, 0, 10)
    oc = await js.ordered_consumer("S", idle_heartbeat=0.5)
    assert await take(oc, 10) == list(range(10))
    info = oc.info()
    assert isinstance(info, natskit.ConsumerInfo) and oc.name == info.name
    assert info.config.ack_policy == "none" and info.config.flow_control
    assert info.config.mem_storage and info.config.deliver_subject
    assert oc.last_error is None
    await publish(js, 10, 12)
    assert await take(oc, 2) == [10, 11]
    await oc.close()
    assert [m async for m in oc] == []
    with pytest.raises(natskit.BadSubscriptionError):
        await oc.next_msg(timeout=1)
    await oc.close()


async def test_callback_and_options(js: natskit.aio.JetStream) -> None:
    await publish(js, 0, 5, "s.a")
    await publish(js, 5, 10, "s.b")
    got: list[int] = []
    done = Event()

    def on_msg(msg: natskit.aio.Msg) -> None:
        got.append(int(msg.data))
        if len(got) == 7:
            done.set()

    oc = await js.ordered_consumer(
        "S", on_msg, filter_subject="s.b", deliver_policy="last", description="test"
    )
    await publish(js, 10, 16, "s.b")
    assert await done.wait(5)
    assert got == [9, 10, 11, 12, 13, 14, 15]
    with pytest.raises(natskit.BadSubscriptionError):
        await oc.next_msg()
    await oc.close()
    with pytest.raises(natskit.InvalidArgError):
        await js.ordered_consumer("S", durable_name="D")
    with pytest.raises(natskit.StreamNotFoundError):
        await js.ordered_consumer("NOPE")


async def test_a_gap_resets_without_loss_or_duplicates(js: natskit.aio.JetStream) -> None:
    await publish(js, 0, 3)
    oc = await js.ordered_consumer("S", idle_heartbeat=0.5)
    assert await take(oc, 3) == [0, 1, 2]
    first = oc.name
    # A message whose consumer sequence skips one, as if one had been dropped.
    reply = f"$JS.ACK.S.{first}.1.5.5.1700000000000000000.0"
    await oc._on_msg(oc._gen, natskit.aio.Msg("s.x", b"999", reply))
    assert isinstance(oc.last_error, natskit.ConsumerSequenceMismatchError)
    await publish(js, 3, 10)
    msgs = [await oc.next_msg(timeout=5) for _ in range(7)]
    assert [int(m.data) for m in msgs] == list(range(3, 10))
    assert {m.metadata.consumer for m in msgs} != {first}
    assert msgs[-1].metadata.consumer_seq < 10  # a new consumer, started at stream seq 4
    with pytest.raises(natskit.TimeoutError):
        await oc.next_msg(timeout=0.2)
    await oc.close()


async def test_server_restart_recreates_the_consumer(
    js: natskit.aio.JetStream, jetstream_server: NatsServer, reconnected: Reconnected
) -> None:
    oc = await js.ordered_consumer("S", idle_heartbeat=0.2)
    await publish(js, 0, 3)
    assert await take(oc, 3) == [0, 1, 2]
    jetstream_server.restart()  # the memory-stored consumer is gone, the stream is not
    assert await reconnected.wait(10)
    await publish(js, 3, 6)
    assert await take(oc, 3) == [3, 4, 5]
    assert isinstance(oc.last_error, natskit.ConsumerNotActiveError)
    await oc.close()


async def test_a_lost_server_is_reported_while_disconnected(
    js: natskit.aio.JetStream,
    nc: natskit.aio.Connection,
    jetstream_server: NatsServer,
    reconnected: Reconnected,
) -> None:
    heartbeat = 0.2
    oc = await js.ordered_consumer("S", idle_heartbeat=heartbeat)
    await publish(js, 0, 3)
    first = [await oc.next_msg(timeout=5) for _ in range(3)]
    assert [int(m.data) for m in first] == [0, 1, 2]
    jetstream_server.stop()  # and it stays away: the client keeps reconnecting
    stopped = monotonic()
    while not isinstance(oc.last_error, natskit.ConsumerNotActiveError):
        assert monotonic() < stopped + 5, f"no missed heartbeats reported: {oc.last_error!r}"
        await sleep(0.01)
    assert nc.status is natskit.Status.RECONNECTING
    assert monotonic() - stopped < 10 * heartbeat  # three intervals, give or take
    assert oc.name == ""  # replaced once the connection is back
    jetstream_server.start()  # the stream is stored, the memory-stored consumer is gone
    assert await reconnected.wait(10)
    await publish(js, 3, 6)
    msgs = [await oc.next_msg(timeout=5) for _ in range(3)]
    assert [int(m.data) for m in msgs] == [3, 4, 5]
    assert {m.metadata.consumer for m in msgs} == {oc.name} != {first[0].metadata.consumer}
    assert [m.metadata.consumer_seq for m in msgs] == [1, 2, 3]  # started at stream seq 4
    with pytest.raises(natskit.TimeoutError):
        await oc.next_msg(timeout=5 * heartbeat)
    await oc.close()


async def test_a_quick_reconnect_keeps_the_consumer(
    js: natskit.aio.JetStream, nc: natskit.aio.Connection, reconnected: Reconnected
) -> None:
    heartbeat = 0.2
    oc = await js.ordered_consumer("S", idle_heartbeat=heartbeat)
    await publish(js, 0, 3)
    assert await take(oc, 3) == [0, 1, 2]
    name = oc.name
    # A network failure under the client: the server keeps the consumer (for
    # inactive_threshold) and resumes delivering once the client resubscribed.
    sock = nc._transport._proto.transport.get_extra_info("socket")  # unasync: remove
    # unasync: sync: sock = nc._transport._sock
    sock.shutdown(socket.SHUT_RDWR)
    assert await reconnected.wait(10)
    await publish(js, 3, 6)
    msgs = [await oc.next_msg(timeout=5) for _ in range(3)]
    assert [int(m.data) for m in msgs] == [3, 4, 5]
    assert [m.metadata.consumer_seq for m in msgs] == [4, 5, 6]
    with pytest.raises(natskit.TimeoutError):  # heartbeats only, for five intervals
        await oc.next_msg(timeout=5 * heartbeat)
    await publish(js, 6, 7)
    msg = await oc.next_msg(timeout=5)
    assert (int(msg.data), msg.metadata.consumer_seq) == (6, 7)
    assert {m.metadata.consumer for m in [*msgs, msg]} == {oc.name} == {name}
    assert oc.last_error is None
    await oc.close()


async def test_deleted_stream_stops_it(js: natskit.aio.JetStream) -> None:
    oc = await js.ordered_consumer("S", idle_heartbeat=0.2)
    await publish(js, 0, 1)
    assert await take(oc, 1) == [0]
    await js.delete_stream("S")
    with pytest.raises(natskit.StreamNotFoundError):
        await oc.next_msg(timeout=5)
    assert isinstance(oc.last_error, natskit.StreamNotFoundError)
    await oc.close()


async def test_closed_connection_ends_iteration(
    js: natskit.aio.JetStream, nc: natskit.aio.Connection
) -> None:
    oc = await js.ordered_consumer("S", idle_heartbeat=0.2)
    await nc.close()
    assert [m async for m in oc] == []
    assert isinstance(oc.last_error, natskit.ConnectionClosedError)
