"""Publish and subscribe against a real nats-server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import natskit  # unasync: remove
import natskit.aio
from natskit._io_async import Event
from natskit.testing import NatsServer


@pytest.fixture
async def nc(nats_server: NatsServer) -> AsyncIterator[natskit.aio.Connection]:
    conn = await natskit.aio.connect(nats_server.url)
    yield conn
    await conn.close()


async def test_publish_subscribe_iteration(nc: natskit.aio.Connection) -> None:
    sub = await nc.subscribe("greet.*")
    await nc.publish("greet.joe", b"hello")
    await nc.publish("greet.ann", "héllo")  # str goes out as UTF-8
    first = await sub.next_msg(timeout=2)
    second = await sub.next_msg(timeout=2)
    assert (first.subject, first.data) == ("greet.joe", b"hello")
    assert second.text == "héllo"
    assert second.data == "héllo".encode()
    assert sub.delivered == 2
    assert sub.pending_msgs == 0


async def test_a_received_message_is_a_natskit_msg(nc: natskit.aio.Connection) -> None:
    """``natskit.Msg`` is the shared message type of both APIs (docs/architecture.md)."""

    def subject_of(msg: natskit.Msg) -> str:  # a hint written against the shared type
        return msg.subject

    sub = await nc.subscribe("shared")
    await nc.publish("shared", b"x")
    msg = await sub.next_msg(timeout=2)
    assert isinstance(msg, natskit.Msg)
    assert isinstance(msg, natskit.aio.Msg)
    assert isinstance(natskit.aio.Msg("made.here"), natskit.Msg)
    assert subject_of(msg) == "shared"
    assert not hasattr(msg, "__dict__")  # still slotted: no per-message dict


async def test_iteration_raises_when_the_connection_is_lost_for_good(
    nats_server: NatsServer,
) -> None:
    """A worker loop does not just stop: only the user's own close() ends it quietly."""
    nc = await natskit.aio.connect(nats_server.url, allow_reconnect=False)
    sub = await nc.subscribe("work")
    await nc.publish("work", b"1")
    await nc.flush()
    nats_server.stop()
    got = []
    with pytest.raises(natskit.ConnectionClosedError) as info:
        async for msg in sub:
            got.append(msg.data)
    assert got == [b"1"]
    assert isinstance(info.value.__cause__, natskit.BrokenSocketError)
    with pytest.raises(natskit.ConnectionClosedError):
        await sub.next_msg(timeout=1)
    nats_server.start()
    nc = await natskit.aio.connect(nats_server.url)
    sub = await nc.subscribe("work")
    await nc.close()
    assert [msg async for msg in sub] == []


async def test_binary_payload_round_trip(nc: natskit.aio.Connection) -> None:
    payload = bytes(range(256)) * 40 + b"\r\nMSG x 1 2\r\n"
    sub = await nc.subscribe("bin")
    await nc.publish("bin", payload)
    msg = await sub.next_msg(timeout=2)
    assert msg.data == payload
    assert msg.size == len(payload)


async def test_empty_payload(nc: natskit.aio.Connection) -> None:
    sub = await nc.subscribe("empty")
    await nc.publish("empty")
    msg = await sub.next_msg(timeout=2)
    assert msg.data == b""


async def test_callback_subscription(nc: natskit.aio.Connection) -> None:
    got: list[bytes] = []
    done = Event()

    def on_msg(msg: natskit.aio.Msg) -> None:
        got.append(msg.data)
        if len(got) == 3:
            done.set()

    await nc.subscribe("cb", callback=on_msg)
    for i in range(3):
        await nc.publish("cb", str(i))
    assert await done.wait(5)
    assert got == [b"0", b"1", b"2"]


async def test_async_iteration_ends_after_max_msgs(nc: natskit.aio.Connection) -> None:
    sub = await nc.subscribe("it", max_msgs=3)
    for i in range(5):
        await nc.publish("it", str(i))
    got = [msg.data async for msg in sub]
    assert got == [b"0", b"1", b"2"]
    assert not sub.is_active
    with pytest.raises(natskit.BadSubscriptionError):
        await sub.next_msg(timeout=0.1)


async def test_next_msg_timeout(nc: natskit.aio.Connection) -> None:
    sub = await nc.subscribe("quiet")
    with pytest.raises(natskit.TimeoutError) as info:
        await sub.next_msg(timeout=0.05)
    assert isinstance(info.value, TimeoutError)
    assert info.value.code == "ErrTimeout"


async def test_next_msg_on_callback_subscription_is_an_error(nc: natskit.aio.Connection) -> None:
    sub = await nc.subscribe("cb2", callback=lambda m: None)
    with pytest.raises(natskit.BadSubscriptionError):
        await sub.next_msg(timeout=0.1)


async def test_unsubscribe_stops_delivery(nc: natskit.aio.Connection) -> None:
    sub = await nc.subscribe("u")
    await nc.publish("u", b"1")
    assert (await sub.next_msg(timeout=2)).data == b"1"
    await sub.unsubscribe()
    await nc.publish("u", b"2")
    await nc.flush()
    with pytest.raises(natskit.BadSubscriptionError):
        await sub.next_msg(timeout=0.1)
    with pytest.raises(natskit.BadSubscriptionError):
        await sub.unsubscribe()


async def test_unsubscribe_max_msgs_counts_already_delivered(nc: natskit.aio.Connection) -> None:
    """Tcl rule: max_msgs counts every message received on the sid."""
    sub = await nc.subscribe("m")
    for i in range(3):
        await nc.publish("m", str(i))
    await nc.flush()
    for _ in range(3):
        await sub.next_msg(timeout=2)
    await sub.unsubscribe(max_msgs=3)  # already 3: unsubscribed at once
    assert not sub.is_active

    sub2 = await nc.subscribe("m2")
    await nc.publish("m2", b"a")
    await sub2.next_msg(timeout=2)
    await sub2.unsubscribe(max_msgs=3)  # two more to go
    for i in range(5):
        await nc.publish("m2", str(i))
    got = [msg.data async for msg in sub2]
    assert got == [b"0", b"1"]
    assert sub2.delivered == 3


async def test_subscribe_max_msgs_with_callback(nc: natskit.aio.Connection) -> None:
    got: list[bytes] = []
    done = Event()

    def on_msg(msg: natskit.aio.Msg) -> None:
        got.append(msg.data)
        if len(got) == 2:
            done.set()

    sub = await nc.subscribe("mm", callback=on_msg, max_msgs=2)
    for i in range(4):
        await nc.publish("mm", str(i))
    await nc.flush()
    assert await done.wait(5)
    await nc.flush()
    assert got == [b"0", b"1"]
    assert not sub.is_active


async def test_queue_group_delivers_each_message_once(
    nc: natskit.aio.Connection, nats_server: NatsServer
) -> None:
    other = await natskit.aio.connect(nats_server.url)
    try:
        a = await nc.subscribe("work", queue="workers")
        b = await other.subscribe("work", queue="workers")
        await other.flush()
        for i in range(50):
            await nc.publish("work", str(i))
        await nc.flush()  # the server has routed all 50 ...
        await other.flush()  # ... and both connections have read what it sent them
        got: list[bytes] = []
        for sub in (a, b):
            got += [(await sub.next_msg(timeout=1)).data for _ in range(sub.pending_msgs)]
            assert sub.pending_msgs == 0
        assert sorted(got, key=int) == [str(i).encode() for i in range(50)]
    finally:
        await other.close()


async def test_headers_round_trip(nc: natskit.aio.Connection) -> None:
    sub = await nc.subscribe("h")
    headers = natskit.Headers()
    headers.add("X-Trace", "1")
    headers.add("X-Trace", "2")
    headers["lower-case"] = "kept"
    await nc.publish("h", b"body", headers=headers)
    await nc.publish("h", b"body2", headers={"A": "b", "Multi": ["x", "y"]})
    msg = await sub.next_msg(timeout=2)
    assert msg.headers.get_all("X-Trace") == ["1", "2"]
    assert msg.headers["lower-case"] == "kept"
    assert "Lower-Case" not in msg.headers
    assert msg.data == b"body"
    msg2 = await sub.next_msg(timeout=2)
    assert msg2.headers.get_all("Multi") == ["x", "y"]


async def test_publish_msg_with_reply_and_headers(nc: natskit.aio.Connection) -> None:
    sub = await nc.subscribe("pm")
    out = natskit.aio.Msg("pm", b"data", reply="answer.here", headers={"K": "v"})
    await nc.publish_msg(out)
    got = await sub.next_msg(timeout=2)
    assert got.reply == "answer.here"
    assert got.headers["K"] == "v"
    assert got == out


async def test_bad_subjects_raise_and_send_nothing(nc: natskit.aio.Connection) -> None:
    for bad in ["", "a b", "a..b", ".a", "a.", "a\r\nPUB x 1", "a\tb"]:
        with pytest.raises(natskit.BadSubjectError):
            await nc.publish(bad, b"x")
    for bad in ["a.*", "a.>", ">"]:
        with pytest.raises(natskit.BadSubjectError):
            await nc.publish(bad, b"x")
    with pytest.raises(natskit.BadSubjectError):
        await nc.subscribe("a.>.b")
    with pytest.raises(natskit.BadQueueNameError):
        await nc.subscribe("a", queue="bad queue")
    with pytest.raises(natskit.BadSubjectError):
        await nc.publish("ok", b"x", reply="bad reply")
    # the connection is still healthy
    sub = await nc.subscribe("ok.*")
    await nc.publish("ok.1", b"fine")
    assert (await sub.next_msg(timeout=2)).data == b"fine"
    assert nc.last_error is None


async def test_bad_headers_raise_and_send_nothing(nc: natskit.aio.Connection) -> None:
    with pytest.raises(natskit.InvalidArgError):
        await nc.publish("h", b"", headers={"Bad\r\nKey": "v"})
    with pytest.raises(natskit.InvalidArgError):
        await nc.publish("h", b"", headers={"K": "v\r\nPUB evil 0"})
    await nc.flush()
    assert nc.last_error is None


async def test_max_payload_raises_and_connection_stays(nc: natskit.aio.Connection) -> None:
    limit = nc.max_payload
    sub = await nc.subscribe("big")
    with pytest.raises(natskit.MaxPayloadError):
        await nc.publish("big", b"x" * (limit + 1))
    with pytest.raises(natskit.MaxPayloadError):
        await nc.publish("big", b"x" * (limit - 5), headers={"Key": "value"})
    await nc.publish("big", b"x" * limit)
    assert (await sub.next_msg(timeout=5)).size == limit
    assert nc.is_connected


async def test_large_messages_keep_their_place(nc: natskit.aio.Connection) -> None:
    """Messages of 256 KiB and more (written to the socket as they are) arrive in
    order among small ones, whole."""
    sub = await nc.subscribe("mix")
    sizes = [10, 300_000, 20, 30, 1_000_000, 5, 262_144, 40]
    for i, size in enumerate(sizes):
        await nc.publish("mix", bytes([i]) * size)
    for i, size in enumerate(sizes):
        msg = await sub.next_msg(timeout=5)
        assert msg.data == bytes([i]) * size


async def test_subscription_drain_delivers_pending(nc: natskit.aio.Connection) -> None:
    got: list[bytes] = []
    sub = await nc.subscribe("d", callback=lambda m: got.append(m.data))
    for i in range(100):
        await nc.publish("d", str(i))
    await sub.drain(timeout=5)
    assert len(got) == 100
    assert not sub.is_active


async def test_connection_drain_closes(nats_server: NatsServer) -> None:
    nc = await natskit.aio.connect(nats_server.url)
    got: list[bytes] = []
    await nc.subscribe("cd", callback=lambda m: got.append(m.data))
    for i in range(50):
        await nc.publish("cd", str(i))
    await nc.drain()
    assert nc.status is natskit.Status.CLOSED
    assert len(got) == 50


async def test_slow_consumer_drops_and_reports_once(nats_server: NatsServer) -> None:
    errors: list[Exception] = []
    reported = Event()

    def on_error(err: Exception) -> None:
        errors.append(err)
        reported.set()

    nc = await natskit.aio.connect(nats_server.url, error_cb=on_error)
    try:
        sub = await nc.subscribe("slow", pending_msgs_limit=10)
        for i in range(30):
            await nc.publish("slow", str(i))
        await nc.flush()
        assert await reported.wait(5)
        assert sub.dropped == 20
        assert sub.pending_msgs == 10
        slow = [e for e in errors if isinstance(e, natskit.SlowConsumerError)]
        assert len(slow) == 1
        assert slow[0].sid == sub.sid
        got = [(await sub.next_msg(timeout=1)).data for _ in range(10)]
        assert got == [str(i).encode() for i in range(10)]
        # publishing was unaffected
        await nc.publish("slow", b"after")
        assert (await sub.next_msg(timeout=2)).data == b"after"
    finally:
        await nc.close()


async def test_the_message_in_a_callback_is_not_pending(nats_server: NatsServer) -> None:
    """``pending_msgs_limit=10`` keeps 10 messages beyond the one a callback is
    handling (as nats.py counts); the 12th is dropped and reported, once."""
    errors: list[Exception] = []
    reported = Event()

    def on_error(err: Exception) -> None:
        errors.append(err)
        reported.set()

    entered, release = Event(), Event()
    got: list[bytes] = []

    async def handle(msg: natskit.aio.Msg) -> None:
        got.append(msg.data)
        if msg.data == b"0":
            entered.set()
            assert await release.wait(10)

    nc = await natskit.aio.connect(nats_server.url, error_cb=on_error)
    try:
        sub = await nc.subscribe("held", callback=handle, pending_msgs_limit=10)
        await nc.publish("held", b"0")
        assert await entered.wait(5)
        assert (sub.pending_msgs, sub.pending_bytes) == (0, 0)
        for i in range(1, 11):
            await nc.publish("held", str(i))
        await nc.flush()  # all of them have arrived
        assert (sub.pending_msgs, sub.dropped) == (10, 0)
        assert not reported.is_set()
        await nc.publish("held", b"11")
        await nc.publish("held", b"12")
        await nc.flush()
        assert (sub.pending_msgs, sub.pending_bytes, sub.dropped) == (10, 11, 2)
        assert await reported.wait(5)
        release.set()
        await sub.drain(timeout=5)
        assert got == [str(i).encode() for i in range(11)]
        assert [type(e) for e in errors] == [natskit.SlowConsumerError]  # once
    finally:
        release.set()
        await nc.close()


async def test_no_pending_limit(nats_server: NatsServer) -> None:
    """-1 is no limit (as in nats.go), on the connection and per subscription."""
    nc = await natskit.aio.connect(nats_server.url, pending_msgs_limit=-1, pending_bytes_limit=-1)
    try:
        sub = await nc.subscribe("many")
        capped = await nc.subscribe("many", pending_bytes_limit=-1, pending_msgs_limit=5)
        for _ in range(1000):
            await nc.publish("many", b"x" * 100)
        await nc.flush()
        assert (sub.pending_msgs, sub.dropped) == (1000, 0)
        assert (capped.pending_msgs, capped.dropped) == (5, 995)
        for bad in (0, -2, 1.5, True):
            with pytest.raises(natskit.InvalidArgError):
                await nc.subscribe("many", pending_msgs_limit=bad)  # type: ignore[arg-type]
    finally:
        await nc.close()


async def test_a_message_next_msg_returned_is_no_longer_pending(
    nc: natskit.aio.Connection,
) -> None:
    sub = await nc.subscribe("taken", pending_msgs_limit=10)
    for i in range(10):
        await nc.publish("taken", str(i))
    await nc.flush()
    assert (await sub.next_msg(timeout=2)).data == b"0"
    assert (sub.pending_msgs, sub.pending_bytes) == (9, 9)
    await nc.publish("taken", b"10")
    await nc.publish("taken", b"11")
    await nc.flush()
    assert (sub.pending_msgs, sub.dropped) == (10, 1)
    got = [(await sub.next_msg(timeout=2)).data for _ in range(10)]
    assert got == [str(i).encode() for i in range(1, 11)]


async def test_subscription_drain_waits_for_the_running_callback(
    nc: natskit.aio.Connection,
) -> None:
    """The message in the callback is not pending, but drain() returns only
    once the callback did."""
    entered, release = Event(), Event()
    done: list[bytes] = []

    async def handle(msg: natskit.aio.Msg) -> None:
        entered.set()
        assert await release.wait(10)
        done.append(msg.data)

    sub = await nc.subscribe("dr.held", callback=handle)
    await nc.publish("dr.held", b"x")
    assert await entered.wait(5)
    try:
        with pytest.raises(natskit.TimeoutError):
            await sub.drain(timeout=0.2)  # the callback still holds its message
    finally:
        release.set()
    await sub.drain(timeout=5)
    assert done == [b"x"]
    assert sub.pending_msgs == 0


async def test_slow_consumer_bytes_limit(nc: natskit.aio.Connection) -> None:
    sub = await nc.subscribe("slowb", pending_bytes_limit=100)
    for _ in range(5):
        await nc.publish("slowb", b"x" * 40)
    await nc.flush()
    assert sub.pending_bytes == 80
    assert sub.dropped == 3


async def test_pending_bytes_stay_exact_when_a_callback_replaces_msg_data(
    nc: natskit.aio.Connection,
) -> None:
    """A message leaves ``pending_bytes`` with the size it arrived with: a
    callback that replaces ``msg.data`` does not skew the count (it drifted by
    the difference for good, until every message was dropped)."""
    handled: list[int] = []

    def shrink(msg: natskit.aio.Msg) -> None:
        handled.append(len(msg.data))
        msg.data = b""

    sub = await nc.subscribe("shrink", callback=shrink)
    for _ in range(3):
        await nc.publish("shrink", b"x" * 100)
    await sub.drain(timeout=5)  # returns once every callback has returned
    assert handled == [100, 100, 100]
    assert (sub.pending_msgs, sub.pending_bytes, sub.dropped) == (0, 0, 0)


async def test_many_messages_in_order(nc: natskit.aio.Connection) -> None:
    sub = await nc.subscribe("many")
    for i in range(5000):
        await nc.publish("many", i.to_bytes(4, "big"))
    for i in range(5000):
        msg = await sub.next_msg(timeout=5)
        assert int.from_bytes(msg.data, "big") == i
