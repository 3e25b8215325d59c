"""fetch, next, acks and message metadata on pull consumers."""

from __future__ import annotations

from collections.abc import (
    Awaitable,  # unasync: remove
    Callable,
)

import pytest

import natskit.aio
from natskit._io_async import Task, monotonic, sleep, spawn
from natskit.testing import NatsServer


@pytest.fixture
async def js(nc: natskit.aio.Connection) -> natskit.aio.JetStream:
    js = nc.jetstream(timeout=2)
    await js.add_stream("S", subjects=["s.>"], storage="memory")
    await js.add_pull_consumer("S", "C", ack_wait=30)
    return js


async def publish(js: natskit.aio.JetStream, count: int, subject: str = "s.x") -> None:
    for i in range(count):
        await js.publish(subject, str(i))


async def pull_waiting(js: natskit.aio.JetStream, timeout: float = 5.0) -> None:
    """Wait until the server holds a pull request of consumer S/C.

    A pull request is a plain publish, which the server takes over asynchronously:
    no event tells when it has it, so poll ``num_waiting``."""
    deadline = monotonic() + timeout
    while (await js.consumer_info("S", "C")).num_waiting == 0:
        assert monotonic() < deadline, "the pull request never reached the server"
        await sleep(0.01)


def when_pulled(
    js: natskit.aio.JetStream,
    action: Callable[[], Awaitable[object]],  # unasync: sync: action: Callable[[], object],
) -> Task:
    """Run ``action()`` (awaited in asyncio) as soon as the server holds a pull request;
    join the returned task to see its errors."""

    async def run() -> None:
        await pull_waiting(js)
        await action()

    return spawn(run, name="when-pulled")


async def test_fetch_without_timeout_takes_what_is_there(js: natskit.aio.JetStream) -> None:
    assert await js.fetch("S", "C", 5) == []
    await publish(js, 3)
    msgs = await js.fetch("S", "C", 5)
    assert [m.data for m in msgs] == [b"0", b"1", b"2"]
    assert all(isinstance(m, natskit.aio.Msg) for m in msgs)


async def test_fetch_batch_limits_and_default(js: natskit.aio.JetStream) -> None:
    await publish(js, 5)
    assert len(await js.fetch("S", "C")) == 1
    assert len(await js.fetch("S", "C", 3, timeout=1)) == 3


async def test_fetch_with_timeout_waits_then_returns_partial(js: natskit.aio.JetStream) -> None:
    await publish(js, 2)
    start = monotonic()
    msgs = await js.fetch("S", "C", 10, timeout=0.3)
    assert len(msgs) == 2
    assert 0.2 < monotonic() - start < 1.0  # the server ended the pull (408) first


async def test_fetch_waits_for_new_messages(js: natskit.aio.JetStream) -> None:
    publisher = when_pulled(js, lambda: js.publish("s.late", b"late"))
    msgs = await js.fetch("S", "C", 1, timeout=2)
    assert [m.data for m in msgs] == [b"late"]
    await publisher.join()


async def test_fetch_options(js: natskit.aio.JetStream) -> None:
    await publish(js, 4)
    msgs = await js.fetch("S", "C", 10, timeout=0.5, max_bytes=150)
    assert 1 <= len(msgs) < 4
    assert len(await js.fetch("S", "C", 10, timeout=1, heartbeat=0.1)) == 4 - len(msgs)
    with pytest.raises(natskit.InvalidArgError):
        await js.fetch("S", "C", 0)
    with pytest.raises(natskit.InvalidArgError):
        await js.fetch("S", "bad.name")


async def test_fetch_errors_from_a_missing_stream_or_consumer(js: natskit.aio.JetStream) -> None:
    with pytest.raises(natskit.ConsumerNotFoundError):
        await js.fetch("S", "NOPE", 1)
    with pytest.raises(natskit.ConsumerNotFoundError):
        await js.fetch("S", "NOPE", 1, timeout=0.5)
    with pytest.raises(natskit.StreamNotFoundError):
        await js.fetch("NOPE", "C", 1, timeout=0.5)


async def test_consumer_deleted_during_fetch(js: natskit.aio.JetStream) -> None:
    deleter = when_pulled(js, lambda: js.delete_consumer("S", "C"))
    with pytest.raises(natskit.ConsumerNotFoundError) as info:
        await js.fetch("S", "C", 5, timeout=3)
    assert info.value.status == 409  # "Consumer Deleted" ends the pull
    await deleter.join()


async def test_connection_lost_during_fetch(jetstream_server: NatsServer) -> None:
    conn = await natskit.aio.connect(jetstream_server.url, allow_reconnect=False)
    js = conn.jetstream()
    await js.add_stream("S", subjects=["s"], storage="memory")
    await js.add_pull_consumer("S", "C")

    async def kill() -> None:
        await pull_waiting(js)
        jetstream_server.kill()

    killer = spawn(kill, name="killer")
    with pytest.raises(natskit.TimeoutError):
        await js.fetch("S", "C", 1, timeout=5)
    await killer.join()
    await conn.close()


async def test_closing_the_connection_during_fetch(
    js: natskit.aio.JetStream, nc: natskit.aio.Connection
) -> None:
    closer = when_pulled(js, nc.close)
    with pytest.raises(natskit.ConnectionClosedError):
        await js.fetch("S", "C", 1, timeout=5)
    await closer.join()


async def test_next(js: natskit.aio.JetStream) -> None:
    await publish(js, 1)
    assert (await js.next("S", "C", timeout=1)).data == b"0"
    with pytest.raises(natskit.TimeoutError):
        await js.next("S", "C", timeout=0.2)


async def test_metadata_and_acks(js: natskit.aio.JetStream) -> None:
    await publish(js, 4)
    # The server counts a consumer's pending messages exactly when it creates it, then
    # learns of new ones asynchronously: num_pending of consumer C, made before the
    # publishes, may lag. D is made after them.
    await js.add_pull_consumer("S", "D", ack_wait=30)
    msgs = await js.fetch("S", "D", 4)
    meta = msgs[0].metadata
    assert (meta.stream, meta.consumer, meta.stream_seq, meta.consumer_seq) == ("S", "D", 1, 1)
    assert (meta.num_delivered, meta.num_pending, meta.domain) == (1, 3, None)
    assert meta.timestamp.tzinfo is not None
    await msgs[0].ack_sync(timeout=2)
    await msgs[1].ack()
    await msgs[2].term("bad data")
    await msgs[3].in_progress()
    await msgs[3].nak()
    await msgs[3].ack()  # ignored: -NAK was terminal
    again = await js.fetch("S", "D", 4, timeout=0.5)
    assert [(m.data, m.metadata.num_delivered) for m in again] == [(b"3", 2)]
    await again[0].ack_sync()
    info = await js.consumer_info("S", "D")
    assert info.num_ack_pending == 0 and info.ack_floor.stream_seq == 4


async def test_acks_on_jetstream_and_nak_delay(js: natskit.aio.JetStream) -> None:
    await publish(js, 2)
    first, second = await js.fetch("S", "C", 2)
    await js.ack_sync(first)
    await js.nak(second, delay=0.3)
    # Nothing within 0.1 s. (fetch() would return [] if the server's 408 came first, and
    # raise TimeoutError if its own 0.1 s ran out first; next() raises in both cases.)
    with pytest.raises(natskit.TimeoutError):
        await js.next("S", "C", timeout=0.1)
    redelivered = await js.fetch("S", "C", 1, timeout=1.5)
    assert redelivered[0].metadata.num_delivered == 2
    await js.in_progress(redelivered[0])
    await js.term(redelivered[0], reason="done")
    await js.ack(redelivered[0])  # ignored after term
    for _ in range(100):  # acks are processed asynchronously by the server
        if (await js.consumer_info("S", "C")).num_ack_pending == 0:
            break
        await sleep(0.02)
    assert (await js.consumer_info("S", "C")).num_ack_pending == 0


async def test_not_a_jetstream_message(
    nc: natskit.aio.Connection, js: natskit.aio.JetStream
) -> None:
    msg = natskit.aio.Msg("plain", b"x")
    with pytest.raises(natskit.NotJSMessageError):
        _ = msg.metadata
    with pytest.raises(natskit.NotJSMessageError):
        await js.ack(msg)
