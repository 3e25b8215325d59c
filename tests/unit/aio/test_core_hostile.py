"""Hostile or broken server input, over the in-memory network: a clear natskit
error naming what was wrong, the socket closed, and reconnecting goes on."""

from __future__ import annotations

from typing import Any

import pytest

import natskit.aio
from natskit import Status
from natskit._async.memory import MemoryNetwork
from natskit._io_async import Event

A, B = "nats://a:4222", "nats://b:4222"
BAD_INFO: list[tuple[str, Any]] = [
    ("max_payload", "big"),
    ("max_payload", [1]),
    ("max_payload", 1e999),
    ("max_payload", True),
    ("connect_urls", 5),
    ("connect_urls", ["a:1", 2]),
    ("headers", "yes"),
    ("tls_required", 1),
    ("nonce", 7),
    ("client_id", -1),
]


@pytest.mark.parametrize(("field", "value"), BAD_INFO)
async def test_a_bad_info_field_is_a_protocol_error(field: str, value: Any) -> None:
    net = MemoryNetwork()
    server = net.listen("a", **{field: value})
    nc = net.connection(A)
    with pytest.raises(natskit.ProtocolError, match=field):
        await nc.connect()
    assert nc.status is Status.CLOSED
    assert server.peers[0].closed_by_client.is_set()  # the socket was closed
    assert server.peers[0].commands == []  # and nothing was sent on it
    await nc.close()


async def test_a_bad_info_while_connected_reconnects() -> None:
    net = MemoryNetwork()
    server = net.listen("a")
    lost = Event()
    errors: list[Exception] = []

    def on_status(status: Status) -> None:
        if status is Status.RECONNECTING:
            lost.set()

    nc = await net.connect(A, status_cb=on_status, error_cb=errors.append, reconnect_time_wait=0)
    server.peers[0].send_info(max_payload="big")
    assert await lost.wait(5)
    second = await server.accepted(2)
    await second.expect("PING")
    await nc.flush()
    assert nc.status is Status.CONNECTED
    assert any(isinstance(e, natskit.ProtocolError) for e in errors)
    await nc.close()


async def test_a_bad_info_on_reconnect_is_a_failed_attempt_and_the_pool_goes_on() -> None:
    net = MemoryNetwork()
    a, b = net.listen("a"), net.listen("b")
    connected = Event()  # again, after the loss (status_cb runs later than the change)
    errors: list[Exception] = []
    seen: list[Status] = []

    def on_status(status: Status) -> None:
        seen.append(status)
        if status is Status.CONNECTED and Status.RECONNECTING in seen:
            connected.set()

    nc = await net.connect(
        [A, B],
        randomize=False,
        reconnect_time_wait=0,
        status_cb=on_status,
        error_cb=errors.append,
    )
    assert nc.current_server == natskit.ServerAddress("a", 4222, "nats")
    b.info["max_payload"] = "big"  # b answers badly for a while
    a.peers[0].drop()
    await b.accepted(1)
    b.info["max_payload"] = 1024
    assert await connected.wait(5)
    assert nc.status is Status.CONNECTED
    assert any(isinstance(e, natskit.ProtocolError) for e in errors)
    await nc.close()
