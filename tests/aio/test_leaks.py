"""Nothing of a closed connection stays (house rule 12): objects, threads, tasks,
sockets, memory; and reconnects do not pile anything up (real nats-server)."""

from __future__ import annotations

import asyncio  # unasync: remove
import gc
import logging
import os
import sys
import threading
import time
import tracemalloc
import weakref
from collections.abc import Callable

import pytest

import natskit.aio
from natskit._io_async import sleep, wait_future
from natskit.testing import NatsServer
from tests.aio.conftest import Reconnected


def workers() -> tuple[int, int]:
    """Threads and asyncio tasks alive now."""
    return threading.active_count(), len(
        asyncio.all_tasks()
    )  # unasync: sync: return threading.active_count(), 0


def open_fds() -> int:
    """File descriptors open in this process (Linux; 0 elsewhere)."""
    return len(os.listdir("/proc/self/fd")) if sys.platform == "linux" else 0


async def settle(baseline: tuple[int, int, int], timeout: float = 10.0) -> tuple[int, int, int]:
    """Threads, tasks and fds once they are back to ``baseline`` (or at ``timeout``).

    Threads end a moment after ``close()`` returns (the shared timer thread
    after ``_Timers.IDLE`` seconds idle), so this polls, with a deadline.
    """
    deadline = time.monotonic() + timeout
    while True:
        now = (*workers(), open_fds())
        if all(n <= b for n, b in zip(now, baseline, strict=True)) or time.monotonic() > deadline:
            return now
        await sleep(0.05)


async def prepare(url: str) -> None:
    async with await natskit.aio.connect(url) as nc:
        js = nc.jetstream(timeout=5)
        await js.add_stream("S", subjects=["s.>"])
        await js.add_consumer("S", durable_name="D", ack_policy="explicit")
        await js.create_key_value("B")


async def exercise(nc: natskit.aio.Connection) -> Callable[..., None]:
    """Use every kind of state a connection keeps; return the callback it was given."""

    async def answer(msg: natskit.aio.Msg) -> None:
        await msg.respond(b"ok")

    def ignore(msg: natskit.aio.Msg) -> None:
        pass

    await nc.subscribe("cb", callback=ignore)
    sub = await nc.subscribe("it")
    await nc.subscribe("svc", callback=answer)
    await nc.publish("it", b"hi")
    await sub.next_msg(timeout=2)
    await nc.request("svc", b"q", timeout=2)
    js = nc.jetstream(timeout=5)
    await js.publish("s.1", b"x")
    await (await js.publish_future("s.1", b"y"))
    for msg in await js.fetch("S", "D", 1, timeout=2):
        await msg.ack()
    await js.consume("S", "D", callback=ignore)
    oc = await js.ordered_consumer("S", idle_heartbeat=0.5)
    await oc.next_msg(timeout=2)
    kv = await js.key_value("B")
    await kv.put("k", b"v")
    await kv.get("k")
    watcher = await kv.watch("k")
    await watcher.next_entry(timeout=2)
    await nc.service("svc2", "1.0.0")
    return ignore


async def test_a_closed_connection_and_its_callbacks_are_freed(
    jetstream_server: NatsServer,
) -> None:
    await prepare(jetstream_server.url)
    conns, callbacks = [], []
    for _ in range(5):
        nc = await natskit.aio.connect(jetstream_server.url)
        callbacks.append(weakref.ref(await exercise(nc)))
        await nc.close()
        conns.append(weakref.ref(nc))
    gc.collect()
    # the user still holds the last one: it must not hold what it was given
    assert [r for r in callbacks if r() is not None] == []
    del nc
    gc.collect()
    assert [r for r in conns if r() is not None] == []


async def test_many_connect_close_cycles_leave_nothing(nats_server: NatsServer) -> None:
    async def cycle() -> None:
        nc = await natskit.aio.connect(nats_server.url)
        sub = await nc.subscribe("x")
        await nc.publish("x", b"y" * 1000)
        await sub.next_msg(timeout=2)
        await nc.close()

    await cycle()  # imports, caches, the shared timer thread
    baseline = await settle((*workers(), open_fds()), timeout=0)
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(200):
            await cycle()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 512 * 1024, f"{grown} bytes stay after 200 connect/close cycles"
    assert await settle(baseline) <= baseline


async def test_many_reconnects_leave_nothing(
    nats_server: NatsServer, reconnected: Reconnected, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, "natskit")  # pytest would keep 160 warning records
    nc = await natskit.aio.connect(
        nats_server.url, reconnect_time_wait=0, status_cb=reconnected.on_status
    )
    try:
        sub = await nc.subscribe("x")

        async def reconnect() -> None:
            reconnected.clear()
            drop_socket(nc)
            assert await reconnected.wait(5)
            await nc.publish("x", b"y" * 1000)
            await sub.next_msg(timeout=2)

        tracemalloc.start()  # before the first reconnect: its buffers are traced, then freed
        try:
            await reconnect()
            baseline = await settle((*workers(), open_fds()))
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(80):
                await reconnect()
            # the sockets of lost transports close a moment later
            assert await settle(baseline) <= baseline
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert grown < 128 * 1024, f"{grown} bytes stay after 80 reconnects"
        assert nc.stats.reconnects == 81
    finally:
        await nc.close()


def allocated_in(*files: str) -> int:
    """Bytes traced now whose allocation was made in one of ``files`` (innermost frame)."""
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(True, f"*{os.sep}{name}") for name in files]
    )
    return sum(stat.size for stat in snapshot.statistics("filename"))


async def test_answered_timed_out_and_cancelled_requests_leave_nothing(
    nats_server: NatsServer,
) -> None:
    responder = await natskit.aio.connect(nats_server.url)
    nc = await natskit.aio.connect(nats_server.url)
    try:

        async def answer(msg: natskit.aio.Msg) -> None:
            await msg.respond(b"ok")

        def ignore(msg: natskit.aio.Msg) -> None:
            pass

        await responder.subscribe("svc", callback=answer)
        await responder.subscribe("silent", callback=ignore)
        await responder.flush()

        async def cycle(n: int) -> None:
            futs = [await nc.request_future("svc", b"q", timeout=30) for _ in range(n)]
            for fut in futs:
                assert (await wait_future(fut, 10)).data == b"ok"
            cancelled = [await nc.request_future("silent", b"", timeout=30) for _ in range(n)]
            for fut in cancelled:
                fut.cancel()
            timing_out = [await nc.request_future("silent", b"", timeout=0.01) for _ in range(n)]
            for fut in timing_out:
                with pytest.raises(natskit.TimeoutError):
                    await wait_future(fut, 10)
            await nc.request("svc", b"q", timeout=30)

        await cycle(50)  # the inbox subscription, the timers
        tracemalloc.start()
        try:
            gc.collect()
            # what the request path allocates (the caches of the parser and the
            # encoder churn with every new reply subject, bounded: not counted)
            before = allocated_in("requests.py", "deadlines.py")
            for _ in range(20):
                await cycle(50)
            gc.collect()
            grown = allocated_in("requests.py", "deadlines.py") - before
        finally:
            tracemalloc.stop()
        assert len(nc._replies) == 0
        assert grown < 4096, f"{grown} bytes stay after 3,000 requests"
    finally:
        await nc.close()
        await responder.close()


def drop_socket(nc: natskit.aio.Connection) -> None:
    """Cut the client's TCP connection under it, as a network fault would."""
    transport = nc._transport
    sock = getattr(transport, "_sock", None)  # blocking transport
    if sock is None:
        sock = transport._proto.transport.get_extra_info("socket")
    sock.shutdown(2)  # SHUT_RDWR
