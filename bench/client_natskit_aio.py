"""The benchmark cases for natskit's asyncio API (``natskit.aio``)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from common import (
    JS_CONSUMER,
    JS_PUB_SUBJECT,
    JS_PULL_STREAM,
    KV_BUCKET,
    KV_KEYS,
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
    missing,
    na,
    payload,
    peak_rss_mb,
    rate,
    start_blaster,
)

import natskit.aio

BIG = 1 << 40


async def _connect(p: Params) -> natskit.aio.Connection:
    return await natskit.aio.connect(p["url"], name="bench", pending_msgs_limit=BIG,
                                     pending_bytes_limit=BIG, request_timeout=30.0)


def _sync(fn: Callable[[Params], Coroutine[Any, Any, Result]]) -> Callable[[Params], Result]:
    """Run the coroutine case ``fn`` in a fresh event loop."""
    return lambda p: asyncio.run(fn(p))


async def case_pub(p: Params) -> Result:
    nc = await _connect(p)
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


class _Counter:
    """Counts callback deliveries and sets ``done`` at ``n``."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.done = asyncio.Event()

    def __call__(self, msg: Any) -> None:
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


async def case_pubsub_1p(p: Params) -> Result:
    """Publisher and callback subscriber on one connection (plus ``extra_subs`` idle ones)."""
    nc = await _connect(p)
    subject = p.get("subject", PUBSUB_SUBJECT)
    for i in range(p.get("extra_subs", 0)):
        await nc.subscribe(f"{OTHER_PREFIX}.{i}")
    n = p["n"]
    counter = _Counter(n)
    await nc.subscribe(subject, callback=counter)
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


async def _sub_process(p: Params, ready: Callable[[], None]) -> Result:
    nc = await _connect(p)
    counter = _Counter(p["n"])
    await nc.subscribe(PUBSUB_SUBJECT, callback=counter)
    await nc.flush(60)
    ready()
    await counter.wait(float(p["max_seconds"]) + 1.0)
    last = counter.last or time.monotonic()
    await nc.close()
    return {"count": counter.count, "first": counter.first, "last": last}


def sub_process(p: Params, ready: Callable[[], None]) -> Result:
    """Subscriber side of pubsub_2p; times are ``time.monotonic``."""
    return asyncio.run(_sub_process(p, ready))


async def _publish_for_2p(p: Params) -> float:
    nc = await _connect(p)
    data = payload(p["size"])
    publish = nc.publish
    t0 = time.monotonic()
    for block in blocks(p["n"], deadline_of(p)):
        for _ in range(block):
            await publish(PUBSUB_SUBJECT, data)
    await nc.flush(60)
    await nc.close()
    return t0


def publish_for_2p(p: Params) -> float:
    """Publisher side of pubsub_2p: the monotonic time it started."""
    return asyncio.run(_publish_for_2p(p))


async def case_req_seq(p: Params) -> Result:
    nc = await _connect(p)
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


async def case_req_conc(p: Params) -> Result:
    nc = await _connect(p)
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


def _jetstream(nc: Any, *features: str) -> tuple[Any, str | None]:
    """``nc.jetstream()`` and the first of ``features`` it lacks (None: all there)."""
    if missing(nc, "jetstream"):
        return None, "jetstream()"
    js = nc.jetstream()
    lack = missing(js, *features)
    return js, f"JetStream.{lack}" if lack else None


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def case_js_pub_sync(p: Params) -> Result:
    nc = await _connect(p)
    try:
        js, lack = _jetstream(nc, "publish")
        if lack:
            return na(f"natskit has no {lack} yet")
        data = payload(p["size"])
        deadline = deadline_of(p)
        done = 0
        t0 = time.perf_counter()
        for block in blocks(p["n"], deadline):
            for _ in range(block):
                await js.publish(JS_PUB_SUBJECT, data)
            done += block
        return rate(done, time.perf_counter() - t0)
    finally:
        await nc.close()


async def case_js_pub_async(p: Params) -> Result:
    nc = await _connect(p)
    try:
        js, lack = _jetstream(nc, "publish_async")
        if lack:
            return na(f"natskit has no {lack} yet")
        # publish_async may be a coroutine returning a future (as in nats-py) or a
        # plain method returning an awaitable: the window below bounds both.
        is_coro = inspect.iscoroutinefunction(js.publish_async)
        data = payload(p["size"])
        window = p["window"]
        pending: deque[Awaitable[Any]] = deque()
        deadline = deadline_of(p)
        done = 0
        t0 = time.perf_counter()
        for block in blocks(p["n"], deadline):
            for _ in range(block):
                if len(pending) >= window:
                    await pending.popleft()
                ack = js.publish_async(JS_PUB_SUBJECT, data)
                if is_coro:
                    ack = await ack
                if inspect.isawaitable(ack):
                    pending.append(ack)
            done += block
        for fut in pending:
            await fut
        return rate(done, time.perf_counter() - t0)
    finally:
        await nc.close()


async def case_js_fetch(p: Params) -> Result:
    nc = await _connect(p)
    try:
        js, lack = _jetstream(nc, "fetch")
        if lack:
            return na(f"natskit has no {lack} yet")
        deadline = deadline_of(p)
        done = 0
        t0 = time.perf_counter()
        while done < p["n"] and time.perf_counter() < deadline:
            msgs = await js.fetch(JS_PULL_STREAM, JS_CONSUMER, batch=p["batch"], timeout=5.0)
            for msg in msgs:
                await msg.ack()
            done += len(msgs)
        await nc.flush(60)
        return rate(done, time.perf_counter() - t0)
    finally:
        await nc.close()


async def case_js_consume(p: Params) -> Result:
    nc = await _connect(p)
    try:
        js, lack = _jetstream(nc, "consume")
        if lack:
            return na(f"natskit has no {lack} yet")
        counter = _Counter(p["n"])

        async def on_msg(msg: Any) -> None:
            await msg.ack()
            counter(msg)

        t0 = time.monotonic()
        ctx = await _maybe_await(js.consume(JS_PULL_STREAM, JS_CONSUMER, callback=on_msg))
        await counter.wait(float(p["max_seconds"]))
        elapsed = (counter.last or time.monotonic()) - t0
        await _maybe_await(ctx.stop())
        await nc.flush(60)
        return rate(counter.count, elapsed)
    finally:
        await nc.close()


async def _kv(p: Params, op: str) -> Result:
    nc = await _connect(p)
    try:
        js, lack = _jetstream(nc, "key_value")
        if lack:
            return na(f"natskit has no {lack} yet")
        kv = await _maybe_await(js.key_value(KV_BUCKET))
        if missing(kv, op):
            return na(f"natskit has no KeyValue.{op} yet")
        keys = [f"k{i}" for i in range(KV_KEYS)]
        data = payload(p["size"])
        deadline = deadline_of(p)
        done = 0
        t0 = time.perf_counter()
        for block in blocks(p["n"], deadline):
            for i in range(done, done + block):
                if op == "put":
                    await kv.put(keys[i % KV_KEYS], data)
                else:
                    await kv.get(keys[i % KV_KEYS])
            done += block
        return rate(done, time.perf_counter() - t0)
    finally:
        await nc.close()


async def case_rss(p: Params) -> Result:
    """Peak RSS of this process while a callback receives ``n`` messages."""
    nc = await _connect(p)
    counter = _Counter(p["n"])
    sub = await nc.subscribe(PUBSUB_SUBJECT, callback=counter)
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
    dropped = sub.dropped
    await nc.close()
    return rate(counter.count, elapsed, rss_peak_mb=peak_rss_mb(), rss_base_mb=base,
                dropped=dropped)


CASES: dict[str, Callable[[Params], Result]] = {
    "pub": _sync(case_pub),
    "pubsub_1p": _sync(case_pubsub_1p),
    "req_seq": _sync(case_req_seq),
    "req_conc": _sync(case_req_conc),
    "js_pub_sync": _sync(case_js_pub_sync),
    "js_pub_async": _sync(case_js_pub_async),
    "js_fetch": _sync(case_js_fetch),
    "js_consume": _sync(case_js_consume),
    "kv_put": _sync(lambda p: _kv(p, "put")),
    "kv_get": _sync(lambda p: _kv(p, "get")),
    "rss": _sync(case_rss),
}
