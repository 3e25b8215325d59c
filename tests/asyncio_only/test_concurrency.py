"""asyncio API only: concurrency with tasks, coroutine callbacks."""

from __future__ import annotations

import asyncio

import natskit
import natskit.aio


async def test_many_concurrent_requests(nats_server):
    async with await natskit.aio.connect(nats_server.url) as nc:

        async def echo(msg):
            await msg.respond(msg.data)

        await nc.subscribe("c.echo", callback=echo)
        replies = await asyncio.gather(
            *(nc.request("c.echo", str(i), timeout=5) for i in range(1000))
        )
        assert [r.text for r in replies] == [str(i) for i in range(1000)]
        assert nc._resp_map == {}


async def test_cancelled_request_task_cleans_up(nats_server):
    async with await natskit.aio.connect(nats_server.url) as nc:
        await nc.subscribe("c.silent")
        task = asyncio.ensure_future(nc.request("c.silent", b"", timeout=30))
        while not nc._resp_map:
            await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        assert nc._resp_map == {}


async def test_status_and_error_callbacks_may_be_coroutines(nats_server):
    seen = []
    done = asyncio.Event()

    async def on_status(status):
        seen.append(status)
        if status is natskit.Status.CLOSED:
            done.set()

    nc = await natskit.aio.connect(nats_server.url, status_cb=on_status)
    await nc.close()
    await asyncio.wait_for(done.wait(), 5)
    assert seen[-1] is natskit.Status.CLOSED
