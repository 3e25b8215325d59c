"""An exception in user code natskit calls is never lost (house rule 14): it
reaches ``error_cb`` as a ``CallbackError`` naming what raised, or, without
one, is reported as an unhandled exception of a task (thread); the
subscription or consumer goes on."""

from __future__ import annotations

import asyncio  # unasync: sync: import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import natskit.aio
from natskit._io_async import Event
from natskit.testing import NatsServer


class Errors:
    """``error_cb`` that records what it gets; ``wait(n)`` for n of them."""

    def __init__(self) -> None:
        self.got: list[Exception] = []
        self._changed = Event()

    def __call__(self, err: Exception) -> None:
        self.got.append(err)
        self._changed.set()

    async def wait(self, count: int) -> list[natskit.CallbackError]:
        while len(self.got) < count:
            self._changed.clear()
            assert await self._changed.wait(5), self.got
        assert all(isinstance(e, natskit.CallbackError) for e in self.got), self.got
        return [e for e in self.got if isinstance(e, natskit.CallbackError)]


@pytest.fixture
async def unhandled() -> AsyncIterator[list[BaseException]]:
    """What is reported as an unhandled exception (of a task; of a thread)."""
    seen: list[BaseException] = []

    def hook(*args: Any) -> None:  # (loop, context) for asyncio; (args,) for threading
        seen.append(args[1]["exception"] if len(args) == 2 else args[0].exc_value)

    asyncio.get_running_loop().set_exception_handler(
        hook
    )  # unasync: sync: before, threading.excepthook = threading.excepthook, hook
    yield seen
    asyncio.get_running_loop().set_exception_handler(
        None
    )  # unasync: sync: threading.excepthook = before


def boom(what: str) -> Callable[..., None]:
    def fail(*_: Any) -> None:
        raise ValueError(f"{what} failed")

    return fail


async def test_a_raising_callback_reaches_error_cb_and_the_subscription_goes_on(
    nats_server: NatsServer,
) -> None:
    errors = Errors()
    handled: list[bytes] = []
    done = Event()

    def on_msg(msg: natskit.aio.Msg) -> None:
        if msg.data == b"bad":
            raise ValueError("cannot handle this")
        handled.append(msg.data)
        done.set()

    async with await natskit.aio.connect(nats_server.url, error_cb=errors) as nc:
        sub = await nc.subscribe("work.*", callback=on_msg)
        await nc.publish("work.1", b"bad")
        await nc.publish("work.2", b"good")
        assert await done.wait(5)
        [err] = await errors.wait(1)
        assert (err.subject, err.sid) == ("work.*", sub.sid)
        assert isinstance(err.__cause__, ValueError)
        assert "cannot handle this" in str(err) and "'work.*'" in str(err)
        assert err.code == "ErrCallback"
        assert handled == [b"good"] and sub.is_active
        assert nc.last_error is None  # the connection itself is fine


async def test_without_error_cb_it_is_an_unhandled_exception(
    nats_server: NatsServer, unhandled: list[BaseException]
) -> None:
    async with await natskit.aio.connect(nats_server.url) as nc:
        await nc.subscribe("lost", callback=boom("the callback"))
        await nc.publish("lost", b"x")
        await nc.flush()
        await nc.drain()  # the callback has run
    [err] = unhandled
    assert isinstance(err, natskit.CallbackError) and isinstance(err.__cause__, ValueError)


async def test_error_cb_and_status_cb_that_raise(
    nats_server: NatsServer, unhandled: list[BaseException]
) -> None:
    errors = Errors()

    def on_status(status: natskit.Status) -> None:
        if status is natskit.Status.CONNECTED:
            raise RuntimeError("status_cb broke")

    nc = await natskit.aio.connect(nats_server.url, error_cb=errors, status_cb=on_status)
    [err] = await errors.wait(1)  # status_cb's failure went to error_cb
    assert isinstance(err.__cause__, RuntimeError) and "on_status" in str(err)
    await nc.close()
    nc = await natskit.aio.connect(nats_server.url, error_cb=boom("error_cb"))
    await nc.subscribe("x", callback=boom("the callback"))
    await nc.publish("x", b"")
    await nc.drain()
    # error_cb failed on the callback's error: that is not sent to error_cb again
    [err2] = unhandled
    assert isinstance(err2, natskit.CallbackError) and "error_cb" in str(err2)
    assert isinstance(err2.__cause__, ValueError) and "error_cb failed" in str(err2.__cause__)


async def test_consumer_watch_and_service_callbacks(jetstream_server: NatsServer) -> None:
    errors = Errors()
    async with await natskit.aio.connect(jetstream_server.url, error_cb=errors) as nc:
        js = nc.jetstream(timeout=5)
        await js.add_stream("S", subjects=["s.>"])
        await js.add_consumer("S", durable_name="D", ack_policy="none")
        kv = await js.create_key_value("B")
        svc = await nc.service("calc", "1.0.0")
        await svc.add_endpoint("add", boom("the handler"))
        await js.consume("S", "D", callback=boom("consume"))
        await js.ordered_consumer("S", boom("ordered"))
        await kv.watch("k", callback=boom("watch"))
        await js.publish("s.1", b"x")
        await kv.put("k", b"v")
        reply = await nc.request("add", b"", timeout=5)
        assert reply.headers.get("Nats-Service-Error-Code") == "500"  # answered all the same
        got = await errors.wait(5)  # the watch callback fails twice: initial-data marker, put
        texts = sorted(str(e.__cause__) for e in got)
        assert texts == sorted(
            f"{w} failed" for w in ("the handler", "consume", "ordered", "watch", "watch")
        )
        assert any("endpoint 'add'" in str(e) for e in got)
        assert any("bucket 'B'" in str(e) for e in got)
