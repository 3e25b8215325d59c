"""Service API interoperability with nats-py's `nats.micro`: the same discovery
replies, and requests and errors understood both ways."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TypeAlias

import nats
import nats.aio.client
import nats.micro
import pytest
from nats.micro.request import Request as TheirRequest

import natskit
import natskit.aio
from natskit.testing import NatsServer

Clients = tuple[nats.aio.client.Client, natskit.aio.Connection]
# A handler that both libraries' services call: each with its own request type.
Request: TypeAlias = TheirRequest | natskit.aio.ServiceRequest


@pytest.fixture
async def clients(nats_server: NatsServer) -> AsyncIterator[Clients]:
    theirs = await nats.connect(nats_server.url)
    ours = await natskit.aio.connect(nats_server.url)
    yield theirs, ours
    await ours.close()
    await theirs.close()


async def test_discovery_replies_have_the_same_shape(clients: Clients) -> None:
    theirs, ours = clients

    async def echo(req: Request) -> None:
        await req.respond(req.data)

    their_svc = await nats.micro.add_service(
        theirs, name="theirs", version="1.0.0", description="nats-py", metadata={"k": "v"}
    )
    await their_svc.add_endpoint(name="echo", handler=echo, metadata={"e": "1"})
    # its subscriptions are on the server: two round trips, as nats-py's first
    # flush() can return before the server has its SUBs (see test_otel_interop.py)
    await theirs.flush()
    await theirs.flush()
    our_svc = await ours.service("ours", "1.0.0", description="natskit", metadata={"k": "v"})
    await our_svc.add_endpoint("echo", echo, subject="echo2", metadata={"e": "1"})
    await ours.flush()

    for verb in ("PING", "INFO", "STATS"):
        replies = await ours.request_many(f"$SRV.{verb}", timeout=2, max_msgs=2)
        by_name = {r["name"]: r for r in (json.loads(m.data) for m in replies)}
        assert set(by_name) == {"theirs", "ours"}
        assert by_name["theirs"].keys() <= by_name["ours"].keys() | {"data"}
        assert by_name["theirs"]["type"] == by_name["ours"]["type"]
        if verb != "PING":
            [their_ep], [our_ep] = by_name["theirs"]["endpoints"], by_name["ours"]["endpoints"]
            assert their_ep.keys() - {"data"} == our_ep.keys() - {"data"}
            assert their_ep["queue_group"] == our_ep["queue_group"] == "q"
    assert (await ours.request("echo", b"hi", timeout=2)).data == b"hi"
    assert (await theirs.request("echo2", b"ho", timeout=2)).data == b"ho"
    await their_svc.stop()


async def test_errors_are_understood_both_ways(clients: Clients) -> None:
    theirs, ours = clients

    async def refuse(req: Request) -> None:
        await req.respond_error("403", "not you")

    their_svc = await nats.micro.add_service(theirs, name="theirs", version="1.0.0")
    await their_svc.add_endpoint(name="refuse", handler=refuse)
    await theirs.flush()
    await theirs.flush()  # two round trips, as above
    our_svc = await ours.service("ours", "1.0.0")
    await our_svc.add_endpoint("refuse", refuse, subject="refuse2")
    await ours.flush()
    for client, subject in ((ours, "refuse"), (theirs, "refuse2")):
        reply = await client.request(subject, b"", timeout=2)
        assert reply.headers is not None  # nats-py: None without headers
        assert reply.headers["Nats-Service-Error-Code"] == "403"
        assert reply.headers["Nats-Service-Error"] == "not you"
    await their_svc.stop()
