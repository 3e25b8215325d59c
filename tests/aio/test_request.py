"""Request/reply: shared inbox, futures, gathering many replies, error rows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import natskit.aio
from natskit._io_async import Event
from natskit.testing import NatsServer


@pytest.fixture
async def nc(nats_server: NatsServer) -> AsyncIterator[natskit.aio.Connection]:
    conn = await natskit.aio.connect(nats_server.url)
    yield conn
    await conn.close()


async def echo_service(
    nc: natskit.aio.Connection, subject: str = "svc", copies: int = 1
) -> natskit.aio.Subscription:
    async def handler(msg: natskit.aio.Msg) -> None:
        for i in range(copies):
            await msg.respond(msg.data + str(i).encode() if copies > 1 else msg.data.upper())

    sub = await nc.subscribe(subject, callback=handler)
    await nc.flush()
    return sub


async def test_request_reply(nc: natskit.aio.Connection) -> None:
    await echo_service(nc)
    reply = await nc.request("svc", b"hello", timeout=2)
    assert reply.data == b"HELLO"
    assert reply.subject.startswith("_INBOX.")


async def test_requests_share_one_inbox_subscription(nc: natskit.aio.Connection) -> None:
    await echo_service(nc)
    first = await nc.request("svc", b"a", timeout=2)
    second = await nc.request("svc", b"b", timeout=2)
    assert first.subject.rsplit(".", 1)[0] == second.subject.rsplit(".", 1)[0]
    assert first.subject != second.subject
    # one user subscription plus the shared response subscription
    assert len(nc._router) == 2


async def test_request_headers_reach_responder(nc: natskit.aio.Connection) -> None:
    async def handler(msg: natskit.aio.Msg) -> None:
        await msg.respond(msg.headers.get("Q", "none"), headers={"A": "1"})

    await nc.subscribe("hdr", callback=handler)
    reply = await nc.request("hdr", b"", headers={"Q": "yes"}, timeout=2)
    assert reply.data == b"yes"
    assert reply.headers["A"] == "1"


async def test_request_msg(nc: natskit.aio.Connection) -> None:
    await echo_service(nc)
    reply = await nc.request_msg(natskit.aio.Msg("svc", b"abc"), timeout=2)
    assert reply.data == b"ABC"


async def test_request_timeout(nc: natskit.aio.Connection) -> None:
    await nc.subscribe("silent")  # a responder that never answers
    with pytest.raises(natskit.TimeoutError) as info:
        await nc.request("silent", b"", timeout=0.2)
    assert info.value.code == "ErrTimeout"
    assert len(nc._replies) == 0


async def test_request_no_responders(nc: natskit.aio.Connection) -> None:
    with pytest.raises(natskit.NoRespondersError) as info:
        await nc.request("nobody.home", b"", timeout=2)
    assert info.value.code == "ErrNoResponders"


async def test_request_default_timeout_option(nats_server: NatsServer) -> None:
    async with await natskit.aio.connect(nats_server.url, request_timeout=0.1) as nc:
        await nc.subscribe("silent2")
        with pytest.raises(natskit.TimeoutError):
            await nc.request("silent2", b"")


async def test_request_bad_timeout(nc: natskit.aio.Connection) -> None:
    with pytest.raises(natskit.BadTimeoutError):
        await nc.request("svc", b"", timeout=-1)


async def test_responder_on_another_connection(
    nc: natskit.aio.Connection, nats_server: NatsServer
) -> None:
    async with await natskit.aio.connect(nats_server.url) as other:
        await echo_service(other, "remote")
        for i in range(20):
            reply = await nc.request("remote", str(i), timeout=2)
            assert reply.data == str(i).encode()


async def test_request_future_resolves(nc: natskit.aio.Connection) -> None:
    await echo_service(nc)
    fut = await nc.request_future("svc", b"fut", timeout=2)
    done = Event()
    fut.add_done_callback(lambda f: done.set())
    assert await done.wait(5)
    assert fut.result().data == b"FUT"


async def test_request_future_times_out_on_its_own(nc: natskit.aio.Connection) -> None:
    await nc.subscribe("silent3")
    fut = await nc.request_future("silent3", b"", timeout=0.1)
    done = Event()
    fut.add_done_callback(lambda f: done.set())
    assert await done.wait(5)
    assert isinstance(fut.exception(), natskit.TimeoutError)
    assert len(nc._replies) == 0


async def test_request_future_cancel(nc: natskit.aio.Connection) -> None:
    got = Event()

    async def slow(msg: natskit.aio.Msg) -> None:
        got.set()

    await nc.subscribe("slowsvc", callback=slow)
    fut = await nc.request_future("slowsvc", b"", timeout=5)
    assert fut.cancel()
    assert fut.cancelled()
    await nc.flush()  # asyncio runs done-callbacks on the next loop iteration
    assert len(nc._replies) == 0
    assert await got.wait(5)


async def test_close_fails_pending_request_futures(nats_server: NatsServer) -> None:
    nc = await natskit.aio.connect(nats_server.url)
    await nc.subscribe("never")
    fut = await nc.request_future("never", b"", timeout=10)
    await nc.close()
    assert isinstance(fut.exception(), natskit.ConnectionClosedError)


async def test_request_many_gathers_until_max_msgs(nc: natskit.aio.Connection) -> None:
    await echo_service(nc, "multi", copies=5)
    replies = await nc.request_many("multi", b"r", timeout=2, max_msgs=3)
    assert [r.data for r in replies] == [b"r0", b"r1", b"r2"]


async def test_request_many_returns_what_arrived_on_timeout(nc: natskit.aio.Connection) -> None:
    await echo_service(nc, "multi2", copies=4)
    replies = await nc.request_many("multi2", b"r", timeout=0.5)
    assert [r.data for r in replies] == [b"r0", b"r1", b"r2", b"r3"]


async def test_request_many_stall_ends_early(nc: natskit.aio.Connection) -> None:
    await echo_service(nc, "multi3", copies=2)
    replies = await nc.request_many("multi3", b"r", timeout=30, stall=0.2)
    assert len(replies) == 2


async def test_request_many_nothing_arrives(nc: natskit.aio.Connection) -> None:
    await nc.subscribe("silent4")
    with pytest.raises(natskit.TimeoutError):
        await nc.request_many("silent4", b"", timeout=0.2, max_msgs=3)


async def test_request_many_no_responders(nc: natskit.aio.Connection) -> None:
    with pytest.raises(natskit.NoRespondersError):
        await nc.request_many("nobody", b"", timeout=2, max_msgs=3)


async def test_iter_request_many_yields_as_they_come(nc: natskit.aio.Connection) -> None:
    await echo_service(nc, "multi4", copies=3)
    got = [m.data async for m in nc.iter_request_many("multi4", b"x", timeout=2, max_msgs=3)]
    assert got == [b"x0", b"x1", b"x2"]


async def test_callback_may_make_requests(nc: natskit.aio.Connection) -> None:
    """A callback runs off the reader, so it can wait for another reply."""
    await echo_service(nc, "inner")
    answers: list[bytes] = []
    done = Event()

    async def outer(msg: natskit.aio.Msg) -> None:
        reply = await nc.request("inner", msg.data, timeout=2)
        answers.append(reply.data)
        done.set()

    await nc.subscribe("outer", callback=outer)
    await nc.publish("outer", b"nested")
    assert await done.wait(5)
    assert answers == [b"NESTED"]


async def test_respond_without_reply_subject(nc: natskit.aio.Connection) -> None:
    sub = await nc.subscribe("noreply")
    await nc.publish("noreply", b"x")
    msg = await sub.next_msg(timeout=2)
    with pytest.raises(natskit.InvalidArgError):
        await msg.respond(b"y")
