"""A connection used again after ``close()`` (real nats-server)."""

from __future__ import annotations

import pytest

import natskit.aio
from natskit import Status
from natskit._io_async import Event
from natskit.testing import NatsServer


async def test_callbacks_run_after_close_and_connect_again(nats_server: NatsServer) -> None:
    seen: list[Status] = []
    connected_again = Event()

    def on_status(status: Status) -> None:
        seen.append(status)
        if seen.count(Status.CONNECTED) == 2:
            connected_again.set()

    nc = natskit.aio.Connection(nats_server.url, status_cb=on_status)
    await nc.connect()
    await nc.close()
    await nc.connect()
    try:
        assert await connected_again.wait(5)
        assert seen == [
            Status.CONNECTING,
            Status.CONNECTED,
            Status.CLOSED,
            Status.CONNECTING,
            Status.CONNECTED,
        ]

        async def answer(msg: natskit.aio.Msg) -> None:
            await msg.respond(b"inner")

        # waits inside a callback: needs a second worker
        async def ask(msg: natskit.aio.Msg) -> None:
            reply = await nc.request("inner", timeout=2)
            await msg.respond(reply.data)

        await nc.subscribe("inner", callback=answer)
        await nc.subscribe("outer", callback=ask)
        assert (await nc.request("outer", timeout=3)).data == b"inner"
    finally:
        await nc.close()


async def test_publish_future_on_a_closed_connection_frees_its_ack_slot(
    nats_server: NatsServer,
) -> None:
    nc = await natskit.aio.connect(nats_server.url)
    js = nc.jetstream()
    await nc.close()
    with pytest.raises(natskit.ConnectionClosedError):
        await js.publish_future("x", b"1")
    assert js.publish_async_pending == 0
    await js.publish_async_complete(timeout=0.1)


async def test_acks_leave_the_publish_subject_cache_alone(jetstream_server: NatsServer) -> None:
    # Ack subjects are unique per message: caching them would evict the user's subjects.
    async with await natskit.aio.connect(jetstream_server.url) as nc:
        js = nc.jetstream(timeout=2)
        await js.add_stream("S", subjects=["s"], storage="memory")
        await js.add_pull_consumer("S", "C")
        for i in range(5):
            await js.publish("s", str(i))
        msgs = await js.fetch("S", "C", batch=5, timeout=2)
        cached = len(nc._templates)
        for msg in msgs:
            await msg.ack_sync()
        assert len(nc._templates) == cached
