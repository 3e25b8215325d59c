"""nc.user_info() and nc.trace() (ADR-41) against real servers and the cluster."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import natskit.aio
from natskit.testing import NatsCluster, NatsServer
from natskit.testing.auth import JwtSetup

from .test_cluster import until_routed

PERMISSIONS = """
authorization {
  users = [
    {user: ann, password: pw, permissions: {
      publish: {allow: ["orders.>", "$SYS.REQ.USER.INFO", "_INBOX.>"]},
      subscribe: {allow: ["_INBOX.>", "orders.>"]}}}
  ]
}
"""


async def test_user_info_of_a_user_with_permissions(
    nats_server_factory: Callable[..., NatsServer],
) -> None:
    server = nats_server_factory(config=PERMISSIONS)
    async with natskit.aio.connect(server.url, user="ann", password="pw") as nc:
        info = await nc.user_info()
        assert info["user"] == "ann"
        assert info["account"] == "$G"
        publish = sorted(info["permissions"]["publish"]["allow"])
        assert publish == ["$SYS.REQ.USER.INFO", "_INBOX.>", "orders.>"]
        assert sorted(info["permissions"]["subscribe"]["allow"]) == ["_INBOX.>", "orders.>"]


async def test_user_info_of_a_jwt_user_names_its_account_and_expiry(
    jwt_server: NatsServer, operator_setup: JwtSetup
) -> None:
    creds = operator_setup.make_user(expires=4102444800, name="expiring")  # 2100
    async with natskit.aio.connect(jwt_server.url, creds=creds) as nc:
        info = await nc.user_info(timeout=5)
        assert info["account"] == operator_setup.account.public_key
        assert info["user"].startswith("U")
        assert info["expires"]  # the server reports how long the user has left


async def test_user_info_without_authentication(nats_server: NatsServer) -> None:
    async with natskit.aio.connect(nats_server.url) as nc:
        assert (await nc.user_info())["account"] == "$G"


async def test_trace_reports_ingress_and_egress(nats_server: NatsServer) -> None:
    async with natskit.aio.connect(nats_server.url) as nc:
        sub = await nc.subscribe("traced.one")
        await nc.flush()
        events = await nc.trace("traced.one", b"hello", headers={"X-Id": "7"}, timeout=0.5)
        assert len(events) == 1
        event = events[0]
        assert event["server"]["name"]
        kinds = [e["type"] for e in event["events"]]
        assert kinds[0] == "in" and "eg" in kinds
        assert event["request"]["header"]["X-Id"] == ["7"]
        msg = await sub.next_msg(timeout=5)  # delivered as well
        assert msg.data == b"hello"


async def test_trace_only_does_not_deliver(nats_server: NatsServer) -> None:
    async with natskit.aio.connect(nats_server.url) as nc:
        sub = await nc.subscribe("traced.two")
        await nc.flush()
        events = await nc.trace("traced.two", b"x", deliver=False, timeout=0.5)
        assert events[0]["events"][0]["type"] == "in"
        await nc.publish("traced.two", b"plain")
        assert (await sub.next_msg(timeout=5)).data == b"plain"  # the traced one never came


async def test_trace_across_the_cluster(nats_cluster: NatsCluster) -> None:
    fast: dict[str, Any] = {"randomize": False}
    nc = await natskit.aio.connect(nats_cluster.urls[0], **fast)
    far = await natskit.aio.connect(nats_cluster.urls[2], **fast)
    try:

        async def echo(msg: natskit.aio.Msg) -> None:
            await msg.respond(b"")

        await far.subscribe("far.ready", callback=echo)
        await far.subscribe("far.traced")
        await until_routed(nc, "far.ready")
        events = await nc.trace("far.traced", b"x", timeout=1.0)
        names = sorted(e["server"]["name"] for e in events)
        assert len(names) == 2 and names[0] != names[1]  # the entry node and the far one
        assert all(json.dumps(e) for e in events)
    finally:
        await far.close()
        await nc.close()


async def test_trace_bad_arguments(nats_server: NatsServer) -> None:
    async with natskit.aio.connect(nats_server.url) as nc:
        with pytest.raises(natskit.InvalidArgError, match="deliver must be a bool"):
            await nc.trace("x", deliver="no")  # type: ignore[arg-type]
        with pytest.raises(natskit.InvalidArgError, match="timeout"):
            await nc.trace("x", timeout=-1)
        with pytest.raises(natskit.BadSubjectError):
            await nc.trace("bad subject")
