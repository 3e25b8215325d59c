"""Credentials given as values or functions rather than files: ``user``,
``password`` and ``token`` may be functions (called at each connect, so a
rotated token is used at the next reconnect), ``jwt`` a user JWT or a
function returning one, signed with ``nkey_seed`` or by ``signature_cb``
(nonce bytes -> signature bytes).

No value read here is ever quoted in an error, a repr or a log record.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import InvalidArgError

if TYPE_CHECKING:
    from .options import Options

Secret = str | Callable[[], str]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def check_credentials(opts: Options) -> None:
    """The option rules, checked by ``connect()`` before anything is sent."""
    for name in ("user", "password", "token", "jwt"):
        value = getattr(opts, name)
        if value is not None and not isinstance(value, str) and not callable(value):
            raise InvalidArgError(
                f"{name} must be a str or a function returning one, not {type(value).__name__}"
            )
    if opts.signature_cb is not None and not callable(opts.signature_cb):
        raise InvalidArgError("signature_cb must be a function: nonce bytes -> signature bytes")
    if opts.jwt is not None:
        if opts.creds is not None:
            raise InvalidArgError("jwt and creds both give a user JWT: pass one of them")
        if (opts.nkey_seed is None) == (opts.signature_cb is None):
            raise InvalidArgError("jwt needs exactly one of nkey_seed and signature_cb to sign")
    elif opts.signature_cb is not None:
        raise InvalidArgError("signature_cb signs for a jwt: pass jwt too")


def resolve(value: Secret | None, name: str) -> str | None:
    """The value of a credential option: a function is called now."""
    if value is None or isinstance(value, str):
        return value
    try:
        result = value()
    except Exception as exc:
        raise InvalidArgError(
            f"the {name} function raised {type(exc).__name__} (its message is not shown)"
        ) from None
    if not isinstance(result, str):
        raise InvalidArgError(f"the {name} function must return a str, not {type(result).__name__}")
    return result


def jwt_fields(opts: Options, nonce: bytes, seed_text: Callable[[str], str]) -> dict[str, str]:
    """The ``jwt`` and ``sig`` CONNECT fields of the ``jwt`` option."""
    jwt = resolve(opts.jwt, "jwt") or ""
    if opts.signature_cb is not None:
        try:
            sig = opts.signature_cb(nonce)
        except Exception as exc:
            raise InvalidArgError(
                f"signature_cb raised {type(exc).__name__} (its message is not shown)"
            ) from None
        if not isinstance(sig, (bytes, bytearray)):
            raise InvalidArgError(f"signature_cb must return bytes, not {type(sig).__name__}")
        return {"jwt": jwt, "sig": b64url(bytes(sig))}
    from .nkeys import from_seed

    seed = seed_text(opts.nkey_seed or "")
    return {"jwt": jwt, "sig": b64url(from_seed(seed).sign(nonce))}
