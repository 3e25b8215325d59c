"""asyncio API only: natskit.aio on uvloop's event loop (its transports are not
subclasses of asyncio.Transport)."""

from __future__ import annotations

import asyncio

import pytest

import natskit.aio
from natskit.testing import NatsServer

uvloop = pytest.importorskip("uvloop", reason="uvloop is in the dev extra (not on Windows)")


async def _round_trips(url: str) -> tuple[list[bytes], bytes, str]:
    async with await natskit.aio.connect(url) as nc:
        got: list[bytes] = []
        done = asyncio.Event()

        def on_msg(msg: natskit.aio.Msg) -> None:
            got.append(msg.data)
            if len(got) == 100:
                done.set()

        async def echo(msg: natskit.aio.Msg) -> None:
            await msg.respond(msg.data.upper())

        await nc.subscribe("uv.data", callback=on_msg)
        await nc.subscribe("uv.echo", callback=echo)
        for i in range(100):
            await nc.publish("uv.data", b"%d" % i)
        await asyncio.wait_for(done.wait(), 10)
        reply = await nc.request("uv.echo", b"ping", timeout=10)
        return got, reply.data, type(asyncio.get_running_loop()).__module__


def test_publish_subscribe_and_request_on_uvloop(nats_server: NatsServer) -> None:
    got, reply, loop_module = uvloop.run(_round_trips(nats_server.url))
    assert loop_module.startswith("uvloop")
    assert got == [b"%d" % i for i in range(100)]
    assert reply == b"PING"
