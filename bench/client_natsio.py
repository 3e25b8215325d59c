"""The benchmark cases for natsio 1.0 (JetStream and KV included).

natsio needs Python >= 3.13, so run.py runs it from the peers' virtualenv
(bench/peers.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import natsio
from asyncio_cases import AsyncCases, Counter, run, timed_ops, windowed
from common import (
    JS_CONSUMER,
    JS_PUB_SUBJECT,
    JS_PULL_STREAM,
    KV_BUCKET,
    KV_KEYS,
    Params,
    Result,
    deadline_of,
    na,
    payload,
    rate,
)

BIG = 1 << 40


async def _connect(p: Params) -> Any:
    return await natsio.connect(
        p["url"],
        name="bench",
        allow_reconnect=False,
        pending_msgs_limit=BIG,
        pending_bytes_limit=BIG,
    )


async def _subscribe(nc: Any, subject: str, counter: Counter) -> Any:
    return nc.subscribe(subject, cb=counter.count_msg)


_cases = AsyncCases(_connect, _subscribe)
sub_process = _cases.sub_process
publish_for_2p = _cases.publish_for_2p


async def case_js_pub_sync(p: Params) -> Result:
    nc = await _connect(p)
    js = nc.jetstream()
    data = payload(p["size"])
    try:
        return await timed_ops(p, lambda _: js.publish(JS_PUB_SUBJECT, data))
    finally:
        await nc.close()


async def case_js_pub_async(p: Params) -> Result:
    nc = await _connect(p)
    js = nc.jetstream(publish_async_max_pending=p["window"])
    data = payload(p["size"])
    try:
        return await windowed(p, lambda: js.publish_async(JS_PUB_SUBJECT, data))
    finally:
        await nc.close()


async def _consumer(nc: Any) -> Any:
    stream = await nc.jetstream().stream(JS_PULL_STREAM)
    return await stream.consumer(JS_CONSUMER)


async def case_js_fetch(p: Params) -> Result:
    nc = await _connect(p)
    try:
        consumer = await _consumer(nc)
        deadline = deadline_of(p)
        done = 0
        t0 = time.perf_counter()
        while done < p["n"] and time.perf_counter() < deadline:
            msgs = await consumer.fetch(p["batch"], timeout=5.0)
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
        consumer = await _consumer(nc)
        counter = Counter(p["n"])
        t0 = time.monotonic()
        async with consumer.consume() as messages:

            async def drain() -> None:
                async for msg in messages:
                    await msg.ack()
                    counter.count_msg(msg)
                    if counter.count >= counter.n:
                        return

            try:
                await asyncio.wait_for(drain(), float(p["max_seconds"]))
            except asyncio.TimeoutError:
                pass
            elapsed = (counter.last or time.monotonic()) - t0
        await nc.flush(60)
        res = rate(counter.count, elapsed)
        res["note"] = "consume() iterated (natsio has no callback form)"
        return res
    finally:
        await nc.close()


async def _kv(p: Params, op: str) -> Result:
    nc = await _connect(p)
    try:
        js = nc.jetstream()
        kv = await js.key_value(KV_BUCKET)
        keys = [f"k{i}" for i in range(KV_KEYS)]
        data = payload(p["size"])
        if op == "put":
            return await timed_ops(p, lambda i: kv.put(keys[i % KV_KEYS], data))
        if op == "get":
            return await timed_ops(p, lambda i: kv.get(keys[i % KV_KEYS]))
        stream = await js.stream(f"KV_{KV_BUCKET}")
        subjects = [f"$KV.{KV_BUCKET}.{k}" for k in keys]

        async def get_many(_: int) -> list[Any]:
            return [m async for m in stream.get_last_msgs_for(subjects)]

        res = await timed_ops(p, get_many)
        res["note"] = "Stream.get_last_msgs_for on the bucket's stream (KeyValue has no batch)"
        return res
    finally:
        await nc.close()


CASES: dict[str, Callable[[Params], Result]] = {
    "pub": run(_cases.pub),
    "pubsub_1p": run(_cases.pubsub_1p),
    "req_seq": run(_cases.req_seq),
    "req_conc": run(_cases.req_conc),
    "js_pub_sync": run(case_js_pub_sync),
    "js_pub_async": run(case_js_pub_async),
    "js_batch": lambda p: na("natsio 1.0 has no batch publish (ADR-50)"),
    "js_fetch": run(case_js_fetch),
    "js_consume": run(case_js_consume),
    "kv_put": run(lambda p: _kv(p, "put")),
    "kv_get": run(lambda p: _kv(p, "get")),
    "kv_get_many": run(lambda p: _kv(p, "get_many")),
    "rss": run(_cases.rss),
}
