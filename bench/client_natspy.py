"""The benchmark cases for nats-py (asyncio), the reference natskit is compared with."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

import nats
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
    payload,
    peak_rss_mb,
    rate,
    start_blaster,
)

BIG = 1 << 40
# nats-py has no continuous pull (consume); the closest is a fetch loop of this size,
# the default batch of ADR-37 consume().
CONSUME_BATCH = 500


async def _connect(p: Params) -> Any:
    return await nats.connect(p["url"], name="bench", allow_reconnect=False)


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

    async def __call__(self, msg: Any) -> None:
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


async def _subscribe(nc: Any, subject: str, counter: _Counter) -> Any:
    return await nc.subscribe(subject, cb=counter.__call__, pending_msgs_limit=BIG,
                              pending_bytes_limit=BIG)


async def case_pubsub_1p(p: Params) -> Result:
    """Publisher and callback subscriber on one connection (plus ``extra_subs`` idle ones)."""
    nc = await _connect(p)
    subject = p.get("subject", PUBSUB_SUBJECT)
    for i in range(p.get("extra_subs", 0)):
        await nc.subscribe(f"{OTHER_PREFIX}.{i}")
    n = p["n"]
    counter = _Counter(n)
    await _subscribe(nc, subject, counter)
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
    await _subscribe(nc, PUBSUB_SUBJECT, counter)
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


async def case_js_pub_sync(p: Params) -> Result:
    nc = await _connect(p)
    js = nc.jetstream()
    data = payload(p["size"])
    deadline = deadline_of(p)
    done = 0
    t0 = time.perf_counter()
    for block in blocks(p["n"], deadline):
        for _ in range(block):
            await js.publish(JS_PUB_SUBJECT, data)
        done += block
    elapsed = time.perf_counter() - t0
    await nc.close()
    return rate(done, elapsed)


async def case_js_pub_async(p: Params) -> Result:
    nc = await _connect(p)
    window = p["window"]
    js = nc.jetstream(publish_async_max_pending=window)
    data = payload(p["size"])
    pending: deque[Any] = deque()
    deadline = deadline_of(p)
    done = 0
    t0 = time.perf_counter()
    for block in blocks(p["n"], deadline):
        for _ in range(block):
            if len(pending) >= window:
                await pending.popleft()
            pending.append(await js.publish_async(JS_PUB_SUBJECT, data))
        done += block
    for fut in pending:
        await fut
    elapsed = time.perf_counter() - t0
    await nc.close()
    return rate(done, elapsed)


async def _fetch_loop(p: Params, batch: int) -> Result:
    nc = await _connect(p)
    js = nc.jetstream()
    psub = await js.pull_subscribe_bind(JS_CONSUMER, stream=JS_PULL_STREAM,
                                        pending_msgs_limit=BIG, pending_bytes_limit=BIG)
    deadline = deadline_of(p)
    done = 0
    t0 = time.perf_counter()
    while done < p["n"] and time.perf_counter() < deadline:
        msgs = await psub.fetch(min(batch, p["n"] - done), timeout=5.0)
        for msg in msgs:
            await msg.ack()
        done += len(msgs)
    await nc.flush(60)
    elapsed = time.perf_counter() - t0
    await nc.close()
    return rate(done, elapsed)


async def case_js_fetch(p: Params) -> Result:
    return await _fetch_loop(p, p["batch"])


async def case_js_consume(p: Params) -> Result:
    res = await _fetch_loop(p, CONSUME_BATCH)
    res["note"] = f"nats-py has no consume(): fetch({CONSUME_BATCH}) loop"
    return res


async def _kv(p: Params, op: str) -> Result:
    nc = await _connect(p)
    js = nc.jetstream()
    kv = await js.key_value(KV_BUCKET)
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
    elapsed = time.perf_counter() - t0
    await nc.close()
    return rate(done, elapsed)


async def case_rss(p: Params) -> Result:
    """Peak RSS of this process while a callback receives ``n`` messages."""
    nc = await _connect(p)
    counter = _Counter(p["n"])
    await _subscribe(nc, PUBSUB_SUBJECT, counter)
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
