"""Map ``-ERR`` texts from the server to natskit error classes.

Whether an error ends the connection follows nats-server's own code: it
keeps the connection after a permissions violation, an invalid subject of a
SUB or (with ``pedantic``) of a PUB, and too many subscriptions; after every
other ``-ERR`` (stale connection, authorization, maximum payload, parser
errors, ...) it closes it, and the client reconnects.
"""

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
    ("invalid publish subject", BadSubjectError),
    ("maximum payload", MaxPayloadError),
)
# Texts after which the server keeps the connection open (lower case prefixes).
_NOT_FATAL = (
    "permissions violation",
    "invalid subject",
    "invalid publish subject",
    "maximum subscriptions exceeded",
)


def error_from_server(text: str) -> NatsError:
    """The natskit error for the text of a ``-ERR`` line."""
    lowered = text.lower()
    for prefix, cls in _KNOWN:
        if lowered.startswith(prefix):
            return cls(text)
    return ServerError(text)


def is_fatal(err: NatsError) -> bool:
    """True when the server closes the connection after this error."""
    return not str(err).lower().startswith(_NOT_FATAL)
