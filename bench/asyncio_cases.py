"""Cases that read the same for every asyncio client (natskit.aio, nats-py, nats-core, natsio).

A client module builds ``AsyncCases(connect, subscribe)`` with its own way to
connect and to subscribe a ``Counter``; everything else is shared, so all
clients run exactly the same loop. ``timed_ops`` and ``windowed`` are the
loops of the JetStream and KV cases; ``run_loop`` runs a case on asyncio's own
event loop or, with ``{"loop": "uvloop"}`` in the parameters, on uvloop.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from common import (
    OTHER_PREFIX,
    PUB_SUBJECT,
    PUBSUB_SUBJECT,
    REQ_SUBJECT,
    Params,
    Result,
    blocks,
    current_rss_mb,
    deadline_of,
    latency,
    payload,
    peak_rss_mb,
    rate,
    start_blaster,
)

Connect = Callable[[Params], Awaitable[Any]]
Subscribe = Callable[[Any, str, "Counter"], Awaitable[Any]]


T = TypeVar("T")


def run_loop(coro: Coroutine[Any, Any, T], p: Params) -> T:
    """Run ``coro`` in a fresh event loop: asyncio's, or uvloop's when ``p["loop"]`` says so."""
    if p.get("loop") == "uvloop":
        import uvloop

        return uvloop.run(coro)
    return asyncio.run(coro)


def run(fn: Callable[[Params], Coroutine[Any, Any, Result]]) -> Callable[[Params], Result]:
    """Run the coroutine case ``fn`` in a fresh event loop."""
    return lambda p: run_loop(fn(p), p)


async def timed_ops(p: Params, op: Callable[[int], Awaitable[Any]]) -> Result:
    """Await ``op(i)`` for i in 0..n-1 (until the deadline): the rate."""
    deadline = deadline_of(p)
    done = 0
    t0 = time.perf_counter()
    for block in blocks(p["n"], deadline):
        for i in range(done, done + block):
            await op(i)
        done += block
    return rate(done, time.perf_counter() - t0)


async def windowed(p: Params, send: Callable[[], Awaitable[Awaitable[Any]]]) -> Result:
    """``send()`` returns an ack to await later; at most ``p["window"]`` are in flight."""
    window = p["window"]
    pending: deque[Awaitable[Any]] = deque()
    deadline = deadline_of(p)
    done = 0
    t0 = time.perf_counter()
    for block in blocks(p["n"], deadline):
        for _ in range(block):
            if len(pending) >= window:
                await pending.popleft()
            pending.append(await send())
        done += block
    for ack in pending:
        await ack
    return rate(done, time.perf_counter() - t0)


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
        return run_loop(self._sub_process(p, ready), p)

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
        return run_loop(self._publish_for_2p(p), p)

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

    async def rss(self, p: Params) -> Result:
        """Peak RSS of this process while a subscriber receives ``n`` messages."""
        nc = await self._connect(p)
        counter = Counter(p["n"])
        await self._subscribe(nc, PUBSUB_SUBJECT, counter)
        await nc.flush(60)
        base = current_rss_mb()
        t0 = time.monotonic()
        blaster = start_blaster(p)
        try:
            await counter.wait(float(p["max_seconds"]))
        finally:
            blaster.kill()
            blaster.wait()
        elapsed = (counter.last or time.monotonic()) - t0
        await nc.close()
        return rate(counter.count, elapsed, rss_peak_mb=peak_rss_mb(), rss_base_mb=base)
