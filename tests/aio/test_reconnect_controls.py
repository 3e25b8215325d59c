"""force_reconnect, set_servers, ignore_discovered_servers and
retry_on_failed_connect against real servers and the 3-node cluster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import natskit.aio
from natskit import Status
from natskit._io_async import Event
from natskit.testing import NatsCluster, NatsServer

from .test_cluster import until_routed

FAST: dict[str, Any] = {
    "reconnect_time_wait": 0.05,
    "reconnect_jitter": 0.0,
    "connect_timeout": 2,
    "randomize": False,
}


class Watch:
    def __init__(self) -> None:
        self.statuses: list[Status] = []
        self.errors: list[Exception] = []
        self.connected = Event()  # CONNECTED after RECONNECTING

    def on_status(self, status: Status) -> None:
        if status is Status.CONNECTED and self.statuses[-1:] == [Status.RECONNECTING]:
            self.connected.set()
        self.statuses.append(status)

    def options(self, **more: Any) -> dict[str, Any]:
        return {**FAST, "status_cb": self.on_status, "error_cb": self.errors.append, **more}


async def test_force_reconnect_keeps_subscriptions_and_reports_no_error(
    nats_server: NatsServer,
) -> None:
    watch = Watch()
    async with natskit.aio.connect(nats_server.url, **watch.options()) as nc:
        sub = await nc.subscribe("fr.>")
        before = nc.client_id
        await nc.force_reconnect()
        assert await watch.connected.wait(10)
        assert nc.client_id != before  # a new connection to the server
        assert nc.stats.reconnects == 1
        await nc.publish("fr.one", b"after")
        assert (await sub.next_msg(timeout=5)).data == b"after"
        assert watch.errors == []
        assert watch.statuses[-2:] == [Status.RECONNECTING, Status.CONNECTED]


async def test_force_reconnect_moves_to_another_cluster_node(nats_cluster: NatsCluster) -> None:
    watch = Watch()
    nc = await natskit.aio.connect(nats_cluster.urls[0], **watch.options())
    other = await natskit.aio.connect(nats_cluster.urls[2], **FAST)
    try:
        sub = await nc.subscribe("moved")
        assert nc.current_server is not None
        first = nc.current_server.port
        assert first == nats_cluster.servers[0].port
        await nc.force_reconnect()
        assert await watch.connected.wait(10)
        assert nc.current_server.port != first  # the others come first
        await nc.flush()

        async def echo(msg: natskit.aio.Msg) -> None:
            await msg.respond(msg.data)

        await nc.subscribe("moved.ready", callback=echo)
        await until_routed(other, "moved.ready")
        await other.publish("moved", b"across")
        assert (await sub.next_msg(timeout=5)).data == b"across"
    finally:
        await other.close()
        await nc.close()


async def test_set_servers_is_used_at_the_next_reconnect(
    nats_server_factory: Callable[..., NatsServer],
) -> None:
    a, b = nats_server_factory(), nats_server_factory()
    watch = Watch()
    async with natskit.aio.connect(a.url, **watch.options()) as nc:
        nc.set_servers([b.url])
        assert [s.port for s in nc.servers] == [b.port]
        assert nc.current_server is not None and nc.current_server.port == a.port
        await nc.force_reconnect()
        assert await watch.connected.wait(10)
        assert nc.current_server.port == b.port
        assert await nc.rtt() >= 0  # usable on b


async def test_ignore_discovered_servers_on_the_cluster(nats_cluster: NatsCluster) -> None:
    async with natskit.aio.connect(
        nats_cluster.urls[0], ignore_discovered_servers=True, **FAST
    ) as nc:
        await nc.flush()
        assert [s.port for s in nc.servers] == [nats_cluster.servers[0].port]
    async with natskit.aio.connect(nats_cluster.urls[0], **FAST) as nc:
        await nc.flush()
        assert len(nc.servers) == 3


async def test_retry_on_failed_connect_connects_once_the_server_is_up(
    nats_server_factory: Callable[..., NatsServer],
) -> None:
    server = nats_server_factory()
    server.stop()
    watch = Watch()
    nc = await natskit.aio.connect(server.url, retry_on_failed_connect=True, **watch.options())
    try:
        assert nc.status is Status.RECONNECTING
        assert isinstance(nc.last_error, natskit.ConnectionRefusedError)
        sub = await nc.subscribe("early")
        await nc.publish("early", b"queued")  # buffered until connected
        server.start()
        assert await watch.connected.wait(20)
        assert (await sub.next_msg(timeout=5)).data == b"queued"
    finally:
        await nc.close()
    try:
        await natskit.aio.connect(server.url.replace(str(server.port), "1"), **FAST)
    except natskit.ConnectionRefusedError:
        pass  # without the option, the first failure is raised
    else:
        raise AssertionError("connect without retry_on_failed_connect must raise")
