"""The benchmark cases for nats-core 0.2 (with nats-jetstream 0.3 and nats-key-value 0.1).

These need Python >= 3.13 and install a package named ``nats`` (as nats-py
does), so run.py runs them from a virtualenv of their own (bench/peers.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from asyncio_cases import AsyncCases, Counter, run, timed_ops
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
from nats import jetstream, key_value
from nats.client import connect

# The ADR-37 default of consume(); nats-core's own default for messages() is 100.
CONSUME_BATCH = 500
_readers: set[asyncio.Task[None]] = set()


async def _connect(p: Params) -> Any:
    return await connect(p["url"], allow_reconnect=False)


async def _subscribe(nc: Any, subject: str, counter: Counter) -> Any:
    """nats-core queues every message of a subscription (callbacks see them too, but
    the queue is filled all the same), so the subscriber is a task that iterates it."""
    sub = await nc.subscribe(subject, max_pending_messages=None, max_pending_bytes=None)

    async def drain() -> None:
        async for msg in sub:
            counter.count_msg(msg)

    _readers.add(asyncio.create_task(drain()))  # ends when the subscription closes
    return sub


_cases = AsyncCases(_connect, _subscribe)
sub_process = _cases.sub_process
publish_for_2p = _cases.publish_for_2p


async def case_js_pub_sync(p: Params) -> Result:
    nc = await _connect(p)
    js = jetstream.new(nc)
    data = payload(p["size"])
    try:
        return await timed_ops(p, lambda _: js.publish(JS_PUB_SUBJECT, data))
    finally:
        await nc.close()


async def case_js_fetch(p: Params) -> Result:
    nc = await _connect(p)
    try:
        consumer = await jetstream.new(nc).get_consumer(JS_PULL_STREAM, JS_CONSUMER)
        deadline = deadline_of(p)
        done = 0
        t0 = time.perf_counter()
        while done < p["n"] and time.perf_counter() < deadline:
            batch = await consumer.fetch(max_messages=p["batch"], max_wait=5.0)
            async for msg in batch:
                await msg.ack()
                done += 1
        await nc.flush(60)
        return rate(done, time.perf_counter() - t0)
    finally:
        await nc.close()


async def case_js_consume(p: Params) -> Result:
    nc = await _connect(p)
    try:
        consumer = await jetstream.new(nc).get_consumer(JS_PULL_STREAM, JS_CONSUMER)
        counter = Counter(p["n"])
        t0 = time.monotonic()
        stream = await consumer.messages(max_messages=CONSUME_BATCH)

        async def drain() -> None:
            async for msg in stream:
                await msg.ack()
                counter.count_msg(msg)
                if counter.count >= counter.n:
                    return

        try:
            await asyncio.wait_for(drain(), float(p["max_seconds"]))
        except asyncio.TimeoutError:
            pass
        elapsed = (counter.last or time.monotonic()) - t0
        await stream.stop()
        await nc.flush(60)
        res = rate(counter.count, elapsed)
        res["note"] = f"messages(max_messages={CONSUME_BATCH}) iterated"
        return res
    finally:
        await nc.close()


async def _kv(p: Params, op: str) -> Result:
    nc = await _connect(p)
    try:
        kv = await key_value.key_value(jetstream.new(nc), KV_BUCKET)
        keys = [f"k{i}" for i in range(KV_KEYS)]
        data = payload(p["size"])
        if op == "put":
            return await timed_ops(p, lambda i: kv.put(keys[i % KV_KEYS], data))
        return await timed_ops(p, lambda i: kv.get(keys[i % KV_KEYS]))
    finally:
        await nc.close()


CASES: dict[str, Callable[[Params], Result]] = {
    "pub": run(_cases.pub),
    "pubsub_1p": run(_cases.pubsub_1p),
    "req_seq": run(_cases.req_seq),
    "req_conc": run(_cases.req_conc),
    "js_pub_sync": run(case_js_pub_sync),
    "js_pub_async": lambda p: na("nats-jetstream 0.3 has no asynchronous publish"),
    "js_batch": lambda p: na("nats-jetstream 0.3 has no batch publish (ADR-50)"),
    "js_fetch": run(case_js_fetch),
    "js_consume": run(case_js_consume),
    "kv_put": run(lambda p: _kv(p, "put")),
    "kv_get": run(lambda p: _kv(p, "get")),
    "kv_get_many": lambda p: na("nats-key-value 0.1 has no batched get (multi-last direct get)"),
    "rss": run(_cases.rss),
}
