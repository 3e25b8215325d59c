"""The "Requests Error Handling" rows of the Tcl client's CoreAPI.md that need no reconnection,
and other behaviours that involve a server going away or saying no."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import natskit.aio
from natskit import Status
from natskit._io_async import Event, Future
from natskit.testing import NatsServer
from tests.fake_server import FakeClient, FakeServer

PERMISSIONS = """
authorization {
  users = [
    {user: alice, password: secret, permissions: {publish: {deny: ["forbidden.>"]},
                                                  subscribe: {deny: ["hidden"]}}}
  ]
}
"""


async def wait_done(fut: Future[Any]) -> None:
    done = Event()
    fut.add_done_callback(lambda f: done.set())
    assert await done.wait(30)


async def test_request_future_no_responders(nats_server: NatsServer) -> None:
    async with await natskit.aio.connect(nats_server.url) as nc:
        fut = await nc.request_future("nobody", b"", timeout=5)
        await wait_done(fut)
        assert isinstance(fut.exception(), natskit.NoRespondersError)


async def test_connection_lost_fails_pending_requests_with_timeout(nats_server: NatsServer) -> None:
    nc = await natskit.aio.connect(
        nats_server.url, max_reconnect_attempts=1, reconnect_time_wait=0.05
    )
    await nc.subscribe("never")
    await nc.flush()
    fut = await nc.request_future("never", b"", timeout=600)
    nats_server.stop()
    await wait_done(fut)  # long before the request's own timeout
    assert isinstance(fut.exception(), natskit.TimeoutError)
    assert nc.status is Status.CLOSED
    assert nc.last_error is not None


async def test_connection_lost_fails_pending_flush() -> None:
    def handler(client: FakeClient) -> None:
        client.handshake()
        client.read_until(b"PING", timeout=5)
        client.close()

    with FakeServer(handler) as server:
        nc = await natskit.aio.connect(server.url, allow_reconnect=False)
        with pytest.raises(natskit.ConnectionClosedError):
            await nc.flush(timeout=600)


async def test_close_sends_everything_buffered(nats_server: NatsServer) -> None:
    receiver = await natskit.aio.connect(nats_server.url)
    sub = await receiver.subscribe("burst")
    await receiver.flush()
    sender = await natskit.aio.connect(nats_server.url)
    for i in range(10_000):
        await sender.publish("burst", i.to_bytes(4, "big"))
    await sender.close()
    for i in range(10_000):
        assert int.from_bytes((await sub.next_msg(timeout=5)).data, "big") == i
    await receiver.close()


async def test_permission_violation_reported_connection_stays(
    nats_server_factory: Callable[..., NatsServer],
) -> None:
    server = nats_server_factory(config=PERMISSIONS)
    errors: list[Exception] = []
    got_error = Event()

    def on_error(err: Exception) -> None:
        errors.append(err)
        got_error.set()

    nc = await natskit.aio.connect(server.url, user="alice", password="secret", error_cb=on_error)
    try:
        await nc.publish("forbidden.x", b"no")
        assert await got_error.wait(5)
        assert isinstance(errors[0], natskit.PermissionsError)
        assert "forbidden.x" in str(errors[0])
        sub = await nc.subscribe("allowed")
        await nc.publish("allowed", b"yes")
        assert (await sub.next_msg(timeout=2)).data == b"yes"
        assert nc.status is Status.CONNECTED
    finally:
        await nc.close()


async def test_wrong_password_is_an_authorization_error(
    nats_server_factory: Callable[..., NatsServer],
) -> None:
    server = nats_server_factory(config=PERMISSIONS)
    with pytest.raises(natskit.AuthorizationError):
        await natskit.aio.connect(server.url, user="alice", password="wrong")
    with pytest.raises(natskit.AuthorizationError):
        await natskit.aio.connect(server.url)


async def test_credentials_in_url(nats_server_factory: Callable[..., NatsServer]) -> None:
    server = nats_server_factory(config=PERMISSIONS)
    url = f"nats://alice:secret@127.0.0.1:{server.port}"
    async with await natskit.aio.connect(url) as nc:
        await nc.flush()
        assert nc.is_connected


@pytest.mark.parametrize("mode", [{"verbose": True}, {"pedantic": True}])
async def test_verbose_and_pedantic_against_a_real_server(
    nats_server: NatsServer, mode: dict[str, bool]
) -> None:
    async with await natskit.aio.connect(nats_server.url, **mode) as nc:
        sub = await nc.subscribe("v.>")
        await nc.publish("v.1", b"one")
        assert (await sub.next_msg(timeout=2)).data == b"one"
        await nc.flush()
        assert nc.last_error is None
