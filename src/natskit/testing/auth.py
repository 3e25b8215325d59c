"""Server configurations for authentication tests: user/password, token, NKey, JWT.

Each ``*_config`` function returns text for :class:`~natskit.testing.NatsServer`'s
``config``. :func:`make_operator_setup` builds a complete decentralized-auth
(operator mode) setup in memory: operator, account and system account keys,
their signed JWTs, and user credentials. Needs the ``cryptography`` package.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from ..nkeys import KeyPair, create

__all__ = [
    "JwtSetup",
    "format_creds",
    "make_jwt",
    "make_operator_setup",
    "nkey_config",
    "token_config",
    "userpass_config",
]

_UNLIMITED = -1
_JWT_HEADER = {"typ": "JWT", "alg": "ed25519-nkey"}


def _quote(value: str) -> str:
    """A double-quoted nats-server configuration string."""
    return json.dumps(value)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def userpass_config(user: str, password: str) -> str:
    """A configuration that admits only ``user`` with ``password``."""
    return f"authorization {{\n  user: {_quote(user)}\n  password: {_quote(password)}\n}}\n"


def token_config(token: str) -> str:
    """A configuration that admits only clients presenting ``token``."""
    return f"authorization {{\n  token: {_quote(token)}\n}}\n"


def nkey_config(public_key: str) -> str:
    """A configuration that admits only the NKey user ``public_key`` (``U...``)."""
    return f"authorization {{\n  users: [{{nkey: {_quote(public_key)}}}]\n}}\n"


def make_jwt(
    issuer: KeyPair,
    subject: str,
    name: str,
    nats: dict[str, Any],
    *,
    expires: int | None = None,
) -> str:
    """A NATS JWT for ``subject`` signed by ``issuer``.

    ``nats`` is the claim's ``nats`` object (with ``type`` and ``version``);
    ``expires`` is a Unix time in seconds. ``jti`` is the base32 SHA-256 of the
    other claims, ``iat`` the current time.
    """
    claims: dict[str, Any] = {
        "iat": int(time.time()),
        "iss": issuer.public_key,
        "name": name,
        "sub": subject,
        "nats": nats,
    }
    if expires is not None:
        claims["exp"] = expires
    digest = hashlib.sha256(_json(claims)).digest()
    claims = {"jti": base64.b32encode(digest).decode("ascii").rstrip("="), **claims}
    signing_input = f"{_b64url(_json(_JWT_HEADER))}.{_b64url(_json(claims))}"
    return f"{signing_input}.{_b64url(issuer.sign(signing_input.encode('ascii')))}"


def format_creds(jwt: str, seed: str) -> str:
    """The text of a ``.creds`` file holding a user JWT and its NKey seed."""
    return (
        f"-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n"
        "************************* IMPORTANT *************************\n"
        "NKEY Seed printed below can be used to sign and prove identity.\n"
        "NKEYs are sensitive and should be treated as secrets.\n\n"
        f"-----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n\n"
        "*************************************************************\n"
    )


def _user_claims() -> dict[str, Any]:
    return {
        "pub": {},
        "sub": {},
        "subs": _UNLIMITED,
        "data": _UNLIMITED,
        "payload": _UNLIMITED,
        "type": "user",
        "version": 2,
    }


def _account_claims(jetstream: bool, revocations: dict[str, int]) -> dict[str, Any]:
    limits: dict[str, Any] = {
        "subs": _UNLIMITED,
        "data": _UNLIMITED,
        "payload": _UNLIMITED,
        "imports": _UNLIMITED,
        "exports": _UNLIMITED,
        "wildcards": True,
        "conn": _UNLIMITED,
        "leaf": _UNLIMITED,
    }
    if jetstream:
        for key in ("mem_storage", "disk_storage", "streams", "consumer"):
            limits[key] = _UNLIMITED
    claims: dict[str, Any] = {
        "limits": limits,
        "default_permissions": {"pub": {}, "sub": {}},
        "type": "account",
        "version": 2,
    }
    if revocations:
        claims["revocations"] = revocations
    return claims


@dataclass(frozen=True)
class JwtSetup:
    """An operator, its account ``ACC`` and system account ``SYS``, and users of ``ACC``.

    ``config`` is the server configuration (operator JWT inline, ``resolver:
    MEMORY`` preloaded with both account JWTs, ``system_account``). ``creds``
    is the ``.creds`` text of a valid user, whose JWT and seed are also in
    ``user_jwt`` and ``user_seed``; ``revoked_creds`` that of a user the
    account JWT revokes. :meth:`make_user` issues more users.
    """

    config: str
    operator: KeyPair
    account: KeyPair
    system_account: KeyPair
    user: KeyPair
    user_jwt: str = field(repr=False)
    creds: str = field(repr=False)
    revoked_creds: str = field(repr=False)

    @property
    def user_seed(self) -> str:
        """The NKey seed of the valid user of :attr:`creds`."""
        return self.user.seed

    def make_user(self, expires: int | None = None, *, name: str = "user") -> str:
        """The ``.creds`` text of a new user of ``ACC``, expiring at Unix time ``expires``."""
        return _issue_user(self.account, name, expires)[2]


def _issue_user(account: KeyPair, name: str, expires: int | None) -> tuple[KeyPair, str, str]:
    """A new user key, its JWT and its ``.creds`` text."""
    user = create("user")
    jwt = make_jwt(account, user.public_key, name, _user_claims(), expires=expires)
    return user, jwt, format_creds(jwt, user.seed)


def make_operator_setup(*, jetstream: bool = False) -> JwtSetup:
    """A fresh operator-mode setup; ``jetstream=True`` lets ``ACC`` use JetStream.

    The server needs ``jetstream=True`` as well for that (``NatsServer(jetstream=True)``).
    """
    operator, account, system = create("operator"), create("account"), create("account")
    user, user_jwt, creds = _issue_user(account, "user", None)
    revoked, _, revoked_creds = _issue_user(account, "revoked", None)
    revoked_at = int(time.time())  # revokes JWTs of the user issued until now
    operator_jwt = make_jwt(
        operator,
        operator.public_key,
        "natskit-operator",
        {"system_account": system.public_key, "type": "operator", "version": 2},
    )
    account_jwt = make_jwt(
        operator,
        account.public_key,
        "ACC",
        _account_claims(jetstream, {revoked.public_key: revoked_at}),
    )
    system_jwt = make_jwt(operator, system.public_key, "SYS", _account_claims(False, {}))
    config = (
        f"operator: {_quote(operator_jwt)}\n"
        f"system_account: {_quote(system.public_key)}\n"
        "resolver: MEMORY\n"
        "resolver_preload: {\n"
        f"  {_quote(account.public_key)}: {_quote(account_jwt)}\n"
        f"  {_quote(system.public_key)}: {_quote(system_jwt)}\n"
        "}\n"
    )
    return JwtSetup(
        config=config,
        operator=operator,
        account=account,
        system_account=system,
        user=user,
        user_jwt=user_jwt,
        creds=creds,
        revoked_creds=revoked_creds,
    )
