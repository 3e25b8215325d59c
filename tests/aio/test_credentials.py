"""Credentials without files: jwt= (a str or a function) with nkey_seed= or
signature_cb=, and user/password/token functions read at each connect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import natskit.aio
from natskit import Status
from natskit._io_async import Event
from natskit.nkeys import from_seed
from natskit.testing import NatsServer
from natskit.testing.auth import JwtSetup, token_config, userpass_config

SECRET = "Qx7S3cretTok"


class Reconnected:
    def __init__(self) -> None:
        self.seen: list[Status] = []
        self.event = Event()

    def __call__(self, status: Status) -> None:
        if status is Status.CONNECTED and Status.RECONNECTING in self.seen:
            self.event.set()
        self.seen.append(status)


async def test_jwt_string_with_nkey_seed(jwt_server: NatsServer, operator_setup: JwtSetup) -> None:
    async with natskit.aio.connect(
        jwt_server.url, jwt=operator_setup.user_jwt, nkey_seed=operator_setup.user_seed
    ) as nc:
        sub = await nc.subscribe("jwt.s")
        await nc.publish("jwt.s", b"ok")
        assert (await sub.next_msg(timeout=5)).data == b"ok"
        assert operator_setup.user_jwt not in repr(nc.options)


async def test_jwt_function_with_signature_cb_called_at_each_connect(
    jwt_server: NatsServer, operator_setup: JwtSetup
) -> None:
    key = from_seed(operator_setup.user_seed)  # held by the application, not natskit
    nonces: list[bytes] = []
    jwts: list[int] = []

    def sign(nonce: bytes) -> bytes:
        nonces.append(nonce)
        return key.sign(nonce)

    def user_jwt() -> str:
        jwts.append(1)
        return operator_setup.user_jwt

    reconnected = Reconnected()
    async with natskit.aio.connect(
        jwt_server.url, jwt=user_jwt, signature_cb=sign, status_cb=reconnected
    ) as nc:
        assert nc.is_connected
        await nc.force_reconnect()
        assert await reconnected.event.wait(10)
        assert len(jwts) == 2 and len(nonces) == 2
        assert nonces[0] and nonces[0] != nonces[1]  # a fresh nonce each time


async def test_a_rotated_token_is_used_at_the_next_reconnect(
    nats_server_factory: Callable[..., NatsServer],
) -> None:
    first = nats_server_factory(config=token_config("token-one"))
    current = ["token-one"]
    reconnected = Reconnected()
    nc = await natskit.aio.connect(
        first.url,
        token=lambda: current[0],
        status_cb=reconnected,
        reconnect_time_wait=0.05,
        reconnect_jitter=0.0,
        max_reconnect_attempts=-1,
    )
    try:
        port = first.port
        first.stop()
        current[0] = "token-two"
        nats_server_factory(config=token_config("token-two"), port=port)
        assert await reconnected.event.wait(20)
        assert nc.is_connected
    finally:
        await nc.close()


async def test_user_and_password_functions(
    nats_server_factory: Callable[..., NatsServer],
) -> None:
    server = nats_server_factory(config=userpass_config("alice", SECRET))
    async with natskit.aio.connect(server.url, user=lambda: "alice", password=lambda: SECRET) as nc:
        assert await nc.rtt() >= 0
    with pytest.raises(natskit.AuthorizationError) as info:
        await natskit.aio.connect(server.url, user=lambda: "alice", password=lambda: SECRET + "x")
    assert SECRET not in f"{info.value} {info.value!r}"


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"jwt": "eyJx"}, "exactly one of nkey_seed and signature_cb"),
        ({"jwt": "eyJx", "nkey_seed": "SUA", "signature_cb": bytes}, "exactly one"),
        ({"signature_cb": bytes}, "pass jwt too"),
        ({"jwt": "eyJx", "creds": "x.creds", "nkey_seed": "SUA"}, "jwt and creds"),
        ({"token": 12}, "token must be a str or a function"),
        ({"jwt": b"eyJx", "nkey_seed": "SUA"}, "jwt must be a str or a function"),
        ({"signature_cb": "sig", "jwt": "eyJx"}, "signature_cb must be a function"),
    ],
)
async def test_bad_credential_options_are_refused_before_connecting(
    options: dict[str, Any], words: str
) -> None:
    with pytest.raises(natskit.InvalidArgError) as info:
        natskit.aio.Connection("nats://127.0.0.1:1", **options)
    assert words in str(info.value)


async def test_a_failing_credential_function_is_a_clear_error_without_its_message(
    nats_server_factory: Callable[..., NatsServer],
) -> None:
    server = nats_server_factory(config=token_config(SECRET))

    def broken() -> str:
        raise RuntimeError(f"vault said {SECRET}")

    with pytest.raises(natskit.InvalidArgError) as info:
        await natskit.aio.connect(server.url, token=broken)
    assert "the token function raised RuntimeError" in str(info.value)
    assert SECRET not in f"{info.value} {info.value!r} {info.value.__cause__!r}"
    with pytest.raises(natskit.InvalidArgError, match="must return a str, not int"):
        await natskit.aio.connect(server.url, token=lambda: 5)


async def test_a_signature_cb_returning_no_bytes_is_a_clear_error(
    jwt_server: NatsServer, operator_setup: JwtSetup
) -> None:
    with pytest.raises(natskit.InvalidArgError, match="signature_cb must return bytes"):
        await natskit.aio.connect(
            jwt_server.url, jwt=operator_setup.user_jwt, signature_cb=lambda nonce: "sig"
        )
