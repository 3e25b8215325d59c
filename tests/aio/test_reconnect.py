"""Reconnection: restored subscriptions, buffering, pending requests, giving up."""

from __future__ import annotations

from typing import Any

import pytest

import natskit.aio
from natskit import ServerAddress, Status
from natskit._io_async import Event
from natskit.testing import NatsServer
from tests.fake_server import FakeClient, FakeServer

FAST: dict[str, Any] = {"reconnect_time_wait": 0.05, "connect_timeout": 2}


class StatusWatch:
    """Records statuses and errors; events for RECONNECTING, CONNECTED again, CLOSED."""

    def __init__(self) -> None:
        self.seen: list[Status] = []
        self.reconnecting = Event()
        self.reconnected = Event()
        self.closed = Event()
        self.errors: list[Exception] = []

    def on_status(self, status: Status) -> None:
        self.seen.append(status)
        if status is Status.RECONNECTING:
            self.reconnecting.set()
        if status is Status.CONNECTED and Status.RECONNECTING in self.seen:
            self.reconnected.set()
        if status is Status.CLOSED:
            self.closed.set()

    def on_error(self, err: Exception) -> None:
        self.errors.append(err)

    def options(self, **extra: Any) -> dict[str, Any]:
        return {"status_cb": self.on_status, "error_cb": self.on_error, **FAST, **extra}


async def test_subscription_survives_server_restart(nats_server: NatsServer) -> None:
    watch = StatusWatch()
    nc = await natskit.aio.connect(nats_server.url, **watch.options())
    try:
        sub = await nc.subscribe("keep.>", max_msgs=3)
        await nc.publish("keep.1", b"before")
        assert (await sub.next_msg(timeout=2)).data == b"before"
        nats_server.restart()
        assert await watch.reconnected.wait(10)
        assert nc.stats.reconnects == 1
        await nc.publish("keep.2", b"after")
        await nc.publish("keep.3", b"last")
        await nc.publish("keep.4", b"beyond max_msgs")
        got = [m.data async for m in sub]
        assert got == [b"after", b"last"]
        assert watch.seen[:4] == [
            Status.CONNECTING,
            Status.CONNECTED,
            Status.RECONNECTING,
            Status.CONNECTED,
        ]
        assert any(isinstance(e, natskit.NatsError) for e in watch.errors)
    finally:
        await nc.close()


async def test_publishes_while_reconnecting_are_delivered_after_resubscribe(
    nats_server: NatsServer,
) -> None:
    watch = StatusWatch()
    nc = await natskit.aio.connect(nats_server.url, **watch.options())
    try:
        sub = await nc.subscribe("buf")
        await nc.flush()
        nats_server.stop()
        assert await watch.reconnecting.wait(10)
        for i in range(100):
            await nc.publish("buf", str(i))
        with pytest.raises(natskit.ConnectionClosedError):
            await nc.flush()
        nats_server.start()
        assert await watch.reconnected.wait(10)
        got = [(await sub.next_msg(timeout=5)).data for _ in range(100)]
        assert got == [str(i).encode() for i in range(100)]
    finally:
        await nc.close()


async def test_reconnect_buffer_limit(nats_server: NatsServer) -> None:
    watch = StatusWatch()
    nc = await natskit.aio.connect(nats_server.url, reconnect_buffer_size=1000, **watch.options())
    try:
        sub = await nc.subscribe("lim")
        await nc.flush()
        nats_server.stop()
        assert await watch.reconnecting.wait(10)
        sent = 0
        with pytest.raises(natskit.ReconnectBufferExceededError) as info:
            while True:
                await nc.publish("lim", b"x" * 50)
                sent += 1
        assert info.value.code == "ErrReconnectBufExceeded"
        assert sent > 0
        nats_server.start()
        assert await watch.reconnected.wait(10)
        for _ in range(sent):
            assert (await sub.next_msg(timeout=5)).data == b"x" * 50
        await nc.flush()
        with pytest.raises(natskit.TimeoutError):
            await sub.next_msg(timeout=0.1)
    finally:
        await nc.close()


async def test_pending_request_completes_after_reconnect(nats_server: NatsServer) -> None:
    requester_watch = StatusWatch()
    responder_watch = StatusWatch()
    requester = await natskit.aio.connect(nats_server.url, **requester_watch.options())
    responder = await natskit.aio.connect(nats_server.url, **responder_watch.options())
    try:
        inbox = await responder.subscribe("svc")
        await responder.flush()
        fut = await requester.request_future("svc", b"q", timeout=30)
        request = await inbox.next_msg(timeout=5)
        nats_server.restart()
        assert await requester_watch.reconnected.wait(10)
        assert await responder_watch.reconnected.wait(10)
        await requester.flush()  # its response subscription is back on the server
        await request.respond(b"answer")
        done = Event()
        fut.add_done_callback(lambda f: done.set())
        assert await done.wait(10)
        assert fut.result().data == b"answer"
    finally:
        await requester.close()
        await responder.close()


async def test_gives_up_after_max_reconnect_attempts(nats_server: NatsServer) -> None:
    watch = StatusWatch()
    nc = await natskit.aio.connect(nats_server.url, max_reconnect_attempts=2, **watch.options())
    nats_server.stop()
    assert await watch.closed.wait(10)
    assert nc.status is Status.CLOSED
    assert isinstance(nc.last_error, natskit.NatsError)
    assert nc.servers == []


async def test_close_interrupts_reconnecting(nats_server: NatsServer) -> None:
    watch = StatusWatch()
    nc = await natskit.aio.connect(
        nats_server.url, status_cb=watch.on_status, reconnect_time_wait=600
    )
    nats_server.kill()
    assert await watch.reconnecting.wait(10)
    await nc.close()  # returns at once, not after 600 s
    assert nc.status is Status.CLOSED
    assert nc.last_error is None


async def test_discovered_servers_and_lame_duck(nats_server: NatsServer) -> None:
    """INFO updates grow the pool; lame duck mode moves the client to another server."""
    discovered: list[list[ServerAddress]] = []
    lame: list[ServerAddress] = []
    moved = Event()
    other = f"127.0.0.1:{nats_server.port}"

    def handler(client: FakeClient) -> None:
        client.handshake()
        client.send(
            b'INFO {"server_id":"x","max_payload":1024,"headers":true,'
            b'"connect_urls":["%s"]}\r\n' % other.encode()
        )
        client.send(
            b'INFO {"server_id":"x","max_payload":1024,"headers":true,'
            b'"connect_urls":["%s"],"ldm":true}\r\n' % other.encode()
        )
        client.read_line(timeout=10)

    def on_status(status: Status) -> None:
        current = nc.current_server
        if status is Status.CONNECTED and current is not None and current.port == nats_server.port:
            moved.set()

    with FakeServer(handler) as server:
        nc = natskit.aio.Connection(
            server.url,
            status_cb=on_status,
            discovered_servers_cb=discovered.append,
            lame_duck_cb=lame.append,
            **FAST,
        )
        await nc.connect()
        assert await moved.wait(10)
        assert discovered == [[natskit.ServerAddress("127.0.0.1", nats_server.port, "nats")]]
        assert lame == [natskit.ServerAddress("127.0.0.1", server.port, "nats")]
        await nc.flush()
        await nc.close()


async def test_subscribe_and_unsubscribe_while_reconnecting(nats_server: NatsServer) -> None:
    watch = StatusWatch()
    nc = await natskit.aio.connect(nats_server.url, **watch.options())
    try:
        dropped = await nc.subscribe("gone")
        await nc.flush()
        nats_server.stop()
        assert await watch.reconnecting.wait(10)
        sub = await nc.subscribe("late")
        await dropped.unsubscribe()
        nats_server.start()
        assert await watch.reconnected.wait(10)
        await nc.publish("late", b"hello")
        await nc.publish("gone", b"nobody")
        assert (await sub.next_msg(timeout=5)).data == b"hello"
        await nc.flush()
        assert nc.stats.in_msgs == 1
    finally:
        await nc.close()
