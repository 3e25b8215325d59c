"""TLS and NKey/JWT authentication against real servers with generated material."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path

import pytest

import natskit.aio
from natskit import nkeys
from natskit.testing import NatsServer
from natskit.testing.auth import JwtSetup, nkey_config
from natskit.testing.tls import Certs, TlsServer, make_certs


def client_context(certs: Certs, *, client_cert: bool = False) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=certs.ca_file)
    if client_cert:
        ctx.load_cert_chain(certs.client_cert, certs.client_key)
    return ctx


async def roundtrip(nc: natskit.aio.Connection) -> None:
    sub = await nc.subscribe("tls.check")
    await nc.publish("tls.check", b"secret payload")
    assert (await sub.next_msg(timeout=2)).data == b"secret payload"


async def test_tls_upgrade_when_the_server_requires_it(tls_server: TlsServer) -> None:
    ctx = client_context(tls_server.certs)
    async with await natskit.aio.connect(tls_server.url, tls=ctx) as nc:
        assert nc.server_info["tls_required"] is True
        await roundtrip(nc)


async def test_tls_scheme_and_hostname_verification(tls_server: TlsServer) -> None:
    ctx = client_context(tls_server.certs)
    url = f"tls://localhost:{tls_server.port}"
    async with await natskit.aio.connect(url, tls=ctx) as nc:
        await roundtrip(nc)


async def test_default_context_verifies_the_certificate(tls_server: TlsServer) -> None:
    """Without the test CA the self-made certificate is not trusted."""
    with pytest.raises(natskit.TLSError) as info:
        await natskit.aio.connect(tls_server.url)
    assert info.value.code == "ErrTLS"


async def test_wrong_host_name_is_refused(tls_server: TlsServer) -> None:
    ctx = client_context(tls_server.certs)
    with pytest.raises(natskit.TLSError):
        await natskit.aio.connect(tls_server.url, tls=ctx, tls_hostname="not-this-host.example")


async def test_client_certificate(tls_verify_server: TlsServer) -> None:
    ctx = client_context(tls_verify_server.certs, client_cert=True)
    async with await natskit.aio.connect(tls_verify_server.url, tls=ctx) as nc:
        await roundtrip(nc)


async def test_missing_client_certificate_fails(tls_verify_server: TlsServer) -> None:
    ctx = client_context(tls_verify_server.certs)
    with pytest.raises(natskit.NatsError):
        await natskit.aio.connect(tls_verify_server.url, tls=ctx, allow_reconnect=False)


async def test_tls_handshake_first(tmp_path: Path) -> None:
    certs = make_certs(tmp_path)
    with TlsServer(certs, handshake_first=True) as server:
        ctx = client_context(certs)
        async with await natskit.aio.connect(server.url, tls=ctx, tls_handshake_first=True) as nc:
            await roundtrip(nc)


async def test_nkey_authentication(
    nats_server_factory: Callable[..., NatsServer], tmp_path: Path
) -> None:
    user = nkeys.create("user")
    server = nats_server_factory(config=nkey_config(user.public_key))
    async with await natskit.aio.connect(server.url, nkey_seed=user.seed) as nc:
        await roundtrip(nc)
    seed_file = tmp_path / "user.nk"
    seed_file.write_text(user.seed)
    async with await natskit.aio.connect(server.url, nkey_seed=str(seed_file)) as nc:
        await nc.flush()
    other = nkeys.create("user")
    with pytest.raises(natskit.AuthorizationError):
        await natskit.aio.connect(server.url, nkey_seed=other.seed)


async def test_jwt_creds_authentication(
    jwt_server: NatsServer, operator_setup: JwtSetup, tmp_path: Path
) -> None:
    creds = tmp_path / "user.creds"
    creds.write_text(operator_setup.creds)
    async with await natskit.aio.connect(jwt_server.url, creds=str(creds)) as nc:
        await roundtrip(nc)
    revoked = tmp_path / "revoked.creds"
    revoked.write_text(operator_setup.revoked_creds)
    with pytest.raises(natskit.AuthorizationError):
        await natskit.aio.connect(jwt_server.url, creds=str(revoked))


async def test_creds_given_as_text(jwt_server: NatsServer, operator_setup: JwtSetup) -> None:
    """``creds=`` takes the text of a .creds file as well as its path."""
    async with await natskit.aio.connect(jwt_server.url, creds=operator_setup.creds) as nc:
        await roundtrip(nc)
        assert operator_setup.user_seed not in repr(nc.options)


async def test_missing_creds_file_is_a_clear_error(jwt_server: NatsServer, tmp_path: Path) -> None:
    with pytest.raises(natskit.InvalidArgError, match="credentials"):
        await natskit.aio.connect(jwt_server.url, creds=str(tmp_path / "nope.creds"))
