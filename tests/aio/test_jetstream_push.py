"""consume_push(): push consumers, flow control, idle heartbeats, deliver groups."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import natskit.aio
from natskit._io_async import Event
from natskit.testing import NatsServer


class Errors(Event):
    """Set once ``error_cb`` got a ``ConsumerNotActiveError``."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Exception] = []

    def on_error(self, err: Exception) -> None:
        self.seen.append(err)
        if isinstance(err, natskit.ConsumerNotActiveError):
            self.set()


@pytest.fixture
def errors() -> Errors:
    return Errors()


@pytest.fixture
async def js(jetstream_server: NatsServer, errors: Errors) -> AsyncIterator[natskit.aio.JetStream]:
    conn = await natskit.aio.connect(jetstream_server.url, error_cb=errors.on_error)
    js = conn.jetstream(timeout=2)
    await js.add_stream("S", subjects=["s.>"])
    yield js
    await conn.close()


async def publish(js: natskit.aio.JetStream, start: int, stop: int) -> None:
    for i in range(start, stop):
        await js.publish("s.x", str(i))


async def test_consume_push_with_a_callback(js: natskit.aio.JetStream) -> None:
    await js.add_push_consumer("S", "P", "push.p", idle_heartbeat=1, flow_control=True)
    got: list[int] = []
    done = Event()

    async def on_msg(msg: natskit.aio.Msg) -> None:
        got.append(int(msg.data))
        await msg.ack()
        if len(got) == 20:
            done.set()

    ctx = await js.consume_push("S", "P", on_msg)
    assert isinstance(ctx, natskit.aio.PushConsumeContext)
    assert isinstance(ctx, natskit.aio.ConsumeContext)  # SPEC 8: both kinds are ConsumeContexts
    assert ctx.pin_id is None
    assert ctx.info.config.deliver_subject == "push.p"
    await publish(js, 0, 20)
    assert await done.wait(5)
    assert got == list(range(20))
    assert ctx.is_active and ctx.last_error is None
    with pytest.raises(natskit.BadSubscriptionError):
        await ctx.next_msg(timeout=0.1)  # the callback has them
    await ctx.stop()
    assert not ctx.is_active
    await ctx.stop()  # twice is fine


async def test_consume_push_by_iteration_answers_flow_control(
    js: natskit.aio.JetStream, jetstream_server: NatsServer
) -> None:
    # The server asks for flow control once 1 MiB is delivered and not yet
    # confirmed, and stops at 2 MiB until it is answered: 2.4 MiB pass only
    # when natskit answers (the answers are watched on another connection).
    watcher = await natskit.aio.connect(jetstream_server.url)
    answers = await watcher.subscribe("$JS.FC.S.P.>")
    await watcher.flush()
    await js.add_push_consumer("S", "P", "push.p", idle_heartbeat=1, flow_control=True)
    payload = b"x" * 4096
    for i in range(600):
        await js.publish_future("s.x", payload, headers={"n": str(i)})
    await js.publish_async_complete(timeout=20)
    async with await js.consume_push("S", "P") as ctx:
        for i in range(600):
            msg = await ctx.next_msg(timeout=5)
            assert msg.headers.get("n") == str(i)
            await msg.ack()
        answer = await answers.next_msg(timeout=2)
        assert answer.data == b""
    assert not ctx.is_active
    assert [m async for m in ctx] == []
    await watcher.close()


async def test_consume_push_in_a_deliver_group(js: natskit.aio.JetStream) -> None:
    await js.add_push_consumer("S", "Q", "push.q", deliver_group="workers")
    one = await js.consume_push("S", "Q")
    two = await js.consume_push("S", "Q")
    await publish(js, 0, 40)
    seen: list[int] = []
    for ctx in (one, two):
        while True:
            try:
                msg = await ctx.next_msg(timeout=0.5)
            except natskit.TimeoutError:
                break
            seen.append(int(msg.data))
            await msg.ack()
    assert sorted(seen) == list(range(40))  # each once, between the two
    await one.stop()
    await two.stop()


async def test_missed_heartbeats_are_reported(js: natskit.aio.JetStream, errors: Errors) -> None:
    await js.add_push_consumer("S", "H", "push.h", idle_heartbeat=0.2)
    ctx = await js.consume_push("S", "H")
    await publish(js, 0, 1)
    await (await ctx.next_msg(timeout=2)).ack()
    await js.delete_consumer("S", "H")  # no more heartbeats
    assert await errors.wait(5)
    assert isinstance(ctx.last_error, natskit.ConsumerNotActiveError)
    assert "push consumer 'H' of stream 'S'" in str(ctx.last_error)
    assert ctx.is_active  # reported, not stopped: the server may come back
    await ctx.stop()


async def test_consume_push_refuses_a_pull_consumer(js: natskit.aio.JetStream) -> None:
    await js.add_pull_consumer("S", "C")
    with pytest.raises(natskit.InvalidArgError, match="is a pull consumer"):
        await js.consume_push("S", "C")
    with pytest.raises(natskit.ConsumerNotFoundError):
        await js.consume_push("S", "NOPE")
