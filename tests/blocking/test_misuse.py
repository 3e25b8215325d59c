"""Blocking-API mistakes an asyncio user makes get a clear error at once."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest

import natskit
from natskit.testing import NatsServer


def test_a_blocking_call_inside_an_event_loop_is_a_clear_error(nats_server: NatsServer) -> None:
    nc = natskit.connect(nats_server.url)
    sub = nc.subscribe("inside")

    async def main() -> None:
        for call in (
            lambda: natskit.connect(nats_server.url),
            lambda: nc.request("inside", b"", timeout=1),
            lambda: nc.request_many("inside", b"", timeout=1),
            lambda: nc.flush(),
            lambda: sub.next_msg(timeout=1),
            lambda: sub.drain(),
            lambda: nc.drain(),
        ):
            with pytest.raises(RuntimeError, match=r"natskit\.aio"):
                call()

    asyncio.run(main())
    assert nc.is_connected and sub.is_active  # refused before anything was done
    nc.publish("inside", b"outside the loop all is well")
    assert sub.next_msg(timeout=2).data == b"outside the loop all is well"
    nc.close()


async def handler(msg: Any) -> None:
    """A coroutine function: natskit.aio awaits it, the blocking API cannot."""


class AsyncCallable:
    async def __call__(self, msg: Any) -> None:
        pass


@pytest.mark.parametrize("callback", [handler, functools.partial(handler), AsyncCallable()])
def test_a_coroutine_function_callback_is_a_type_error(
    nats_server: NatsServer, callback: Any
) -> None:
    with pytest.raises(TypeError, match="coroutine function"):
        natskit.connect(nats_server.url, error_cb=callback)
    with natskit.connect(nats_server.url) as nc:
        with pytest.raises(TypeError, match="never await"):
            nc.subscribe("x", callback=callback)
        nc.subscribe("y", callback=lambda msg: None)  # a plain one is fine
        assert nc.stats.out_msgs == 0
