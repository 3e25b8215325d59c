"""Cases that read the same for every asyncio client (natskit.aio, nats-py).

A client module builds ``AsyncCases(connect, subscribe)`` with its own way to
connect and to subscribe a ``Counter``; everything else is shared, so both
clients run exactly the same loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from common import (
    OTHER_PREFIX,
    PUB_SUBJECT,
    PUBSUB_SUBJECT,
    REQ_SUBJECT,
    Params,
    Result,
    blocks,
    deadline_of,
    latency,
    payload,
    rate,
)

Connect = Callable[[Params], Awaitable[Any]]
Subscribe = Callable[[Any, str, "Counter"], Awaitable[Any]]


def run(fn: Callable[[Params], Coroutine[Any, Any, Result]]) -> Callable[[Params], Result]:
    """Run the coroutine case ``fn`` in a fresh event loop."""
    return lambda p: asyncio.run(fn(p))


class Counter:
    """Counts deliveries (``count_msg``) and sets ``done`` at ``n``."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.done = asyncio.Event()

    def count_msg(self, msg: Any) -> None:
        self.count += 1
        if self.count == 1:
            self.first = time.monotonic()
        if self.count >= self.n:
            self.last = time.monotonic()
            self.done.set()

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self.done.wait(), timeout)
        except asyncio.TimeoutError:
            pass


class AsyncCases:
    """The client-neutral cases, bound to one client's connect and subscribe."""

    def __init__(self, connect: Connect, subscribe: Subscribe) -> None:
        self._connect = connect
        self._subscribe = subscribe

    async def pub(self, p: Params) -> Result:
        nc = await self._connect(p)
        data = payload(p["size"])
        publish = nc.publish
        subject = PUB_SUBJECT
        deadline = deadline_of(p)
        sent = 0
        t0 = time.perf_counter()
        for block in blocks(p["n"], deadline):
            for _ in range(block):
                await publish(subject, data)
            sent += block
        await nc.flush(60)
        elapsed = time.perf_counter() - t0
        await nc.close()
        return rate(sent, elapsed)

    async def pubsub_1p(self, p: Params) -> Result:
        """Publisher and callback subscriber on one connection (plus ``extra_subs`` idle ones)."""
        nc = await self._connect(p)
        subject = p.get("subject", PUBSUB_SUBJECT)
        for i in range(p.get("extra_subs", 0)):
            await nc.subscribe(f"{OTHER_PREFIX}.{i}")
        n = p["n"]
        counter = Counter(n)
        await self._subscribe(nc, subject, counter)
        await nc.flush(60)
        data = payload(p["size"])
        publish = nc.publish
        deadline = deadline_of(p)
        t0 = time.monotonic()
        for block in blocks(n, deadline):
            for _ in range(block):
                await publish(subject, data)
        await counter.wait(max(0.0, deadline - time.perf_counter()) + 1.0)
        elapsed = (counter.last or time.monotonic()) - t0
        await nc.close()
        return rate(counter.count, elapsed, ns_per_msg=elapsed / max(1, counter.count) * 1e9)

    async def _sub_process(self, p: Params, ready: Callable[[], None]) -> Result:
        nc = await self._connect(p)
        counter = Counter(p["n"])
        await self._subscribe(nc, PUBSUB_SUBJECT, counter)
        await nc.flush(60)
        ready()
        await counter.wait(float(p["max_seconds"]) + 1.0)
        last = counter.last or time.monotonic()
        await nc.close()
        return {"count": counter.count, "first": counter.first, "last": last}

    def sub_process(self, p: Params, ready: Callable[[], None]) -> Result:
        """Subscriber side of pubsub_2p; times are ``time.monotonic``."""
        return asyncio.run(self._sub_process(p, ready))

    async def _publish_for_2p(self, p: Params) -> float:
        nc = await self._connect(p)
        data = payload(p["size"])
        publish = nc.publish
        t0 = time.monotonic()
        for block in blocks(p["n"], deadline_of(p)):
            for _ in range(block):
                await publish(PUBSUB_SUBJECT, data)
        await nc.flush(60)
        await nc.close()
        return t0

    def publish_for_2p(self, p: Params) -> float:
        """Publisher side of pubsub_2p: the monotonic time it started."""
        return asyncio.run(self._publish_for_2p(p))

    async def req_seq(self, p: Params) -> Result:
        nc = await self._connect(p)
        data = payload(p["size"])
        request = nc.request
        for _ in range(p["warmup"]):
            await request(REQ_SUBJECT, data, timeout=10)
        samples: list[float] = []
        clock = time.perf_counter
        deadline = deadline_of(p)
        t_start = clock()
        for _ in range(p["n"]):
            t0 = clock()
            await request(REQ_SUBJECT, data, timeout=10)
            samples.append(clock() - t0)
            if t0 > deadline:
                break
        elapsed = clock() - t_start
        await nc.close()
        return latency(samples, elapsed)

    async def req_conc(self, p: Params) -> Result:
        nc = await self._connect(p)
        data = payload(p["size"])
        window = p["window"]
        request = nc.request
        deadline = deadline_of(p)
        done = 0
        t0 = time.perf_counter()
        while done < p["n"] and time.perf_counter() < deadline:
            await asyncio.gather(*(request(REQ_SUBJECT, data, timeout=30) for _ in range(window)))
            done += window
        elapsed = time.perf_counter() - t0
        await nc.close()
        return rate(done, elapsed)
