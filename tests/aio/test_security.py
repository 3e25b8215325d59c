"""TLS requirements and credentials: refusals, precedence, nothing secret leaks."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable
from typing import Any

import pytest

import natskit.aio
from natskit.testing import NatsServer
from tests.fake_server import FakeClient, FakeServer

USERS = """
authorization {
  users = [ {user: alice, password: s3cret-pw} ]
}
"""
TOKEN = """
authorization { token: t0ken-value }
"""


async def test_secure_refuses_a_server_without_tls(nats_server: NatsServer) -> None:
    with pytest.raises(natskit.SecureConnWantedError) as info:
        await natskit.aio.connect(nats_server.url, secure=True)
    assert info.value.code == "ErrSecureConnWanted"


async def test_tls_scheme_refuses_a_server_without_tls(nats_server: NatsServer) -> None:
    with pytest.raises(natskit.SecureConnWantedError):
        await natskit.aio.connect(f"tls://127.0.0.1:{nats_server.port}")


async def test_tls_context_refuses_a_server_without_tls(nats_server: NatsServer) -> None:
    """tls= asks for TLS: a server without it is refused, not used in plaintext."""
    with pytest.raises(natskit.SecureConnWantedError):
        await natskit.aio.connect(nats_server.url, tls=ssl.create_default_context())


async def test_url_credentials_win_over_options(
    nats_server_factory: Callable[..., NatsServer],
) -> None:
    server = nats_server_factory(config=USERS)
    url = f"nats://alice:s3cret-pw@127.0.0.1:{server.port}"
    async with await natskit.aio.connect(url, user="alice", password="wrong") as nc:
        await nc.flush()


async def test_user_password_win_over_token() -> None:
    seen: list[dict[str, Any]] = []

    def handler(client: FakeClient) -> None:
        client.handshake()
        assert client.connect_options is not None  # set by handshake()
        seen.append(client.connect_options)
        client.read_line(timeout=5)

    with FakeServer(handler) as server:
        nc = await natskit.aio.connect(server.url, user="u", password="p", token="t")
        await nc.close()
    assert (seen[0]["user"], seen[0]["pass"]) == ("u", "p")
    assert "auth_token" not in seen[0]


async def test_token_authentication(nats_server_factory: Callable[..., NatsServer]) -> None:
    server = nats_server_factory(config=TOKEN)
    async with await natskit.aio.connect(server.url, token="t0ken-value") as nc:
        await nc.flush()
    async with await natskit.aio.connect(f"nats://t0ken-value@127.0.0.1:{server.port}") as nc:
        await nc.flush()
    with pytest.raises(natskit.AuthorizationError):
        await natskit.aio.connect(server.url, token="wrong")


async def test_no_credentials_known(nats_server_factory: Callable[..., NatsServer]) -> None:
    server = nats_server_factory(config=USERS)
    with pytest.raises(natskit.AuthorizationError, match="no credentials known"):
        await natskit.aio.connect(server.url)


async def test_secrets_never_in_logs_or_errors(
    nats_server_factory: Callable[..., NatsServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = nats_server_factory(config=USERS)
    caplog.set_level(logging.DEBUG, logger="natskit")
    with pytest.raises(natskit.AuthorizationError) as info:
        await natskit.aio.connect(server.url, user="alice", password="not-the-s3cret-pw")
    with pytest.raises(natskit.InvalidArgError) as bad_url:
        natskit.aio.Connection("nats://alice:s3cret-pw@127.0.0.1:notaport")
    nc = natskit.aio.Connection(server.url, user="alice", password="s3cret-pw", token="t0ken")
    texts = [str(info.value), str(bad_url.value), repr(nc.options), caplog.text]
    assert not any("s3cret" in t or "t0ken" in t for t in texts)
