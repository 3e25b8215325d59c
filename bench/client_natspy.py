"""The benchmark cases for nats-py (asyncio), the reference natskit is compared with."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

import nats
from asyncio_cases import AsyncCases, Counter, run
from common import (
    JS_CONSUMER,
    JS_PUB_SUBJECT,
    JS_PULL_STREAM,
    KV_BUCKET,
    KV_KEYS,
    PUBSUB_SUBJECT,
    Params,
    Result,
    blocks,
    current_rss_mb,
    deadline_of,
    na,
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


async def _subscribe(nc: Any, subject: str, counter: Counter) -> Any:
    async def on_msg(msg: Any) -> None:  # nats-py takes coroutine callbacks only
        counter.count_msg(msg)

    return await nc.subscribe(subject, cb=on_msg, pending_msgs_limit=BIG, pending_bytes_limit=BIG)


_cases = AsyncCases(_connect, _subscribe)
sub_process = _cases.sub_process
publish_for_2p = _cases.publish_for_2p


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
    psub = await js.pull_subscribe_bind(
        JS_CONSUMER, stream=JS_PULL_STREAM, pending_msgs_limit=BIG, pending_bytes_limit=BIG
    )
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
    counter = Counter(p["n"])
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
    "pub": run(_cases.pub),
    "pubsub_1p": run(_cases.pubsub_1p),
    "req_seq": run(_cases.req_seq),
    "req_conc": run(_cases.req_conc),
    "js_pub_sync": run(case_js_pub_sync),
    "js_pub_async": run(case_js_pub_async),
    "js_fetch": run(case_js_fetch),
    "js_batch": lambda p: na("nats-py has no batch publish (ADR-50)"),
    "js_consume": run(case_js_consume),
    "kv_put": run(lambda p: _kv(p, "put")),
    "kv_get": run(lambda p: _kv(p, "get")),
    # nats-py has no batched or multi-last direct get: 100 gets would be another case
    "kv_get_many": lambda p: na("nats-py has no batched get (multi-last direct get)"),
    "rss": run(case_rss),
}
