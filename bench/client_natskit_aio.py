"""The benchmark cases for natskit's asyncio API (``natskit.aio``)."""

from __future__ import annotations

import inspect
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from asyncio_cases import AsyncCases, Counter, run
from common import (
    JS_BATCH_SUBJECT,
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
    return await natskit.aio.connect(
        p["url"],
        name="bench",
        pending_msgs_limit=BIG,
        pending_bytes_limit=BIG,
        request_timeout=30.0,
    )


async def _subscribe(nc: Any, subject: str, counter: Counter) -> Any:
    return await nc.subscribe(subject, callback=counter.count_msg)


_cases = AsyncCases(_connect, _subscribe)
sub_process = _cases.sub_process
publish_for_2p = _cases.publish_for_2p


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


async def case_js_batch(p: Params) -> Result:
    nc = await _connect(p)
    try:
        js, lack = _jetstream(nc, "publish_batch")
        if lack:
            return na(f"natskit has no {lack} yet")
        batch = [(JS_BATCH_SUBJECT, payload(p["size"]))] * p["batch"]
        deadline = deadline_of(p)
        done = 0
        t0 = time.perf_counter()
        for block in blocks(p["n"] // p["batch"], deadline):
            for _ in range(block):
                await js.publish_batch(batch)
            done += block * p["batch"]
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
        counter = Counter(p["n"])

        async def on_msg(msg: Any) -> None:
            await msg.ack()
            counter.count_msg(msg)

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
                elif op == "get_many":
                    await kv.get_many(keys)
                else:
                    await kv.get(keys[i % KV_KEYS])
            done += block
        return rate(done, time.perf_counter() - t0)
    finally:
        await nc.close()


async def case_rss(p: Params) -> Result:
    """Peak RSS of this process while a callback receives ``n`` messages."""
    nc = await _connect(p)
    counter = Counter(p["n"])
    sub = await nc.subscribe(PUBSUB_SUBJECT, callback=counter.count_msg)
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
    return rate(
        counter.count, elapsed, rss_peak_mb=peak_rss_mb(), rss_base_mb=base, dropped=dropped
    )


CASES: dict[str, Callable[[Params], Result]] = {
    "pub": run(_cases.pub),
    "pubsub_1p": run(_cases.pubsub_1p),
    "req_seq": run(_cases.req_seq),
    "req_conc": run(_cases.req_conc),
    "js_pub_sync": run(case_js_pub_sync),
    "js_pub_async": run(case_js_pub_async),
    "js_batch": run(case_js_batch),
    "js_fetch": run(case_js_fetch),
    "js_consume": run(case_js_consume),
    "kv_put": run(lambda p: _kv(p, "put")),
    "kv_get": run(lambda p: _kv(p, "get")),
    "kv_get_many": run(lambda p: _kv(p, "get_many")),
    "rss": run(case_rss),
}
