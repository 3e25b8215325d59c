"""Map ``-ERR`` texts from the server to natskit error classes."""

from __future__ import annotations

from .errors import (
    AccountAuthExpiredError,
    AuthExpiredError,
    AuthorizationError,
    AuthRevokedError,
    BadSubjectError,
    MaxPayloadError,
    NatsError,
    PermissionsError,
    ServerError,
    StaleConnectionError,
)

# (lower-case text prefix, class); the first match wins.
_KNOWN: tuple[tuple[str, type[NatsError]], ...] = (
    ("stale connection", StaleConnectionError),
    ("permissions violation", PermissionsError),
    ("authorization violation", AuthorizationError),
    ("user authentication expired", AuthExpiredError),
    ("user authentication revoked", AuthRevokedError),
    ("account authentication expired", AccountAuthExpiredError),
    ("invalid subject", BadSubjectError),
    ("maximum payload", MaxPayloadError),
)
# Errors after which the server keeps the connection open.
_NOT_FATAL = (PermissionsError, BadSubjectError)


def error_from_server(text: str) -> NatsError:
    """The natskit error for the text of a ``-ERR`` line."""
    lowered = text.lower()
    for prefix, cls in _KNOWN:
        if lowered.startswith(prefix):
            return cls(text)
    return ServerError(text)


def is_fatal(err: NatsError) -> bool:
    """True when the server closes the connection after this error."""
    return not isinstance(err, _NOT_FATAL)
