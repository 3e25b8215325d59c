"""consume(): continuous pulls (ADR-37) into a callback or an iterator."""

from __future__ import annotations

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
    await js.add_pull_consumer("S", "C")
    return js


async def pull_waiting(js: natskit.aio.JetStream, timeout: float = 5.0) -> None:
    """Wait until the server holds a pull request of consumer S/C.

    A pull request is a plain publish, which the server takes over asynchronously:
    no event tells when it has it, so poll ``num_waiting``."""
    deadline = monotonic() + timeout
    while (await js.consumer_info("S", "C")).num_waiting == 0:
        assert monotonic() < deadline, "the pull request never reached the server"
        await sleep(0.01)


async def publish(js: natskit.aio.JetStream, start: int, stop: int) -> None:
    for i in range(start, stop):
        await js.publish("s.x", str(i))


async def test_consume_with_callback_pulls_again_at_the_threshold(
    js: natskit.aio.JetStream,
) -> None:
    got: list[int] = []
    done = Event()

    # a coroutine in asyncio, a plain function when blocking
    async def on_msg(msg: natskit.aio.Msg) -> None:
        got.append(int(msg.data))
        await msg.ack()
        if len(got) == 30:
            done.set()

    ctx = await js.consume("S", "C", on_msg, max_messages=10, threshold=3)
    await publish(js, 0, 30)
    assert await done.wait(5)
    assert got == list(range(30))
    assert ctx.is_active
    await ctx.stop()
    assert not ctx.is_active
    await ctx.stop()  # twice is fine


async def test_consume_by_iteration(js: natskit.aio.JetStream) -> None:
    await publish(js, 0, 12)
    ctx = await js.consume("S", "C", max_messages=5)
    got: list[int] = []
    for _ in range(12):
        msg = await ctx.next_msg(timeout=2)
        await msg.ack()
        got.append(int(msg.data))
    assert got == list(range(12))
    with pytest.raises(natskit.TimeoutError):
        await ctx.next_msg(timeout=0.05)
    await ctx.stop()
    assert [m async for m in ctx] == []
    with pytest.raises(natskit.BadSubscriptionError):
        await ctx.next_msg(timeout=1)


async def test_consume_and_ordered_consumers_are_context_managers(
    js: natskit.aio.JetStream,
) -> None:
    await publish(js, 0, 1)
    async with await js.consume("S", "C") as ctx:
        assert isinstance(ctx, natskit.aio.ConsumeContext)
        assert isinstance(ctx, natskit.aio.PullConsumeContext)
        msg = await ctx.next_msg(timeout=2)
        await msg.ack()
        assert ctx.is_active
    assert not ctx.is_active  # stopped on exit
    async with await js.ordered_consumer("S") as oc:
        assert int((await oc.next_msg(timeout=2)).data) == 0
    with pytest.raises(natskit.BadSubscriptionError):
        await oc.next_msg(timeout=1)  # closed on exit


async def test_consume_by_bytes(js: natskit.aio.JetStream) -> None:
    await publish(js, 0, 10)
    ctx = await js.consume("S", "C", max_bytes=300, threshold=100)
    got = [int((await ctx.next_msg(timeout=2)).data) for _ in range(10)]
    assert got == list(range(10))
    await ctx.stop()


async def test_consume_pulls_again_after_the_pull_expired(js: natskit.aio.JetStream) -> None:
    ctx = await js.consume("S", "C", max_messages=1, expires=1, heartbeat=0.2)
    # The passage of time is the scenario: after 1.3 s the first pull (expires=1) has
    # ended with 408 Request Timeout, and only a new pull can bring the messages.
    await sleep(1.3)
    await publish(js, 0, 2)
    assert [int((await ctx.next_msg(timeout=3)).data) for _ in range(2)] == [0, 1]
    assert ctx.last_error is None
    await ctx.stop()


async def test_consumer_deleted_stops_consume(
    js: natskit.aio.JetStream, nc: natskit.aio.Connection
) -> None:
    errors: list[BaseException | None] = []
    ctx = await js.consume("S", "C", max_messages=5, expires=1, heartbeat=0.2)
    await pull_waiting(js)  # the consumer is deleted under a waiting pull: 409
    await js.delete_consumer("S", "C")
    with pytest.raises(natskit.ConsumerNotFoundError):
        await ctx.next_msg(timeout=3)
    errors.append(ctx.last_error)
    assert isinstance(errors[0], natskit.ConsumerNotFoundError)
    assert isinstance(nc.last_error, natskit.ConsumerNotFoundError)
    assert not ctx.is_active


async def test_consume_survives_a_server_restart(
    js: natskit.aio.JetStream,
    nc: natskit.aio.Connection,
    jetstream_server: NatsServer,
    reconnected: Reconnected,
) -> None:
    ctx = await js.consume("S", "C", max_messages=5, expires=1, heartbeat=0.2)
    await publish(js, 0, 1)
    assert (await ctx.next_msg(timeout=2)).data == b"0"
    jetstream_server.restart()
    assert await reconnected.wait(10)
    await publish(js, 1, 3)
    got = [int((await ctx.next_msg(timeout=5)).data) for _ in range(2)]
    assert got == [1, 2]
    await ctx.stop()


async def test_consume_arguments(js: natskit.aio.JetStream) -> None:
    with pytest.raises(natskit.InvalidArgError):
        await js.consume("S", "C", max_messages=5, max_bytes=100)
    with pytest.raises(natskit.InvalidArgError):
        await js.consume("S", "C", expires=0.5)
    with pytest.raises(natskit.InvalidArgError):
        await js.consume("S", "C", expires=2, heartbeat=1.5)
    with pytest.raises(natskit.InvalidArgError):
        await js.consume("S", "C", max_messages=5, threshold=6)
    ctx = await js.consume("S", "C", lambda msg: None)
    with pytest.raises(natskit.BadSubscriptionError):  # as for subscriptions with a callback
        await ctx.next_msg()
    await ctx.stop()
