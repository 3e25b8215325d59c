"""Connecting, the handshake, status, options and closing (real nats-server)."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import natskit.aio
from natskit import Status
from natskit._io_async import Event
from natskit.testing import NatsServer
from tests.fake_server import FakeClient, FakeServer


def status_now(nc: natskit.aio.Connection) -> Status:
    """``nc.status`` read again: mypy would keep it narrowed by an earlier check."""
    return nc.status


async def test_connect_and_close(nats_server: NatsServer) -> None:
    nc = await natskit.aio.connect(nats_server.url, name="tester")
    assert nc.status is Status.CONNECTED
    assert nc.is_connected
    assert nc.server_info["port"] == nats_server.port
    assert nc.max_payload == nc.server_info["max_payload"] > 0
    assert nc.client_id is not None
    assert nc.current_server == natskit.ServerAddress("127.0.0.1", nats_server.port, "nats")
    assert nc.servers == [nc.current_server]
    await nc.close()
    assert status_now(nc) is Status.CLOSED
    assert nc.last_error is None
    await nc.close()  # idempotent
    assert status_now(nc) is Status.CLOSED


async def test_context_manager_closes(nats_server: NatsServer) -> None:
    async with await natskit.aio.connect(nats_server.url) as nc:
        await nc.publish("a", b"b")
        assert nc.status is Status.CONNECTED
    assert status_now(nc) is Status.CLOSED


async def test_options_are_readable_and_checked(nats_server: NatsServer) -> None:
    nc = natskit.aio.Connection(nats_server.url, name="x", request_timeout=3)
    assert nc.options.name == "x"
    assert nc.options.request_timeout == 3
    assert nc.options.pending_msgs_limit == 512 * 1024
    assert nc.status is Status.CLOSED
    with pytest.raises(natskit.InvalidArgError):
        natskit.aio.Connection(nats_server.url, no_such_option=1)
    with pytest.raises(natskit.BadTimeoutError):
        natskit.aio.Connection(nats_server.url, connect_timeout=-1)
    with pytest.raises(natskit.InvalidArgError):
        natskit.aio.Connection("http://127.0.0.1:4222")


async def test_closed_connection_refuses_work(nats_server: NatsServer) -> None:
    nc = natskit.aio.Connection(nats_server.url)
    with pytest.raises(natskit.ConnectionClosedError):
        await nc.publish("a", b"")
    with pytest.raises(natskit.ConnectionClosedError):
        await nc.subscribe("a")
    with pytest.raises(natskit.ConnectionClosedError):
        await nc.flush()
    with pytest.raises(natskit.ConnectionClosedError):
        await nc.request("a", b"", timeout=0.5)


async def test_connect_refused_raises_specific_error(nats_server: NatsServer) -> None:
    port = nats_server.port
    nats_server.stop()
    with pytest.raises(natskit.ConnectionRefusedError) as info:
        await natskit.aio.connect(f"nats://127.0.0.1:{port}", connect_timeout=1)
    assert info.value.code == "ErrConnectionRefused"


async def test_a_hanging_name_lookup_is_bounded_by_connect_timeout(
    nats_server: NatsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resolver that never answers (a fault no real server produces, so faked)."""
    release = threading.Event()
    real = socket.getaddrinfo

    def slow(host: str | bytes | None, *args: Any, **kwargs: Any) -> list[Any]:
        if host == "hangs.example":
            release.wait(30)
        return real("127.0.0.1" if host == "hangs.example" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    start = time.monotonic()
    try:
        with pytest.raises(natskit.ConnectionTimeoutError):
            await natskit.aio.connect(
                f"nats://hangs.example:{nats_server.port}",
                connect_timeout=0.3,
                max_reconnect_attempts=0,
            )
        assert time.monotonic() - start < 5
    finally:
        release.set()  # let the lookup thread end
    async with await natskit.aio.connect(f"nats://localhost:{nats_server.port}") as nc:
        assert nc.is_connected  # names still resolve


async def test_a_name_that_does_not_resolve_is_its_own_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not "connection refused": the host is named (the resolver is faked: no lookups leave)."""

    def unknown(host: str | bytes | None, *args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    with pytest.raises(natskit.HostNotFoundError) as info:
        await natskit.aio.connect("nats://no-such-host.invalid:4222", connect_timeout=1)
    assert info.value.host == "no-such-host.invalid"
    assert "no-such-host.invalid" in str(info.value)
    assert isinstance(info.value, ConnectionError)  # a network error, not a refusal
    assert not isinstance(info.value, natskit.ConnectionRefusedError)


async def test_two_dead_servers_raise_no_servers(
    nats_server_factory: Callable[..., NatsServer],
) -> None:
    a = nats_server_factory()
    b = nats_server_factory()
    urls = [a.url, b.url]
    a.stop()
    b.stop()
    with pytest.raises(natskit.NoServersError):
        await natskit.aio.connect(urls, connect_timeout=1)


async def test_connect_wait_false_buffers_until_connected(nats_server: NatsServer) -> None:
    nc = natskit.aio.Connection(nats_server.url)
    connected = Event()

    def on_status(status: Status) -> None:
        if status is Status.CONNECTED:
            connected.set()

    nc.options.status_cb = on_status
    await nc.connect(wait=False)
    assert nc.status in (Status.CONNECTING, Status.CONNECTED)
    sub = await nc.subscribe("early")
    await nc.publish("early", b"buffered")
    assert await connected.wait(5)
    msg = await sub.next_msg(timeout=5)
    assert msg.data == b"buffered"
    await nc.close()


async def test_connect_sends_options(nats_server: NatsServer) -> None:
    async with await natskit.aio.connect(nats_server.url, name="svc-1", echo=False) as nc:
        sub = await nc.subscribe("echo")
        await nc.publish("echo", b"x")
        await nc.flush()
        with pytest.raises(natskit.TimeoutError):
            await sub.next_msg(timeout=0.2)


async def test_status_callback_sees_connect_and_close(nats_server: NatsServer) -> None:
    seen: list[Status] = []
    closed = Event()

    def on_status(status: Status) -> None:
        seen.append(status)
        if status is Status.CLOSED:
            closed.set()

    nc = await natskit.aio.connect(nats_server.url, status_cb=on_status)
    await nc.close()
    assert await closed.wait(5)
    assert seen == [Status.CONNECTING, Status.CONNECTED, Status.CLOSED]


async def test_flush_and_rtt(nats_server: NatsServer) -> None:
    async with await natskit.aio.connect(nats_server.url) as nc:
        await nc.flush(timeout=2)
        rtt = await nc.rtt()
        assert 0 < rtt < 2
        with pytest.raises(natskit.BadTimeoutError):
            await nc.flush(timeout=-1)


async def test_new_inbox_is_unique(nats_server: NatsServer) -> None:
    nc = natskit.aio.Connection(nats_server.url, inbox_prefix="_MY")
    inboxes = {nc.new_inbox() for _ in range(1000)}
    assert len(inboxes) == 1000
    assert all(i.startswith("_MY.") and len(i) == len("_MY.") + 22 for i in inboxes)


async def test_server_shutdown_closes_connection(nats_server: NatsServer) -> None:
    closed = Event()

    def on_status(status: Status) -> None:
        if status is Status.CLOSED:
            closed.set()

    nc = await natskit.aio.connect(nats_server.url, status_cb=on_status, allow_reconnect=False)
    sub = await nc.subscribe("x")
    nats_server.stop()
    assert await closed.wait(5)
    assert nc.status is Status.CLOSED
    assert isinstance(nc.last_error, natskit.NatsError)
    with pytest.raises(natskit.ConnectionClosedError):
        await sub.next_msg(timeout=1)


async def test_stats_count_messages(nats_server: NatsServer) -> None:
    async with await natskit.aio.connect(nats_server.url) as nc:
        sub = await nc.subscribe("s")
        for _ in range(3):
            await nc.publish("s", b"12345")
        for _ in range(3):
            await sub.next_msg(timeout=2)
        assert nc.stats.out_msgs == 3
        assert nc.stats.out_bytes == 15
        assert nc.stats.in_msgs == 3
        assert nc.stats.in_bytes == 15
        await nc.publish("s", b"12345", headers={"K": "v"})  # headers count, both ways
        await sub.next_msg(timeout=2)
        assert nc.stats.in_bytes == nc.stats.out_bytes > 15 + 5


async def test_connect_as_a_context_manager_without_await(nats_server: NatsServer) -> None:
    """``async with natskit.aio.connect(...)`` (as aiohttp users write it) connects and closes."""
    async with natskit.aio.connect(nats_server.url) as nc:
        assert nc.is_connected
    assert nc.status is natskit.Status.CLOSED
    nc = await natskit.aio.connect(nats_server.url)  # awaiting it still gives the connection
    assert isinstance(nc, natskit.aio.Connection)
    await nc.close()


async def test_a_server_that_resets_during_the_handshake_is_a_natskit_error() -> None:
    """Accept, send INFO, reset (RST): only natskit errors leave connect()."""

    def handler(client: FakeClient) -> None:
        client.send(b'INFO {"server_id":"x","max_payload":1024,"headers":true}\r\n')
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()

    with FakeServer(handler) as server:
        for _ in range(20):  # the reset meets the client's write, or its read
            with pytest.raises(natskit.NatsError) as info:
                await natskit.aio.connect(server.url, allow_reconnect=False)
            assert isinstance(info.value, (natskit.NetworkError, natskit.ConnectionClosedError))
