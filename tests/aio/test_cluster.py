"""A 3-node cluster: discovery, and killing nodes by PID under traffic."""

from __future__ import annotations

from typing import Any

import natskit.aio
from natskit import Status
from natskit._io_async import Event, monotonic, sleep
from natskit.testing import NatsCluster

FAST: dict[str, Any] = {"reconnect_time_wait": 0.05, "connect_timeout": 2, "randomize": False}


class Watch:
    def __init__(self) -> None:
        self.reconnecting = Event()
        self.reconnected = Event()

    def on_status(self, status: Status) -> None:
        if status is Status.RECONNECTING:
            self.reconnecting.set()
        elif status is Status.CONNECTED and self.reconnecting.is_set():
            self.reconnected.set()


async def until_routed(nc: natskit.aio.Connection, subject: str, timeout: float = 10.0) -> None:
    """Wait until a request from ``nc`` to ``subject`` is answered.

    A node learns of the subscriptions on other nodes asynchronously, after the
    subscriber's flush; the request is retried while the node knows of no responder."""
    deadline = monotonic() + timeout
    while True:
        try:
            await nc.request(subject, b"", timeout=timeout)
            return
        except natskit.NoRespondersError:
            assert monotonic() < deadline, f"{subject!r} not routed within {timeout} s"
            await sleep(0.01)


async def test_pool_grows_from_connect_urls(nats_cluster: NatsCluster) -> None:
    async with await natskit.aio.connect(nats_cluster.urls[0], **FAST) as nc:
        ports = sorted(s.port for s in nc.servers)
        assert ports == sorted(s.port for s in nats_cluster.servers)
        assert nc.servers[0].port == nats_cluster.servers[0].port


async def test_kill_node_under_traffic(nats_cluster: NatsCluster) -> None:
    """Kill the node of the publisher, a subscriber and a requester.

    Asserts: the subscriptions survive, the pending request completes, every
    message published while reconnecting arrives exactly once and in order.
    """
    watch = Watch()
    # Listing node 1 second puts it first in line after node 0 (randomize=False): both
    # connections end up on one node, so no route has to learn moving's subscription
    # again before the messages below can reach it.
    moving = await natskit.aio.connect(nats_cluster.urls[:2], status_cb=watch.on_status, **FAST)
    steady = await natskit.aio.connect(nats_cluster.urls[1], **FAST)
    try:
        on_steady = await steady.subscribe("traffic")
        on_moving = await moving.subscribe("traffic")
        service = await steady.subscribe("svc")

        async def ready(msg: natskit.aio.Msg) -> None:
            await msg.respond(b"")

        await steady.subscribe("ready", callback=ready)
        # Node 1 tells node 0 of its subscriptions in order: once node 0 routes "ready",
        # it routes "traffic" and "svc" too.
        await until_routed(moving, "ready")
        for i in range(100):
            await moving.publish("traffic", str(i))
        for sub in (on_steady, on_moving):  # everything before the kill has arrived
            assert [int((await sub.next_msg(timeout=5)).data) for _ in range(100)] == list(
                range(100)
            )
        request = await moving.request_future("svc", b"q", timeout=60)
        question = await service.next_msg(timeout=5)

        nats_cluster.kill(0)
        assert await watch.reconnecting.wait(10)
        for i in range(100, 1100):
            await moving.publish("traffic", str(i))  # buffered while reconnecting
        assert await watch.reconnected.wait(20)
        assert moving.current_server is not None
        assert moving.current_server.port != nats_cluster.servers[0].port
        await moving.flush()
        await question.respond(b"answer")
        await moving.publish("traffic", b"end")  # after the others: one publisher keeps order

        for sub in (on_steady, on_moving):
            got: list[int] = []
            while True:
                data = (await sub.next_msg(timeout=10)).data
                if data == b"end":
                    break
                got.append(int(data))
            assert got == list(range(100, 1100))  # nothing lost, nothing twice, in order
        done = Event()
        request.add_done_callback(lambda f: done.set())
        assert await done.wait(10)
        assert request.result().data == b"answer"
        assert moving.stats.reconnects == 1
    finally:
        await moving.close()
        await steady.close()
