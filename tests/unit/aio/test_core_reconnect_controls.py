"""force_reconnect, set_servers, ignore_discovered_servers, retry_on_failed_connect
and reconnect_delay_cb over the in-memory network."""

from __future__ import annotations

import natskit.aio
from natskit import ServerAddress, Status
from natskit._async.memory import MemoryNetwork
from natskit._io_async import Event

from .test_core_reconnect import A, B, Watch


async def test_force_reconnect_restores_subscriptions_without_an_error() -> None:
    net = MemoryNetwork()
    server = net.listen("a")
    watch = Watch()
    nc = await net.connect(A, **watch.options(reconnect_time_wait=30))
    sub = await nc.subscribe("foo")
    first = server.peers[0]
    await first.expect("SUB")
    await watch.rearm()
    await nc.force_reconnect()  # one server: the first attempt does not wait 30 s
    assert await watch.connected.wait(5)
    second = await server.accepted(2)
    assert (await second.expect("SUB"))[3] == sub.sid
    assert watch.errors == []
    assert nc.stats.reconnects == 1
    assert Status.RECONNECTING in watch.statuses
    await nc.close()


async def test_force_reconnect_goes_to_another_server_and_closed_raises() -> None:
    net = MemoryNetwork()
    net.listen("a")
    net.listen("b")
    watch = Watch()
    nc = await net.connect([A, B], **watch.options())
    assert nc.current_server == ServerAddress("a", 4222, "nats")
    await watch.rearm()
    await nc.force_reconnect()
    assert await watch.connected.wait(5)
    assert nc.current_server == ServerAddress("b", 4222, "nats")
    await nc.close()
    try:
        await nc.force_reconnect()
    except natskit.ConnectionClosedError:
        pass
    else:
        raise AssertionError("force_reconnect on a closed connection must raise")


async def test_set_servers_replaces_the_pool_for_the_next_reconnect() -> None:
    net = MemoryNetwork()
    a = net.listen("a")
    net.listen("b")
    watch = Watch()
    nc = await net.connect(A, **watch.options())
    nc.set_servers([B])
    assert nc.servers == [ServerAddress("b", 4222, "nats")]
    assert nc.current_server == ServerAddress("a", 4222, "nats")  # still connected to a
    assert nc.is_connected
    await watch.rearm()
    a.peers[0].drop()
    assert await watch.connected.wait(5)
    assert nc.current_server == ServerAddress("b", 4222, "nats")
    try:
        nc.set_servers([])
    except natskit.InvalidArgError as exc:
        assert "empty" in str(exc)
    else:
        raise AssertionError("an empty pool must be refused")
    await nc.close()


async def test_ignore_discovered_servers_keeps_the_given_pool() -> None:
    net = MemoryNetwork()
    a = net.listen("a")
    net.listen("b")
    found: list[list[ServerAddress]] = []
    watch = Watch()
    nc = await net.connect(
        A, **watch.options(ignore_discovered_servers=True, discovered_servers_cb=found.append)
    )
    a.peers[0].send_info(connect_urls=["b:4222"])
    await nc.flush()
    assert nc.servers == [ServerAddress("a", 4222, "nats")]
    assert found == []
    await nc.close()


async def test_retry_on_failed_connect_returns_reconnecting_and_connects_later() -> None:
    net = MemoryNetwork()
    server = net.listen("a")
    server.refuse = True
    watch = Watch()
    nc = await net.connect(A, **watch.options(retry_on_failed_connect=True))
    assert nc.status is Status.RECONNECTING
    assert await watch.error.wait(5)
    assert isinstance(watch.errors[0], natskit.ConnectionRefusedError)
    sub = await nc.subscribe("later")
    await nc.publish("later", b"buffered")
    server.refuse = False
    assert await watch.connected.wait(5)
    peer = await server.accepted(1)
    assert (await peer.expect("SUB"))[3] == sub.sid
    assert (await peer.expect("PUB"))[3] == b"buffered"
    await nc.close()


async def test_without_retry_on_failed_connect_the_error_is_raised() -> None:
    net = MemoryNetwork()
    net.listen("a").refuse = True
    try:
        await net.connect(A, **Watch().options())
    except natskit.ConnectionRefusedError:
        pass
    else:
        raise AssertionError("the refused connect must raise")


async def test_reconnect_delay_cb_is_asked_and_a_failing_one_is_reported() -> None:
    net = MemoryNetwork()
    server = net.listen("a")
    asked: list[int] = []
    failed = Event()

    def delay(attempt: int) -> float:
        asked.append(attempt)
        if attempt == 1:
            raise ValueError("no delay today")
        failed.set()
        return 0.01

    watch = Watch()
    nc = await net.connect(A, **watch.options(reconnect_delay_cb=delay, reconnect_time_wait=0.05))
    server.refuse = True
    server.peers[0].drop()
    assert await failed.wait(5)
    server.refuse = False
    await watch.rearm()
    assert await watch.connected.wait(5)
    assert asked[:2] == [1, 2]
    errors = [e for e in watch.errors if isinstance(e, natskit.CallbackError)]
    assert errors and "reconnect_delay_cb raised ValueError: no delay today" in str(errors[0])
    await nc.close()


async def test_bad_reconnect_options_are_refused() -> None:
    net = MemoryNetwork()
    net.listen("a")
    for options, word in (
        ({"reconnect_jitter": -1}, "timeout"),
        ({"reconnect_jitter_tls": "x"}, "timeout"),
        ({"reconnect_delay_cb": 3}, "reconnect_delay_cb"),
    ):
        try:
            net.connection(A, **options)
        except natskit.InvalidArgError as exc:
            assert word in str(exc)
        else:
            raise AssertionError(f"{options} must be refused")
