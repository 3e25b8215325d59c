"""Faults a real server does not produce, played by a scripted fake server."""

from __future__ import annotations

import pytest

import natskit.aio
from natskit import Status
from natskit._io_async import Event
from tests.fake_server import FakeServer


class Recorder:
    """Collects errors and statuses from the callbacks."""

    def __init__(self):
        self.errors = []
        self.error = Event()
        self.closed = Event()

    def on_error(self, err):
        self.errors.append(err)
        self.error.set()

    def on_status(self, status):
        if status is Status.CLOSED:
            self.closed.set()

    def options(self):
        return {
            "error_cb": self.on_error,
            "status_cb": self.on_status,
            "connect_timeout": 2,
            "allow_reconnect": False,
        }


def serve(script, info=None):
    def handler(client):
        client.handshake(info)
        script(client)

    return FakeServer(handler)


async def test_connect_sends_explicit_fields():
    seen = []

    def script(client):
        seen.append(client.connect_options)
        client.read_line()

    with serve(script) as server:
        nc = await natskit.aio.connect(server.url, name="me", echo=False, user="u", password="p")
        await nc.close()
    fields = seen[0]
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


async def test_malformed_msg_is_a_protocol_error():
    rec = Recorder()

    def script(client):
        client.send(b"MSG foo notasid 3\r\nabc\r\n")
        client.read_line(timeout=5)

    with serve(script) as server:
        nc = await natskit.aio.connect(server.url, **rec.options())
        assert await rec.closed.wait(5)
        assert isinstance(nc.last_error, natskit.ProtocolError)
        assert any(isinstance(e, natskit.ProtocolError) for e in rec.errors)
        assert nc.status is Status.CLOSED


async def test_overlong_control_line_is_a_protocol_error():
    rec = Recorder()

    def script(client):
        client.send(b"MSG " + b"a" * 5000)
        client.read_line(timeout=5)

    with serve(script) as server:
        nc = await natskit.aio.connect(server.url, **rec.options())
        assert await rec.closed.wait(5)
        assert isinstance(nc.last_error, natskit.ProtocolError)


async def test_server_that_never_answers_ping():
    def script(client):
        client.read_until(b"PING", timeout=5)  # swallow it
        client.read_line(timeout=5)

    with serve(script) as server:
        nc = await natskit.aio.connect(server.url)
        with pytest.raises(natskit.TimeoutError):
            await nc.flush(timeout=0.2)
        assert nc.status is Status.CONNECTED
        await nc.close()


async def test_server_ping_is_answered():
    answered = []

    def script(client):
        client.send(b"PING\r\n")
        seen = set()
        while seen != {b"PING", b"PONG"}:  # our PONG, then the client's own PING
            line = client.read_line(timeout=5)
            seen.add(line)
            answered.append(line)
        client.send(b"PONG\r\n")
        client.read_line(timeout=5)

    with serve(script) as server:
        nc = await natskit.aio.connect(server.url)
        await nc.flush(timeout=5)  # answered only after the fake saw our PONG
        await nc.close()
    assert b"PONG" in answered


async def test_permissions_violation_keeps_connection():
    rec = Recorder()

    def script(client):
        client.read_until(b"PUB", timeout=5)
        client.send(b"-ERR 'Permissions Violation for Publish to \"secret\"'\r\n")
        client.read_until(b"PING", timeout=5)
        client.send(b"PONG\r\n")
        client.read_line(timeout=5)

    with serve(script) as server:
        nc = await natskit.aio.connect(server.url, **rec.options())
        await nc.publish("secret", b"x")
        assert await rec.error.wait(5)
        await nc.flush(timeout=2)
        assert nc.status is Status.CONNECTED
        err = rec.errors[0]
        assert isinstance(err, natskit.PermissionsError)
        assert err.code == "ErrPermissions"
        assert nc.last_error is err
        await nc.close()


async def test_stale_connection_error_closes():
    rec = Recorder()

    def script(client):
        client.send(b"-ERR 'Stale Connection'\r\n")
        client.read_line(timeout=5)

    with serve(script) as server:
        nc = await natskit.aio.connect(server.url, **rec.options())
        assert await rec.closed.wait(5)
        assert isinstance(nc.last_error, natskit.StaleConnectionError)


async def test_authorization_error_during_handshake():
    def handler(client):
        client.send(b'INFO {"server_id":"x","max_payload":1024,"headers":true}\r\n')
        client.read_line(timeout=5)  # CONNECT
        client.send(b"-ERR 'Authorization Violation'\r\n")

    with FakeServer(handler) as server:
        with pytest.raises(natskit.AuthorizationError) as info:
            await natskit.aio.connect(server.url, connect_timeout=2)
    assert info.value.code == "ErrAuthorization"


async def test_server_without_info_times_out():
    def handler(client):
        client.read_line(timeout=5)

    with FakeServer(handler) as server:
        with pytest.raises(natskit.ConnectionTimeoutError):
            await natskit.aio.connect(server.url, connect_timeout=0.3)


async def test_garbage_instead_of_info():
    def handler(client):
        client.send(b"HELLO THERE\r\n")
        client.read_line(timeout=5)

    with FakeServer(handler) as server:
        with pytest.raises(natskit.ProtocolError):
            await natskit.aio.connect(server.url, connect_timeout=2)


async def test_headers_not_supported():
    def script(client):
        client.read_line(timeout=5)

    with serve(script, info={"headers": False}) as server:
        nc = await natskit.aio.connect(server.url)
        with pytest.raises(natskit.HeadersNotSupportedError):
            await nc.publish("x", b"", headers={"A": "b"})
        await nc.publish("x", b"no headers is fine")
        await nc.close()


async def test_bad_header_block_is_reported_and_message_delivered():
    rec = Recorder()

    def script(client):
        line = client.read_until(b"SUB", timeout=5)
        sid = line.split()[-1]
        block = b"BOGUS/1.0\r\n\r\n"
        client.send(b"HMSG h %s %d %d\r\n%spayload\r\n" % (sid, len(block), len(block) + 7, block))
        client.read_line(timeout=5)

    with serve(script) as server:
        nc = await natskit.aio.connect(server.url, **rec.options())
        sub = await nc.subscribe("h")
        msg = await sub.next_msg(timeout=5)
        assert msg.data == b"payload"
        assert await rec.error.wait(5)
        assert isinstance(rec.errors[0], natskit.BadHeaderMsgError)
        assert nc.status is Status.CONNECTED
        await nc.close()


async def test_verbose_ok_lines_are_accepted():
    def handler(client):
        client.send(b'INFO {"server_id":"x","max_payload":1024,"headers":true}\r\n')
        client.read_line(timeout=5)  # CONNECT
        client.read_line(timeout=5)  # PING
        client.send(b"+OK\r\nPONG\r\n")
        client.read_until(b"PUB", timeout=5)
        client.send(b"+OK\r\n")
        client.read_until(b"PING", timeout=5)
        client.send(b"PONG\r\n")
        client.read_line(timeout=5)

    with FakeServer(handler) as server:
        nc = await natskit.aio.connect(server.url, verbose=True)
        await nc.publish("v", b"")
        await nc.flush(timeout=2)
        await nc.close()
