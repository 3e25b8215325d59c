"""The CONNECT message: an explicit list of fields, credentials and signatures."""

from __future__ import annotations

import base64
import os
from typing import Any

from ._version import __version__
from .credentials import jwt_fields, resolve
from .errors import InvalidArgError
from .options import Options, Server


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _read_text(value: str, what: str) -> str:
    try:
        with open(value, encoding="utf-8") as f:
            return f.read()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the "path"
        reason = getattr(exc, "strerror", None) or "not a file name"
    shown = repr(value) if _path_like(value) else "(not shown: it is not a file name)"
    raise InvalidArgError(f"cannot read the {what} file {shown}: {reason}")


def _path_like(value: str) -> bool:
    """Whether ``value`` may be quoted in an error: it reads as a file name (a
    directory or an extension in it), not as key material given by mistake
    (several lines, a seed, a JWT)."""
    from .nkeys import B32_ALPHABET

    text = value.strip()
    secret = (text.startswith("S") and set(text) <= B32_ALPHABET) or text.startswith("eyJ")
    named = "/" in text or "\\" in text or "." in text.rpartition("/")[2]
    return named and len(text) <= 1024 and not secret and not any(c in text for c in "\r\n\0")


def _creds_text(value: str) -> str:
    """``creds`` is the path of a .creds file, or the text of one."""
    if not isinstance(value, str):
        raise InvalidArgError(f"creds must be a str, not {type(value).__name__}")
    return value if "-----BEGIN" in value else _read_text(value, "credentials")


def _seed_text(value: str) -> str:
    """``nkey_seed`` is the seed itself or the path of a file holding it.

    Text that looks like a seed (``S`` and base32 letters) and names no file is
    taken as one, also when malformed, so that no error message quotes it.
    """
    if not isinstance(value, str):
        raise InvalidArgError(f"nkey_seed must be a str, not {type(value).__name__}")
    from .nkeys import B32_ALPHABET

    text = value.strip()
    if text.startswith("S") and set(text) <= B32_ALPHABET and not os.path.exists(text):
        return text
    return _read_text(value, "NKey seed").strip()


def connect_fields(
    opts: Options, server: Server, info: dict[str, Any], tls: bool
) -> dict[str, Any]:
    """The CONNECT fields for ``server``; credentials from its URL win over options.

    URL credentials beat option credentials, user and password beat a token;
    NKey and JWT (``creds``) sign the server's nonce.
    """
    fields: dict[str, Any] = {
        "verbose": opts.verbose,
        "pedantic": opts.pedantic,
        "tls_required": tls,
        "lang": "python",
        "version": __version__,
        "protocol": 1,
        "echo": opts.echo,
        "headers": True,
        "no_responders": True,
    }
    if opts.name is not None:
        fields["name"] = opts.name
    from_url = server.user is not None or server.token is not None
    user = server.user if from_url else resolve(opts.user, "user")
    password = server.password if from_url else resolve(opts.password, "password")
    token = server.token if from_url else resolve(opts.token, "token")
    if user is not None:
        fields["user"] = user
        fields["pass"] = password or ""
    elif token is not None:
        fields["auth_token"] = token
    nonce = str(info.get("nonce", "")).encode()
    if opts.creds is not None:
        from .nkeys import from_seed, read_creds

        jwt, seed = read_creds(_creds_text(opts.creds))
        fields["jwt"] = jwt
        fields["sig"] = _b64url(from_seed(seed).sign(nonce))
    elif opts.jwt is not None:
        fields.update(jwt_fields(opts, nonce, _seed_text))
    elif opts.nkey_seed is not None:
        from .nkeys import from_seed

        pair = from_seed(_seed_text(opts.nkey_seed))
        fields["nkey"] = pair.public_key
        fields["sig"] = _b64url(pair.sign(nonce))
    return fields


def has_credentials(fields: dict[str, Any]) -> bool:
    """True when the CONNECT fields carry any kind of credentials."""
    return any(k in fields for k in ("user", "auth_token", "jwt", "nkey"))
