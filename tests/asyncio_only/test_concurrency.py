"""asyncio API only: concurrency with tasks, coroutine callbacks."""

from __future__ import annotations

import asyncio

import natskit
import natskit.aio
from natskit.testing import NatsServer


async def test_many_concurrent_requests(nats_server: NatsServer) -> None:
    async with await natskit.aio.connect(nats_server.url) as nc:

        async def echo(msg: natskit.aio.Msg) -> None:
            await msg.respond(msg.data)

        await nc.subscribe("c.echo", callback=echo)
        replies = await asyncio.gather(
            *(nc.request("c.echo", str(i), timeout=5) for i in range(1000))
        )
        assert [r.text for r in replies] == [str(i) for i in range(1000)]
        assert len(nc._replies) == 0


async def test_cancelled_request_task_cleans_up(nats_server: NatsServer) -> None:
    async with await natskit.aio.connect(nats_server.url) as nc:
        await nc.subscribe("c.silent")
        task = asyncio.ensure_future(nc.request("c.silent", b"", timeout=30))
        while not len(nc._replies):
            await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        assert len(nc._replies) == 0


async def test_status_and_error_callbacks_may_be_coroutines(nats_server: NatsServer) -> None:
    seen: list[natskit.Status] = []
    done = asyncio.Event()

    async def on_status(status: natskit.Status) -> None:
        seen.append(status)
        if status is natskit.Status.CLOSED:
            done.set()

    nc = await natskit.aio.connect(nats_server.url, status_cb=on_status)
    await nc.close()
    await asyncio.wait_for(done.wait(), 5)
    assert seen[-1] is natskit.Status.CLOSED
