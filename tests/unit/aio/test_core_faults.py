"""Protocol faults a real server does not produce, over the in-memory network.

No sockets: each test scripts the server's side of the connection
(``natskit._async.memory``) and checks what the client does with it.
"""

from __future__ import annotations

import asyncio  # unasync: remove
from typing import Any

import pytest

import natskit.aio
from natskit import Status
from natskit._async.memory import MemoryNetwork
from natskit._io_async import Event

URL = "nats://mem:4222"


class Recorder:
    """Collects errors and statuses from the callbacks."""

    def __init__(self) -> None:
        self.errors: list[Exception] = []
        self.error = Event()
        self.closed = Event()

    def on_error(self, err: Exception) -> None:
        self.errors.append(err)
        self.error.set()

    def on_status(self, status: Status) -> None:
        if status is Status.CLOSED:
            self.closed.set()

    def options(self) -> dict[str, Any]:
        return {
            "error_cb": self.on_error,
            "status_cb": self.on_status,
            "allow_reconnect": False,
        }


@pytest.fixture
def net() -> MemoryNetwork:
    network = MemoryNetwork()
    network.listen("mem", 4222)
    return network


async def test_connect_sends_explicit_fields(net: MemoryNetwork) -> None:
    nc = await net.connect(URL, name="me", echo=False, user="u", password="p")
    await nc.close()
    fields = net.servers["mem", 4222].peers[0].connect_options
    assert fields is not None
    assert fields["name"] == "me"
    assert fields["echo"] is False
    assert fields["headers"] is True
    assert fields["no_responders"] is True
    assert fields["verbose"] is False
    assert fields["pedantic"] is False
    assert fields["lang"] == "python"
    assert fields["user"] == "u"
    assert fields["pass"] == "p"
    assert "auth_token" not in fields


async def test_handshake_commands_in_order(net: MemoryNetwork) -> None:
    nc = await net.connect(URL)
    sub = await nc.subscribe("a.b", queue="q")
    await nc.publish("a.b", b"hi", reply="r")
    await nc.publish("a.b", b"there", headers={"K": "v"})
    await sub.unsubscribe()
    await nc.flush()
    peer = net.servers["mem", 4222].peers[0]
    assert [c[0] for c in peer.commands][:2] == ["CONNECT", "PING"]
    assert await peer.expect("SUB") == ("SUB", "a.b", "q", sub.sid)
    assert await peer.expect("PUB") == ("PUB", "a.b", "r", b"hi")
    assert await peer.expect("HPUB") == ("HPUB", "a.b", None, b"NATS/1.0\r\nK: v\r\n\r\n", b"there")
    assert await peer.expect("UNSUB") == ("UNSUB", sub.sid, None)
    await nc.close()
    assert peer.closed_by_client.is_set()


@pytest.mark.parametrize(
    "data",
    [b"MSG foo notasid 3\r\nabc\r\n", b"MSG " + b"a" * 5000],
    ids=["bad-sid", "overlong-line"],
)
async def test_malformed_input_is_a_protocol_error(net: MemoryNetwork, data: bytes) -> None:
    rec = Recorder()
    nc = await net.connect(URL, **rec.options())
    net.servers["mem", 4222].peers[0].send(data)
    assert await rec.closed.wait(5)
    assert isinstance(nc.last_error, natskit.ProtocolError)
    assert any(isinstance(e, natskit.ProtocolError) for e in rec.errors)
    assert nc.status is Status.CLOSED


async def test_server_that_never_answers_ping(net: MemoryNetwork) -> None:
    nc = await net.connect(URL)
    net.servers["mem", 4222].pong = False
    with pytest.raises(natskit.TimeoutError):
        await nc.flush(timeout=0.05)
    assert nc.is_connected
    await nc.close()


async def test_server_ping_is_answered(net: MemoryNetwork) -> None:
    nc = await net.connect(URL)
    peer = net.servers["mem", 4222].peers[0]
    peer.send(b"PING\r\n")
    assert await peer.expect("PONG") == ("PONG",)
    await nc.close()


async def test_permissions_violation_keeps_connection(net: MemoryNetwork) -> None:
    rec = Recorder()
    nc = await net.connect(URL, **rec.options())
    await nc.publish("secret", b"x")
    peer = net.servers["mem", 4222].peers[0]
    await peer.expect("PUB")
    peer.send(b"-ERR 'Permissions Violation for Publish to \"secret\"'\r\n")
    assert await rec.error.wait(5)
    await nc.flush(timeout=2)
    assert nc.is_connected
    err = rec.errors[0]
    assert isinstance(err, natskit.PermissionsError)
    assert err.code == "ErrPermissions"
    assert nc.last_error is err
    await nc.close()


async def test_stale_connection_error_closes(net: MemoryNetwork) -> None:
    rec = Recorder()
    nc = await net.connect(URL, **rec.options())
    net.servers["mem", 4222].peers[0].send(b"-ERR 'Stale Connection'\r\n")
    assert await rec.closed.wait(5)
    assert isinstance(nc.last_error, natskit.StaleConnectionError)


async def test_authorization_error_during_handshake(net: MemoryNetwork) -> None:
    net.servers["mem", 4222].reject = b"-ERR 'Authorization Violation'\r\n"
    with pytest.raises(natskit.AuthorizationError) as info:
        await net.connect(URL)
    assert info.value.code == "ErrAuthorization"


async def test_server_without_info_times_out(net: MemoryNetwork) -> None:
    net.servers["mem", 4222].greeting = b""
    with pytest.raises(natskit.ConnectionTimeoutError):
        await net.connect(URL, connect_timeout=0.05)


async def test_garbage_instead_of_info(net: MemoryNetwork) -> None:
    net.servers["mem", 4222].greeting = b"HELLO THERE\r\n"
    with pytest.raises(natskit.ProtocolError):
        await net.connect(URL)


async def test_refused_connection(net: MemoryNetwork) -> None:
    net.servers["mem", 4222].refuse = True
    with pytest.raises(natskit.ConnectionRefusedError):
        await net.connect(URL)
    with pytest.raises(natskit.NoServersError):
        await net.connect([URL, "nats://nowhere:4222"])


async def test_headers_not_supported() -> None:
    net = MemoryNetwork()
    net.listen("mem", 4222, headers=False)
    nc = await net.connect(URL)
    with pytest.raises(natskit.HeadersNotSupportedError):
        await nc.publish("x", b"", headers={"A": "b"})
    await nc.publish("x", b"no headers is fine")
    await nc.close()


async def test_max_payload_from_info() -> None:
    net = MemoryNetwork()
    net.listen("mem", 4222, max_payload=8)
    nc = await net.connect(URL)
    await nc.publish("x", b"12345678")
    with pytest.raises(natskit.MaxPayloadError):
        await nc.publish("x", b"123456789")
    with pytest.raises(natskit.MaxPayloadError):
        await nc.publish("x", b"1234", headers={"K": "v"})  # headers count
    await nc.close()


async def test_bad_header_block_is_reported_and_message_delivered(net: MemoryNetwork) -> None:
    rec = Recorder()
    nc = await net.connect(URL, **rec.options())
    sub = await nc.subscribe("h")
    peer = net.servers["mem", 4222].peers[0]
    sid = (await peer.expect("SUB"))[3]
    block = b"BOGUS/1.0\r\n\r\n"
    peer.send(b"HMSG h %d %d %d\r\n%spayload\r\n" % (sid, len(block), len(block) + 7, block))
    msg = await sub.next_msg(timeout=5)
    assert msg.data == b"payload"
    assert await rec.error.wait(5)
    assert isinstance(rec.errors[0], natskit.BadHeaderMsgError)
    assert nc.is_connected
    await nc.close()


async def test_verbose_ok_lines_are_accepted(net: MemoryNetwork) -> None:
    peer_ok = b"+OK\r\n"
    nc = await net.connect(URL, verbose=True)
    peer = net.servers["mem", 4222].peers[0]
    peer.send(peer_ok)
    await nc.publish("v", b"")
    await peer.expect("PUB")
    peer.send(peer_ok)
    await nc.flush(timeout=2)
    await nc.close()
    assert nc.status is Status.CLOSED
    assert nc.last_error is None


async def test_a_failed_connect_reports_each_attempt_and_keeps_the_cause() -> None:
    net = MemoryNetwork()
    net.listen("a").refuse = True
    net.listen("b").reject = b"-ERR 'Authorization Violation'\r\n"
    seen: list[Exception] = []
    nc = net.connection(["nats://a:4222", "nats://b:4222"], randomize=False, error_cb=seen.append)
    with pytest.raises(natskit.NoServersError) as info:
        await nc.connect()
    assert isinstance(info.value.__cause__, natskit.AuthorizationError)
    assert isinstance(nc.last_error, natskit.AuthorizationError)
    assert [type(e) for e in seen] == [natskit.ConnectionRefusedError, natskit.AuthorizationError]


async def test_a_failed_background_connect_reports_the_outcome_too() -> None:
    net = MemoryNetwork()
    net.listen("a").refuse = True
    net.listen("b").refuse = True
    rec = Recorder()
    nc = net.connection(["nats://a:4222", "nats://b:4222"], randomize=False, **rec.options())
    await nc.connect(wait=False)
    assert await rec.closed.wait(5)
    assert isinstance(nc.last_error, natskit.ConnectionRefusedError)
    kinds = [type(e) for e in rec.errors]
    assert kinds == [natskit.ConnectionRefusedError] * 2 + [natskit.NoServersError]


@pytest.mark.parametrize(
    ("text", "fatal"),
    [
        ("'Invalid Publish Subject'", False),
        ("'Invalid Subject'", False),
        ("'Maximum Subscriptions Exceeded'", False),
        ("'Permissions Violation for Subscription to \"x\"'", False),
        ("'Maximum Connections Exceeded'", True),
        ("'Maximum Payload Violation'", True),
        ("'Unknown Protocol Operation'", True),
        ("'Authentication Timeout'", True),
    ],
)
async def test_only_errors_that_end_the_connection_are_fatal(text: str, fatal: bool) -> None:
    rec = Recorder()
    net = MemoryNetwork()
    server = net.listen("mem")
    nc = await net.connect(
        URL, **{**rec.options(), "allow_reconnect": True, "reconnect_time_wait": 0}
    )
    server.peers[0].send(b"-ERR " + text.encode() + b"\r\n")
    assert await rec.error.wait(5)
    await server.accepted(2 if fatal else 1)  # a fatal one: the client reconnected
    await nc.flush()
    assert nc.stats.reconnects == (1 if fatal else 0)
    await nc.close()


async def test_an_interrupted_connect_ends_closed_and_can_connect_again(
    net: MemoryNetwork,
) -> None:
    """A KeyboardInterrupt (any exception that is not natskit's) while opening."""
    interrupts = [KeyboardInterrupt()]

    async def opener(host: str, port: int, timeout: float) -> Any:
        if interrupts:
            raise interrupts.pop()
        return await net.open(host, port, timeout)

    nc = natskit.aio.Connection(URL, _opener=opener)
    with pytest.raises(KeyboardInterrupt):
        await nc.connect()
    assert nc.status is Status.CLOSED
    await nc.connect()
    assert nc.is_connected
    await nc.close()


# unasync: async-only
async def test_a_cancelled_connect_ends_closed_and_can_connect_again(
    net: MemoryNetwork,
) -> None:
    """Cancelled while waiting for the PONG of the handshake (ISSUE: it stayed CONNECTING)."""
    server = net.servers["mem", 4222]
    server.pong = False
    nc = net.connection(URL)
    task = asyncio.ensure_future(nc.connect())
    peer = await server.accepted(1)
    await peer.expect("PING")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert nc.status is Status.CLOSED
    assert peer.closed_by_client  # the half-open socket is not left behind
    server.pong = True
    await nc.connect()
    assert nc.is_connected
    await nc.close()


async def test_a_cancelled_close_or_drain_still_closes(net: MemoryNetwork) -> None:
    for method in ("close", "drain"):
        nc = await net.connect(URL)
        await nc.subscribe("x", callback=lambda msg: None)
        task = asyncio.ensure_future(getattr(nc, method)())
        await asyncio.sleep(0)  # let it start, then cancel it at its first wait
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert nc.status is Status.CLOSED, method
        await nc.connect()  # usable again
        assert nc.is_connected
        await nc.close()


async def test_cancelled_waits_leave_the_connection_as_it_was(net: MemoryNetwork) -> None:
    """request, request_many, next_msg and flush cancelled while they wait."""
    server = net.servers["mem", 4222]
    nc = await net.connect(URL)
    peer = server.peers[0]
    sub = await nc.subscribe("quiet")
    server.pong = False  # a flush then waits
    waits = {
        "request": nc.request("svc", b"", timeout=30),
        "request_many": nc.request_many("svc", b"", timeout=30),
        "next_msg": sub.next_msg(timeout=30),
        "flush": nc.flush(timeout=30),
    }
    for name, wait in waits.items():
        task = asyncio.ensure_future(wait)
        await asyncio.sleep(0)  # it runs up to its wait
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert nc.is_connected, name
    assert len(nc._replies) == 0  # no request waits for a reply any more
    await peer.expect("UNSUB")
    subjects = {c[3]: c[1] for c in peer.commands if c[0] == "SUB"}
    dropped = [subjects[c[1]] for c in peer.commands if c[0] == "UNSUB"]
    assert len(dropped) == 1 and not dropped[0].endswith(".*")  # request_many's own inbox
    server.pong = True
    server.replies["svc"] = [b"ok"]
    assert (await nc.request("svc", b"", timeout=5)).data == b"ok"
    assert sub.is_active
    await nc.close()


# unasync: end
