"""The benchmark cases for natskit's blocking API (``natskit``)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from common import (
    JS_BATCH_SUBJECT,
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

import natskit

BIG = 1 << 40


def _connect(p: Params) -> natskit.Connection:
    return natskit.connect(
        p["url"],
        name="bench",
        pending_msgs_limit=BIG,
        pending_bytes_limit=BIG,
        request_timeout=30.0,
    )


def case_pub(p: Params) -> Result:
    nc = _connect(p)
    data = payload(p["size"])
    publish = nc.publish
    subject = PUB_SUBJECT
    deadline = deadline_of(p)
    sent = 0
    t0 = time.perf_counter()
    for block in blocks(p["n"], deadline):
        for _ in range(block):
            publish(subject, data)
        sent += block
    nc.flush(60)
    elapsed = time.perf_counter() - t0
    nc.close()
    return rate(sent, elapsed)


class _Counter:
    """Counts callback deliveries and sets ``done`` at ``n``."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.done = threading.Event()

    def __call__(self, msg: Any) -> None:
        self.count += 1
        if self.count == 1:
            self.first = time.monotonic()
        if self.count >= self.n:
            self.last = time.monotonic()
            self.done.set()


def case_pubsub_1p(p: Params) -> Result:
    """Publisher and callback subscriber on one connection (plus ``extra_subs`` idle ones)."""
    nc = _connect(p)
    subject = p.get("subject", PUBSUB_SUBJECT)
    for i in range(p.get("extra_subs", 0)):
        nc.subscribe(f"{OTHER_PREFIX}.{i}")
    n = p["n"]
    counter = _Counter(n)
    nc.subscribe(subject, callback=counter)
    nc.flush(60)
    data = payload(p["size"])
    publish = nc.publish
    deadline = deadline_of(p)
    t0 = time.monotonic()
    for block in blocks(n, deadline):
        for _ in range(block):
            publish(subject, data)
    counter.done.wait(max(0.0, deadline - time.perf_counter()) + 1.0)
    elapsed = (counter.last or time.monotonic()) - t0
    nc.close()
    return rate(counter.count, elapsed, ns_per_msg=elapsed / max(1, counter.count) * 1e9)


def sub_process(p: Params, ready: Callable[[], None]) -> Result:
    """Subscriber side of pubsub_2p; times are ``time.monotonic``."""
    nc = _connect(p)
    counter = _Counter(p["n"])
    nc.subscribe(PUBSUB_SUBJECT, callback=counter)
    nc.flush(60)
    ready()
    counter.done.wait(float(p["max_seconds"]) + 1.0)
    last = counter.last or time.monotonic()
    nc.close()
    return {"count": counter.count, "first": counter.first, "last": last}


def publish_for_2p(p: Params) -> float:
    """Publisher side of pubsub_2p: the monotonic time it started."""
    nc = _connect(p)
    data = payload(p["size"])
    publish = nc.publish
    t0 = time.monotonic()
    for block in blocks(p["n"], deadline_of(p)):
        for _ in range(block):
            publish(PUBSUB_SUBJECT, data)
    nc.flush(60)
    nc.close()
    return t0


def case_req_seq(p: Params) -> Result:
    nc = _connect(p)
    data = payload(p["size"])
    request = nc.request
    for _ in range(p["warmup"]):
        request(REQ_SUBJECT, data, timeout=10)
    samples: list[float] = []
    clock = time.perf_counter
    deadline = deadline_of(p)
    t_start = clock()
    for _ in range(p["n"]):
        t0 = clock()
        request(REQ_SUBJECT, data, timeout=10)
        samples.append(clock() - t0)
        if t0 > deadline:
            break
    elapsed = clock() - t_start
    nc.close()
    return latency(samples, elapsed)


def case_req_conc(p: Params) -> Result:
    nc = _connect(p)
    data = payload(p["size"])
    window = p["window"]
    request_future = nc.request_future
    deadline = deadline_of(p)
    done = 0
    t0 = time.perf_counter()
    while done < p["n"] and time.perf_counter() < deadline:
        futures = [request_future(REQ_SUBJECT, data, timeout=30) for _ in range(window)]
        for fut in futures:
            fut.result(30)
        done += window
    elapsed = time.perf_counter() - t0
    nc.close()
    return rate(done, elapsed)


def _jetstream(nc: Any, *features: str) -> tuple[Any, str | None]:
    """``nc.jetstream()`` and the first of ``features`` it lacks (None: all there)."""
    if missing(nc, "jetstream"):
        return None, "jetstream()"
    js = nc.jetstream()
    lack = missing(js, *features)
    return js, f"JetStream.{lack}" if lack else None


def case_js_pub_sync(p: Params) -> Result:
    nc = _connect(p)
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
                js.publish(JS_PUB_SUBJECT, data)
            done += block
        return rate(done, time.perf_counter() - t0)
    finally:
        nc.close()


def case_js_pub_async(p: Params) -> Result:
    nc = _connect(p)
    try:
        js, lack = _jetstream(nc, "publish_future")
        if lack:
            return na(f"natskit has no {lack} yet")
        data = payload(p["size"])
        window = p["window"]
        pending: deque[Any] = deque()
        deadline = deadline_of(p)
        done = 0
        t0 = time.perf_counter()
        for block in blocks(p["n"], deadline):
            for _ in range(block):
                if len(pending) >= window:
                    pending.popleft().result(30)
                pending.append(js.publish_future(JS_PUB_SUBJECT, data))
            done += block
        for fut in pending:
            fut.result(30)
        return rate(done, time.perf_counter() - t0)
    finally:
        nc.close()


def case_js_batch(p: Params) -> Result:
    nc = _connect(p)
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
                js.publish_batch(batch)
            done += block * p["batch"]
        return rate(done, time.perf_counter() - t0)
    finally:
        nc.close()


def case_js_fetch(p: Params) -> Result:
    nc = _connect(p)
    try:
        js, lack = _jetstream(nc, "fetch")
        if lack:
            return na(f"natskit has no {lack} yet")
        deadline = deadline_of(p)
        done = 0
        t0 = time.perf_counter()
        while done < p["n"] and time.perf_counter() < deadline:
            msgs = js.fetch(JS_PULL_STREAM, JS_CONSUMER, batch=p["batch"], timeout=5.0)
            for msg in msgs:
                msg.ack()
            done += len(msgs)
        nc.flush(60)
        return rate(done, time.perf_counter() - t0)
    finally:
        nc.close()


def case_js_consume(p: Params) -> Result:
    nc = _connect(p)
    try:
        js, lack = _jetstream(nc, "consume")
        if lack:
            return na(f"natskit has no {lack} yet")
        counter = _Counter(p["n"])

        def on_msg(msg: Any) -> None:
            msg.ack()
            counter(msg)

        t0 = time.monotonic()
        ctx = js.consume(JS_PULL_STREAM, JS_CONSUMER, callback=on_msg)
        counter.done.wait(float(p["max_seconds"]))
        elapsed = (counter.last or time.monotonic()) - t0
        ctx.stop()
        nc.flush(60)
        return rate(counter.count, elapsed)
    finally:
        nc.close()


def _kv(p: Params, op: str) -> Result:
    nc = _connect(p)
    try:
        js, lack = _jetstream(nc, "key_value")
        if lack:
            return na(f"natskit has no {lack} yet")
        kv = js.key_value(KV_BUCKET)
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
                    kv.put(keys[i % KV_KEYS], data)
                elif op == "get_many":
                    kv.get_many(keys)
                else:
                    kv.get(keys[i % KV_KEYS])
            done += block
        return rate(done, time.perf_counter() - t0)
    finally:
        nc.close()


def case_rss(p: Params) -> Result:
    """Peak RSS of this process while a callback receives ``n`` messages."""
    nc = _connect(p)
    counter = _Counter(p["n"])
    sub = nc.subscribe(PUBSUB_SUBJECT, callback=counter)
    nc.flush(60)
    base = current_rss_mb()
    t0 = time.monotonic()
    blaster = start_blaster(p)
    try:
        counter.done.wait(float(p["max_seconds"]))
    finally:
        blaster.kill()
        blaster.wait()
    elapsed = (counter.last or time.monotonic()) - t0
    dropped = sub.dropped
    nc.close()
    return rate(
        counter.count, elapsed, rss_peak_mb=peak_rss_mb(), rss_base_mb=base, dropped=dropped
    )


CASES: dict[str, Callable[[Params], Result]] = {
    "pub": case_pub,
    "pubsub_1p": case_pubsub_1p,
    "req_seq": case_req_seq,
    "req_conc": case_req_conc,
    "js_pub_sync": case_js_pub_sync,
    "js_pub_async": case_js_pub_async,
    "js_batch": case_js_batch,
    "js_fetch": case_js_fetch,
    "js_consume": case_js_consume,
    "kv_put": lambda p: _kv(p, "put"),
    "kv_get": lambda p: _kv(p, "get"),
    "kv_get_many": lambda p: _kv(p, "get_many"),
    "rss": case_rss,
}
