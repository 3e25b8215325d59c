"""TLS is never given up, and secrets never shown, over the in-memory network
(which pretends TLS: the peer records the upgrade)."""

from __future__ import annotations

import ssl
from typing import Any

import pytest

import natskit.aio
from natskit import Status
from natskit._async.memory import MemoryNetwork
from natskit._io_async import Event

A, B = "nats://a:4222", "nats://b:4222"


class Errors:
    def __init__(self) -> None:
        self.seen: list[Exception] = []
        self.closed = Event()

    def on_error(self, err: Exception) -> None:
        self.seen.append(err)

    def on_status(self, status: Status) -> None:
        if status is Status.CLOSED:
            self.closed.set()

    def options(self, **more: Any) -> dict[str, Any]:
        return {
            "error_cb": self.on_error,
            "status_cb": self.on_status,
            "reconnect_time_wait": 0.0,
            "max_reconnect_attempts": 2,
            "randomize": False,
            **more,
        }


async def test_a_server_that_required_tls_keeps_tls_required_on_reconnect() -> None:
    net = MemoryNetwork()
    a = net.listen("a", tls_required=True)
    b = net.listen("b")  # plaintext only, learned from a's INFO
    errors = Errors()
    nc = await net.connect(A, **errors.options())
    assert a.peers[0].tls
    a.peers[0].send_info(connect_urls=["b:4222"])
    await nc.flush()
    a.refuse = True
    a.peers[0].drop()
    assert await errors.closed.wait(5)
    assert b.peers, "b was tried"
    for peer in b.peers:  # refused before CONNECT: nothing was sent in plaintext
        assert not peer.tls
        assert peer.commands == []
    assert any(isinstance(e, natskit.SecureConnWantedError) for e in errors.seen)


@pytest.mark.parametrize(
    "options",
    [{"tls": ssl.create_default_context()}, {"secure": True}],
    ids=["tls=", "secure=True"],
)
async def test_tls_asked_for_refuses_a_plaintext_server(options: dict[str, Any]) -> None:
    net = MemoryNetwork()
    server = net.listen("a")
    with pytest.raises(natskit.SecureConnWantedError):
        await net.connect(A, **options)
    assert server.peers[0].commands == []
    server.info["tls_available"] = True  # a server that offers it is upgraded
    nc = await net.connect(A, **options)
    assert server.peers[1].tls
    await nc.close()


async def test_a_tls_url_in_the_pool_makes_every_server_tls() -> None:
    net = MemoryNetwork()
    net.listen("a")
    net.listen("b", tls_available=True)
    nc = await net.connect(["nats://a:4222", "tls://b:4222"], randomize=False)
    assert nc.current_server == natskit.ServerAddress("b", 4222, "tls")
    assert net.servers["a", 4222].peers[0].commands == []
    await nc.close()


async def test_tls_offered_but_not_wanted_stays_plaintext() -> None:
    net = MemoryNetwork()
    server = net.listen("a", tls_available=True)
    nc = await net.connect(A)
    assert not server.peers[0].tls
    await nc.close()
