"""The Service API (ADR-32): endpoints, groups, queue groups, discovery, errors, stats."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import natskit.aio
from natskit._io_async import Event, monotonic, sleep, wait_future
from natskit.testing import NatsServer


@pytest.fixture
async def nc(nats_server: NatsServer) -> AsyncIterator[natskit.aio.Connection]:
    errors: list[Exception] = []  # handlers here fail on purpose (CallbackErrors)
    conn = await natskit.aio.connect(nats_server.url, error_cb=errors.append)
    yield conn
    await conn.close()
    assert all(isinstance(e, natskit.CallbackError) for e in errors), errors


async def add(req: natskit.aio.ServiceRequest) -> None:
    await req.respond_json(sum(json.loads(req.data)))


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``condition`` (stats are counted just after the handler answered)."""
    deadline = monotonic() + timeout
    while not condition():
        assert monotonic() < deadline, "condition not met in time"
        await sleep(0.005)


async def ask(nc: natskit.aio.Connection, subject: str, payload: bytes = b"") -> Any:
    return json.loads((await nc.request(subject, payload, timeout=2)).data)


async def test_an_endpoint_answers_and_discovery_describes_it(nc: natskit.aio.Connection) -> None:
    svc = await nc.service("calc", "1.2.0", description="adds numbers", metadata={"team": "a"})
    ep = await svc.add_endpoint("add", add, metadata={"unit": "none"})
    assert (ep.subject, ep.queue_group) == ("add", "q")
    assert await ask(nc, "add", b"[1, 2, 3]") == 6

    ident = {"name": "calc", "id": svc.id, "version": "1.2.0", "metadata": {"team": "a"}}
    for subject in ("$SRV.PING", "$SRV.PING.calc", f"$SRV.PING.calc.{svc.id}"):
        assert await ask(nc, subject) == {"type": "io.nats.micro.v1.ping_response", **ident}
    info = await ask(nc, f"$SRV.INFO.calc.{svc.id}")
    assert info == {
        "type": "io.nats.micro.v1.info_response",
        **ident,
        "description": "adds numbers",
        "endpoints": [
            {"name": "add", "subject": "add", "queue_group": "q", "metadata": {"unit": "none"}}
        ],
    }
    await until(lambda: ep.stats.num_requests == 1)
    stats = await ask(nc, "$SRV.STATS.calc")
    assert stats["type"] == "io.nats.micro.v1.stats_response"
    assert natskit.parse_time(stats["started"]).tzinfo is not None
    [row] = stats["endpoints"]
    assert (row["name"], row["subject"], row["queue_group"]) == ("add", "add", "q")
    assert (row["num_requests"], row["num_errors"], row["last_error"]) == (1, 0, "")
    assert row["processing_time"] > 0
    assert row["average_processing_time"] == row["processing_time"]
    assert "data" not in row
    assert svc.info() == info


async def test_errors_reach_the_requester_and_the_stats(nc: natskit.aio.Connection) -> None:
    async def handler(req: natskit.aio.ServiceRequest) -> None:
        kind = req.data
        if kind == b"explicit":
            await req.respond_error(400, "bad input", b"details", headers={"X-Trace": "1"})
        elif kind == b"service":
            raise natskit.ServiceError(418, "a teapot")
        else:
            raise ValueError("boom")

    svc = await nc.service("errs", "0.1.0")
    ep = await svc.add_endpoint("fail", handler)
    reply = await nc.request("fail", b"explicit", timeout=2)
    assert reply.data == b"details"
    assert reply.headers["Nats-Service-Error-Code"] == "400"
    assert reply.headers["Nats-Service-Error"] == "bad input"
    assert reply.headers["X-Trace"] == "1"
    reply = await nc.request("fail", b"service", timeout=2)
    assert (reply.headers["Nats-Service-Error-Code"], reply.headers["Nats-Service-Error"]) == (
        "418",
        "a teapot",
    )
    reply = await nc.request("fail", b"other", timeout=2)
    assert (reply.headers["Nats-Service-Error-Code"], reply.headers["Nats-Service-Error"]) == (
        "500",
        "boom",
    )
    await until(lambda: ep.stats.num_requests == 3)
    assert (ep.stats.num_errors, ep.stats.last_error) == (3, "500:boom")

    await nc.publish("fail", b"service")  # no reply subject: counted, nobody to tell
    await until(lambda: ep.stats.num_requests == 4)
    assert (ep.stats.num_errors, ep.stats.last_error) == (4, "418:a teapot")

    with pytest.raises(natskit.InvalidArgError):
        await natskit.aio.ServiceRequest(reply).respond_error("", "no code")


async def test_groups_and_queue_groups(nc: natskit.aio.Connection) -> None:
    svc = await nc.service("grp", "1.0.0", queue_group="workers")
    g1 = svc.add_group("g1")
    deep = g1.add_group("g2").add_group("g3", queue_group="deep")
    plain = svc.add_group("")
    solo = svc.add_group("solo", queue_group_disabled=True)
    endpoints = [
        await svc.add_endpoint("top", add),
        await g1.add_endpoint("foo", add),
        await deep.add_endpoint("foo", add, subject="bar"),
        await plain.add_endpoint("flat", add),
        await solo.add_endpoint("each", add),
        await solo.add_endpoint("own", add, queue_group="mine"),
        await g1.add_endpoint("none", add, queue_group_disabled=True),
    ]
    assert [(e.subject, e.queue_group) for e in endpoints] == [
        ("top", "workers"),
        ("g1.foo", "workers"),
        ("g1.g2.g3.bar", "deep"),
        ("flat", "workers"),
        ("solo.each", None),
        ("solo.own", "mine"),
        ("g1.none", None),
    ]
    info = await ask(nc, "$SRV.INFO.grp")
    assert [(e["subject"], e["queue_group"]) for e in info["endpoints"]] == [
        (e.subject, e.queue_group or "") for e in endpoints
    ]
    assert await ask(nc, "g1.g2.g3.bar", b"[2, 2]") == 4


async def test_instances_share_requests_and_each_answers_discovery(
    nc: natskit.aio.Connection,
) -> None:
    one = await nc.service("pool", "1.0.0")
    two = await nc.service("pool", "1.0.0")
    eps = [await one.add_endpoint("work", add), await two.add_endpoint("work", add)]
    for i in range(20):
        assert await ask(nc, "work", json.dumps([i, 1]).encode()) == i + 1
    await until(lambda: sum(e.stats.num_requests for e in eps) == 20)
    pings = await nc.request_many("$SRV.PING.pool", timeout=2, max_msgs=2)
    assert sorted(json.loads(m.data)["id"] for m in pings) == sorted([one.id, two.id])

    every = [await nc.service("fanout", "1.0.0", queue_group_disabled=True) for _ in range(2)]
    eps = [await svc.add_endpoint("all", add) for svc in every]
    assert await ask(nc, "all", b"[1]") == 1
    await until(lambda: [e.stats.num_requests for e in eps] == [1, 1])


async def test_invalid_arguments_are_refused(nc: natskit.aio.Connection) -> None:
    for name, version in (("bad name!", "1.0.0"), ("", "1.0.0"), ("ok", "abc"), ("ok", "1.0")):
        with pytest.raises(natskit.InvalidArgError):
            await nc.service(name, version)
    with pytest.raises(natskit.InvalidArgError):
        await nc.service("ok", "1.0.0", queue_group=">.abc")
    svc = await nc.service("ok", "1.0.0-rc.1+build.5")
    with pytest.raises(natskit.InvalidArgError):
        await svc.add_endpoint("ep", add, subject="endpoint subject")
    with pytest.raises(natskit.InvalidArgError):
        await svc.add_endpoint("ep", add, queue_group="a b")
    with pytest.raises(natskit.InvalidArgError):
        await svc.add_endpoint("e.p", add)
    with pytest.raises(natskit.InvalidArgError):
        svc.add_group("a>")
    assert svc.info()["endpoints"] == []


async def test_stats_handler_reset_and_stop(nc: natskit.aio.Connection) -> None:
    svc = await nc.service("life", "1.0.0", stats_handler=lambda ep: {"endpoint": ep.name})
    ep = await svc.add_endpoint("op", add)
    assert await ask(nc, "op", b"[5]") == 5
    await until(lambda: ep.stats.num_requests == 1)
    [row] = (await ask(nc, "$SRV.STATS.life"))["endpoints"]
    assert (row["num_requests"], row["data"]) == (1, {"endpoint": "op"})
    started = svc.stats()["started"]
    svc.reset()
    [row] = svc.stats()["endpoints"]
    assert (row["num_requests"], row["processing_time"]) == (0, 0)
    assert natskit.parse_time(svc.stats()["started"]) >= natskit.parse_time(started)

    await svc.stop()
    await svc.stop()  # once is enough
    assert svc.stopped
    with pytest.raises(natskit.NoRespondersError):
        await nc.request("op", b"[1]", timeout=2)
    with pytest.raises(natskit.NoRespondersError):
        await nc.request("$SRV.PING.life", timeout=2)
    with pytest.raises(natskit.ConnectionClosedError):
        await svc.add_endpoint("late", add)


async def test_a_closed_connection_stops_its_services(nats_server: NatsServer) -> None:
    async with await natskit.aio.connect(nats_server.url) as conn:
        async with await conn.service("ctx", "1.0.0") as svc:
            await svc.add_endpoint("op", add)
            assert not svc.stopped
        assert svc.stopped
        other = await conn.service("ctx", "1.0.0")
    assert other.stopped


async def test_wildcard_endpoints_and_one_answer_per_request(nc: natskit.aio.Connection) -> None:
    async def answer_then_fail(req: natskit.aio.ServiceRequest) -> None:
        await req.respond(req.subject.encode())
        raise RuntimeError("after\r\nthe answer")

    svc = await nc.service("wild", "1.0.0")
    ep = await svc.add_endpoint("users", answer_then_fail, subject="users.*")
    inbox = nc.new_inbox()
    replies = await nc.subscribe(inbox)
    await nc.publish("users.7", b"", reply=inbox)
    assert (await replies.next_msg(2)).data == b"users.7"
    await until(lambda: ep.stats.num_requests == 1)
    await nc.flush()  # a second answer would have arrived by now
    assert replies.pending_msgs == 0
    assert (ep.stats.num_errors, ep.stats.last_error) == (1, "500:after the answer")
    with pytest.raises(natskit.InvalidArgError):
        natskit.ServiceError("abc", "not a numeric code")
    with pytest.raises(natskit.InvalidArgError):
        natskit.ServiceError(400, "")


async def test_stop_lets_received_requests_finish(nc: natskit.aio.Connection) -> None:
    release = Event()

    async def slow(req: natskit.aio.ServiceRequest) -> None:
        assert await release.wait(5)
        await req.respond(req.data)

    svc = await nc.service("slow", "1.0.0")
    ep = await svc.add_endpoint("slow", slow)
    first = await nc.request_future("slow", b"1", timeout=5)
    second = await nc.request_future("slow", b"2", timeout=5)
    sub = ep._sub
    assert sub is not None
    await until(lambda: sub.delivered == 2)
    await svc.stop()
    release.set()
    assert (await wait_future(first, 5)).data == b"1"
    assert (await wait_future(second, 5)).data == b"2"


async def test_a_failing_stats_handler_is_answered_with_an_error(
    nc: natskit.aio.Connection,
) -> None:
    svc = await nc.service("broken", "1.0.0", stats_handler=lambda ep: 1 / 0)
    await svc.add_endpoint("op", add)
    reply = await nc.request("$SRV.STATS.broken", b"", timeout=2)
    assert reply.headers["Nats-Service-Error-Code"] == "500"
    assert reply.headers["Nats-Service-Error"] == "division by zero"
    assert (await ask(nc, "$SRV.PING.broken"))["name"] == "broken"
