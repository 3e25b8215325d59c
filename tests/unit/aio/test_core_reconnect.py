"""Reconnecting, the server pool and slow consumers, over the in-memory network."""

from __future__ import annotations

from typing import Any

import natskit.aio
from natskit import ServerAddress, Status
from natskit._async.memory import MemoryNetwork
from natskit._io_async import Event

A, B = "nats://a:4222", "nats://b:4222"


class Watch:
    """Statuses, errors and their events."""

    def __init__(self) -> None:
        self.statuses: list[Status] = []
        self.errors: list[Exception] = []
        self.connected = Event()
        self.closed = Event()
        self.error = Event()

    def on_status(self, status: Status) -> None:
        self.statuses.append(status)
        if status is Status.CONNECTED:
            self.connected.set()
        elif status is Status.CLOSED:
            self.closed.set()

    async def rearm(self) -> None:
        """Re-arm ``connected`` for the next (re)connect, once the callback of
        the current one ran (status_cb runs later than the change it reports:
        clearing before it came would let it set the event afresh)."""
        assert await self.connected.wait(5)
        self.connected.clear()

    def on_error(self, err: Exception) -> None:
        self.errors.append(err)
        self.error.set()

    def options(self, **more: Any) -> dict[str, Any]:
        return {
            "status_cb": self.on_status,
            "error_cb": self.on_error,
            "reconnect_time_wait": 0.01,
            "reconnect_jitter": 0.0,
            "randomize": False,
            **more,
        }


async def test_reconnect_restores_subscriptions_then_buffered_publishes() -> None:
    net = MemoryNetwork()
    server = net.listen("a")
    watch = Watch()
    nc = await net.connect(A, **watch.options())
    plain = await nc.subscribe("plain")
    limited = await nc.subscribe("limited", max_msgs=3)
    first = server.peers[0]
    sid = (await first.expect("SUB"))[3]
    first.send(b"MSG limited %d 1\r\nx\r\n" % limited.sid)
    assert (await limited.next_msg(5)).data == b"x"
    assert sid == plain.sid
    await watch.rearm()
    first.drop()
    second = await server.accepted(2)
    assert await watch.connected.wait(5)
    assert await second.expect("SUB") == ("SUB", "plain", None, plain.sid)
    assert await second.expect("SUB") == ("SUB", "limited", None, limited.sid)
    assert await second.expect("UNSUB") == ("UNSUB", limited.sid, 2)  # what is left
    assert nc.stats.reconnects == 1
    assert watch.statuses.count(Status.RECONNECTING) == 1
    await nc.close()


async def test_publishes_while_disconnected_go_out_after_the_subscriptions() -> None:
    net = MemoryNetwork()
    server = net.listen("a")
    watch = Watch()
    nc = await net.connect(A, **watch.options(max_reconnect_attempts=-1))
    await nc.subscribe("s")
    server.refuse = True  # the attempts fail until the publishes are kept
    server.peers[0].drop()
    while Status.RECONNECTING not in watch.statuses:
        await watch.error.wait(5)
        watch.error.clear()
    await nc.publish("kept", b"1")
    await nc.publish("kept", b"2")
    server.refuse = False
    second = await server.accepted(2)
    assert await second.expect("SUB") == ("SUB", "s", None, 1)
    assert await second.expect("PUB") == ("PUB", "kept", None, b"1")
    assert await second.expect("PUB") == ("PUB", "kept", None, b"2")
    await nc.close()


async def test_same_authorization_error_twice_closes() -> None:
    net = MemoryNetwork()
    server = net.listen("a")
    watch = Watch()
    nc = await net.connect(A, **watch.options())
    server.reject = b"-ERR 'Authorization Violation'\r\n"
    server.peers[0].drop()
    assert await watch.closed.wait(5)
    assert isinstance(nc.last_error, natskit.AuthorizationError)
    assert len(server.peers) == 3  # the first connection, then two refused attempts


async def test_gives_up_after_max_reconnect_attempts() -> None:
    net = MemoryNetwork()
    server = net.listen("a")
    watch = Watch()
    nc = await net.connect(A, **watch.options(max_reconnect_attempts=3))
    server.refuse = True
    server.peers[0].drop()
    assert await watch.closed.wait(5)
    assert isinstance(nc.last_error, natskit.ConnectionRefusedError)
    assert nc.servers == []  # the only server left the pool


async def test_close_interrupts_reconnecting() -> None:
    net = MemoryNetwork()
    server = net.listen("a")
    watch = Watch()
    nc = await net.connect(A, **watch.options(reconnect_time_wait=3600))
    server.refuse = True
    server.peers[0].drop()
    while Status.RECONNECTING not in watch.statuses:
        await watch.error.wait(5)
        watch.error.clear()
    await nc.close()  # does not wait an hour for the next attempt
    assert nc.status is Status.CLOSED
    assert nc.last_error is None


async def test_client_pings_detect_a_stale_connection() -> None:
    net = MemoryNetwork()
    server = net.listen("a")
    watch = Watch()
    nc = await net.connect(
        A, **watch.options(ping_interval=0.01, max_outstanding_pings=2, allow_reconnect=False)
    )
    server.pong = False
    assert await watch.closed.wait(5)
    assert isinstance(nc.last_error, natskit.StaleConnectionError)
    assert any(isinstance(e, natskit.StaleConnectionError) for e in watch.errors)
    assert [c[0] for c in server.peers[0].commands].count("PING") >= 3  # handshake + 2


async def test_discovered_servers_and_lame_duck_mode() -> None:
    net = MemoryNetwork()
    a, b = net.listen("a"), net.listen("b")
    found: list[list[ServerAddress]] = []
    ducks: list[ServerAddress] = []
    watch = Watch()
    nc = await net.connect(
        A, **watch.options(discovered_servers_cb=found.append, lame_duck_cb=ducks.append)
    )
    peer = a.peers[0]
    peer.send_info(connect_urls=["b:4222", "a:4222"])
    await nc.flush()
    assert nc.servers == [ServerAddress("a", 4222, "nats"), ServerAddress("b", 4222, "nats")]
    await watch.rearm()
    peer.send_info(ldm=True)
    assert await watch.connected.wait(5)
    await b.accepted(1)
    assert nc.current_server == ServerAddress("b", 4222, "nats")
    assert ducks == [ServerAddress("a", 4222, "nats")]
    assert found == [[ServerAddress("b", 4222, "nats")]]
    await nc.close()


async def test_pending_request_completes_after_reconnect() -> None:
    net = MemoryNetwork()
    server = net.listen("a")
    watch = Watch()
    nc = await net.connect(A, **watch.options())
    fut = await nc.request_future("svc", b"q", timeout=5)
    first = server.peers[0]
    inbox_sub = await first.expect("SUB")
    reply = (await first.expect("PUB"))[2]
    first.drop()
    second = await server.accepted(2)
    assert await second.expect("SUB") == inbox_sub  # the shared inbox is restored
    second.send(b"MSG %s %d 1\r\nr\r\n" % (reply.encode(), inbox_sub[3]))
    done = Event()
    fut.add_done_callback(lambda f: done.set())
    assert await done.wait(5)
    assert fut.result().data == b"r"
    await nc.close()


async def test_slow_consumer_drops_and_reports_once() -> None:
    net = MemoryNetwork()
    server = net.listen("a")
    watch = Watch()
    nc = await net.connect(A, **watch.options())
    sub = await nc.subscribe("busy", pending_msgs_limit=2)
    peer = server.peers[0]
    await peer.expect("SUB")
    peer.send(b"".join(b"MSG busy %d 1\r\n%d\r\n" % (sub.sid, i) for i in range(5)))
    await nc.flush()
    assert sub.pending_msgs == 2
    assert sub.dropped == 3
    assert await watch.error.wait(5)  # error_cb runs on a dispatcher worker
    assert [type(e) for e in watch.errors] == [natskit.SlowConsumerError]
    assert [(await sub.next_msg(1)).data for _ in range(2)] == [b"0", b"1"]
    await nc.close()


async def test_the_message_in_a_callback_is_not_pending() -> None:
    """``pending_msgs_limit=2`` keeps two messages beyond the one in the callback."""
    net = MemoryNetwork()
    server = net.listen("a")
    watch = Watch()
    nc = await net.connect(A, **watch.options())
    entered, release = Event(), Event()
    got: list[bytes] = []

    async def handle(msg: natskit.aio.Msg) -> None:
        got.append(msg.data)
        if msg.data == b"0":
            entered.set()
            assert await release.wait(10)

    sub = await nc.subscribe("busy", callback=handle, pending_msgs_limit=2)
    peer = server.peers[0]
    await peer.expect("SUB")
    peer.send(b"MSG busy %d 1\r\n0\r\n" % sub.sid)
    assert await entered.wait(5)
    assert (sub.pending_msgs, sub.pending_bytes) == (0, 0)
    peer.send(b"".join(b"MSG busy %d 1\r\n%d\r\n" % (sub.sid, i) for i in range(1, 4)))
    await nc.flush()
    assert (sub.pending_msgs, sub.dropped) == (2, 1)
    release.set()
    await sub.drain(5)
    assert got == [b"0", b"1", b"2"]
    assert await watch.error.wait(5)
    assert [type(e) for e in watch.errors] == [natskit.SlowConsumerError]
    await nc.close()


async def test_pending_bytes_stay_exact_when_a_callback_replaces_msg_data() -> None:
    """A message leaves ``pending_bytes`` with the size it arrived with, also
    when its callback replaces ``msg.data`` (the count drifted by the difference
    for good, until every message was dropped as a slow consumer)."""
    net = MemoryNetwork()
    server = net.listen("a")
    nc = await net.connect(A)

    def shrink(msg: natskit.aio.Msg) -> None:
        msg.data = b""

    sub = await nc.subscribe("big", callback=shrink)
    peer = server.peers[0]
    await peer.expect("SUB")
    peer.send(b"".join(b"MSG big %d 100\r\n%s\r\n" % (sub.sid, b"x" * 100) for _ in range(3)))
    await nc.flush()
    await sub.drain(5)  # returns once every callback has returned
    assert (sub.pending_msgs, sub.pending_bytes, sub.dropped) == (0, 0, 0)
    await nc.close()
