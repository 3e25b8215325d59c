"""subscribe(..., concurrency=N): up to N callbacks of one subscription at once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import natskit.aio
from natskit._io_async import Event, StateLock, spawn
from natskit.testing import NatsServer


class InFlight:
    """Counts the callbacks running at once; they wait for ``release``."""

    def __init__(self, until: int, total: int) -> None:
        self.lock = StateLock()
        self.now = self.most = self.done = 0
        self.until = until
        self.total = total
        self.reached = Event()
        self.release = Event()
        self.finished = Event()
        self.seen: list[bytes] = []

    async def __call__(self, msg: natskit.aio.Msg) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
            if self.now >= self.until:
                self.reached.set()
        await self.release.wait(10)
        with self.lock:
            self.now -= 1
            self.done += 1
            self.seen.append(msg.data)
            if self.done == self.total:
                self.finished.set()


async def test_up_to_n_callbacks_run_at_once(nats_server: NatsServer) -> None:
    async with natskit.aio.connect(nats_server.url) as nc:
        flight = InFlight(until=3, total=6)
        await nc.subscribe("conc", callback=flight, concurrency=3)
        for i in range(6):
            await nc.publish("conc", str(i))
        await nc.flush()
        assert await flight.reached.wait(10)  # three at once, though none returned
        assert flight.most == 3
        flight.release.set()
        assert await flight.finished.wait(10)
        assert flight.most == 3  # never more than three
        assert sorted(flight.seen) == [str(i).encode() for i in range(6)]


async def test_the_default_runs_one_at_a_time_in_order(nats_server: NatsServer) -> None:
    async with natskit.aio.connect(nats_server.url) as nc:
        got: list[bytes] = []
        lock = StateLock()
        running = [0, 0]  # now, most
        done = Event()

        async def one(msg: natskit.aio.Msg) -> None:
            with lock:
                running[0] += 1
                running[1] = max(running)
            got.append(msg.data)
            with lock:
                running[0] -= 1
            if len(got) == 50:
                done.set()

        await nc.subscribe("seq", callback=one)
        for i in range(50):
            await nc.publish("seq", str(i))
        assert await done.wait(10)
        assert got == [str(i).encode() for i in range(50)]
        assert running[1] == 1


async def test_drain_waits_for_every_running_callback(nats_server: NatsServer) -> None:
    async with natskit.aio.connect(nats_server.url) as nc:
        flight = InFlight(until=2, total=4)
        sub = await nc.subscribe("drain.c", callback=flight, concurrency=2)
        for i in range(4):
            await nc.publish("drain.c", str(i))
        await nc.flush()
        assert await flight.reached.wait(10)

        async def drain() -> None:
            await sub.drain(timeout=10)

        task = spawn(drain, name="drain")
        flight.release.set()
        await task.join()
        assert flight.done == 4  # drained: every callback, on both lanes, has returned
        assert not sub.is_active


async def test_bad_concurrency_is_refused_before_subscribing(
    nats_server_factory: Callable[..., NatsServer],
) -> None:
    server = nats_server_factory(monitor=True)
    async with natskit.aio.connect(server.url) as nc:

        async def cb(msg: natskit.aio.Msg) -> None:
            pass

        for bad in (0, -1, "2", True, 1.5):
            with pytest.raises(natskit.InvalidArgError, match="concurrency must be an integer"):
                await nc.subscribe("x", callback=cb, concurrency=bad)  # type: ignore[arg-type]
        with pytest.raises(natskit.InvalidArgError, match="with a callback"):
            await nc.subscribe("x", concurrency=2)
        await nc.flush()
        (conn,) = server.monitor("connz")["connections"]
        assert conn["subscriptions"] == 0  # nothing was sent
