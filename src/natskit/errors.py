"""natskit errors: every class derives from ``NatsError`` and has a ``code``.

``code`` is the name the Tcl client and nats.go use for the same condition
(``"ErrTimeout"``, ...), so log lines and tests can match on it. Where a
Python built-in means the same, the class is also that built-in, so
``except TimeoutError``, ``except ConnectionError`` and ``except ValueError``
work as Python users expect. The tree (``*``: also the built-in named):

    NatsError
    +-- NetworkError (* ConnectionError)    reaching or keeping a server failed
    |   +-- BrokenSocketError               the socket failed or was closed
    |   +-- ConnectionRefusedError          the server refused the connection
    |   +-- HostNotFoundError               the host name did not resolve
    |   +-- ConnectionTimeoutError (* TimeoutError, natskit.TimeoutError)
    |   +-- TLSError                        the TLS handshake failed
    |   +-- StaleConnectionError            PINGs not answered
    |   +-- NoServersError                  no server of the pool could be reached
    +-- TimeoutError (* TimeoutError)       a request, flush or other wait
    +-- InvalidArgError (* ValueError)      a bad argument, refused before sending
    |   +-- BadSubjectError, BadQueueNameError, BadTimeoutError
    +-- AuthorizationError                  -ERR: authorization failed
    |   +-- AuthExpiredError, AuthRevokedError, AccountAuthExpiredError
    +-- PermissionsError, ServerError       other -ERR from the server
    +-- JetStreamError                      an error reply of the JetStream API
    |   +-- JetStreamNotEnabledError, JetStreamNotEnabledForAccountError,
    |   |   WrongLastSequenceError, StreamNotFoundError, ConsumerNotFoundError,
    |   |   ConsumerNotActiveError, ConsumerSequenceMismatchError,
    |   |   MsgNotFoundError, BucketNotFoundError, KeyNotFoundError,
    |   |   ObjectNotFoundError, DigestMismatchError, BatchError
    +-- ConnectionClosedError (* ConnectionError)  closed, or closed while waiting
    +-- CallbackError                       a callback of the user's raised
    +-- SecureConnWantedError, ProtocolError,
        MaxPayloadError, HeadersNotSupportedError, BadHeaderMsgError,
        ReconnectBufferExceededError, SlowConsumerError, BadSubscriptionError,
        NoRespondersError, NotJSMessageError, ServiceError
"""

from __future__ import annotations

import builtins
from typing import Any

__all__ = [
    "AccountAuthExpiredError",
    "AuthExpiredError",
    "AuthRevokedError",
    "AuthorizationError",
    "BadHeaderMsgError",
    "BadQueueNameError",
    "BadSubjectError",
    "BadSubscriptionError",
    "BadTimeoutError",
    "BatchError",
    "BrokenSocketError",
    "BucketNotFoundError",
    "CallbackError",
    "ConnectionClosedError",
    "ConnectionRefusedError",
    "ConnectionTimeoutError",
    "ConsumerNotActiveError",
    "ConsumerNotFoundError",
    "ConsumerSequenceMismatchError",
    "DigestMismatchError",
    "HeadersNotSupportedError",
    "HostNotFoundError",
    "InvalidArgError",
    "JetStreamError",
    "JetStreamNotEnabledError",
    "JetStreamNotEnabledForAccountError",
    "KeyNotFoundError",
    "MaxPayloadError",
    "MsgNotFoundError",
    "NatsError",
    "NetworkError",
    "NoRespondersError",
    "NoServersError",
    "NotJSMessageError",
    "ObjectNotFoundError",
    "PermissionsError",
    "ProtocolError",
    "ReconnectBufferExceededError",
    "SecureConnWantedError",
    "ServerError",
    "ServiceError",
    "SlowConsumerError",
    "StaleConnectionError",
    "StreamNotFoundError",
    "TLSError",
    "TimeoutError",
    "WrongLastSequenceError",
]


class NatsError(Exception):
    """Base class of every natskit error."""

    code = "ErrNats"


class ConnectionClosedError(NatsError, builtins.ConnectionError):
    """The connection is closed (or was closed while waiting)."""

    code = "ErrConnectionClosed"


class InvalidArgError(NatsError, ValueError):
    """An argument is invalid."""

    code = "ErrInvalidArg"


class BadSubjectError(InvalidArgError):
    """A subject does not follow the NATS naming rules (ADR-6)."""

    code = "ErrBadSubject"


class BadQueueNameError(InvalidArgError):
    """A queue group name is invalid."""

    code = "ErrBadQueueName"


class BadTimeoutError(InvalidArgError):
    """A timeout is negative or not a number."""

    code = "ErrBadTimeout"


class MaxPayloadError(NatsError):
    """Payload plus headers exceed the server's ``max_payload``."""

    code = "ErrMaxPayload"


class BadSubscriptionError(NatsError):
    """The subscription is closed or invalid."""

    code = "ErrBadSubscription"


class TimeoutError(NatsError, builtins.TimeoutError):
    """A request, flush or other wait timed out."""

    code = "ErrTimeout"


class NetworkError(NatsError, builtins.ConnectionError):
    """Reaching a server, or keeping the connection to it, failed."""

    code = "ErrNetwork"


class BrokenSocketError(NetworkError):
    """The TCP socket failed, or the server closed it."""

    code = "ErrBrokenSocket"


class ConnectionRefusedError(NetworkError):
    """The TCP connection was refused."""

    code = "ErrConnectionRefused"


class HostNotFoundError(NetworkError):
    """The server's host name did not resolve (``host`` names it)."""

    code = "ErrHostNotFound"

    def __init__(self, message: str, *, host: str = "") -> None:
        super().__init__(message)
        self.host = host


class ConnectionTimeoutError(NetworkError, TimeoutError):
    """Connecting to a server took longer than ``connect_timeout``."""

    code = "ErrConnectionTimeout"


class TLSError(NetworkError):
    """The TLS handshake failed."""

    code = "ErrTLS"


class StaleConnectionError(NetworkError):
    """A party did not answer PING in time."""

    code = "ErrStaleConnection"


class NoServersError(NetworkError):
    """No server of the pool could be reached."""

    code = "ErrNoServers"


class NoRespondersError(NatsError):
    """Nobody is subscribed to the request subject (status 503)."""

    code = "ErrNoResponders"


class HeadersNotSupportedError(NatsError):
    """The server does not support message headers."""

    code = "ErrHeadersNotSupported"


class SlowConsumerError(NatsError):
    """A subscription's pending limits were exceeded; messages were dropped."""

    code = "ErrSlowConsumer"

    def __init__(self, message: str, *, sid: int = 0, subject: str = "") -> None:
        super().__init__(message)
        self.sid = sid
        self.subject = subject


class CallbackError(NatsError):
    """A callback of the user's raised (its exception is ``__cause__``).

    ``subject`` and ``sid`` name the subscription it ran for (empty / 0 for
    other callbacks, ``status_cb`` say); ``error_cb`` gets it, or, without
    one, it is reported as an unhandled exception of a thread or task.
    """

    code = "ErrCallback"

    def __init__(self, message: str, *, sid: int = 0, subject: str = "") -> None:
        super().__init__(message)
        self.sid = sid
        self.subject = subject


class SecureConnWantedError(NatsError):
    """TLS was required but the server does not offer it."""

    code = "ErrSecureConnWanted"


class BadHeaderMsgError(NatsError):
    """Message headers could not be parsed; the message was still delivered."""

    code = "ErrBadHeaderMsg"


class ServerError(NatsError):
    """A ``-ERR`` from the server that has no more specific class."""

    code = "ErrServer"


class PermissionsError(NatsError):
    """The server refused a publish or subscribe (permissions violation)."""

    code = "ErrPermissions"


class AuthorizationError(NatsError):
    """Authorization failed, or no credentials are known for the server."""

    code = "ErrAuthorization"


class AuthExpiredError(AuthorizationError):
    """The user's authorization expired."""

    code = "ErrAuthExpired"


class AuthRevokedError(AuthorizationError):
    """The user's authorization was revoked."""

    code = "ErrAuthRevoked"


class AccountAuthExpiredError(AuthorizationError):
    """The account's authorization expired."""

    code = "ErrAccountAuthExpired"


class ServiceError(NatsError):
    """Raised by a service handler: the request is answered with this error
    (``Nats-Service-Error-Code: error_code``, ``Nats-Service-Error: description``)."""

    code = "ErrServiceError"

    def __init__(self, error_code: str | int, description: str) -> None:
        code = str(error_code)
        if not code.isdigit() or not isinstance(description, str) or not description.strip():
            raise InvalidArgError(
                f"ServiceError needs a numeric code and a description, not {error_code!r}, "
                f"{description!r}"
            )
        super().__init__(f"{code}: {description}")
        self.error_code = code
        self.description = description


class ProtocolError(NatsError):
    """Bytes from the server do not follow the NATS protocol."""

    code = "ErrProtocol"


class ReconnectBufferExceededError(NatsError):
    """The buffer for data published while disconnected is full."""

    code = "ErrReconnectBufExceeded"


class JetStreamError(NatsError):
    """An error reply from the JetStream API (subclasses have the Tcl code)."""

    code = "ErrJSResponse"

    def __init__(
        self,
        description: str = "",
        *,
        status: int | None = None,
        err_code: int | None = None,
        raw: Any = None,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.status = status
        self.err_code = err_code
        self.raw = raw


class JetStreamNotEnabledError(JetStreamError):
    """JetStream is not enabled on the server."""

    code = "ErrJetStreamNotEnabled"


class JetStreamNotEnabledForAccountError(JetStreamError):
    """JetStream is not enabled for this account."""

    code = "ErrJetStreamNotEnabledForAccount"


class WrongLastSequenceError(JetStreamError):
    """An expected-last-sequence check failed."""

    code = "ErrWrongLastSequence"


class StreamNotFoundError(JetStreamError):
    """The stream does not exist."""

    code = "ErrStreamNotFound"


class ConsumerNotFoundError(JetStreamError):
    """The consumer does not exist."""

    code = "ErrConsumerNotFound"


class BucketNotFoundError(JetStreamError):
    """The Key-Value or Object Store bucket does not exist."""

    code = "ErrBucketNotFound"


class MsgNotFoundError(JetStreamError):
    """The stream message does not exist."""

    code = "ErrMsgNotFound"


class KeyNotFoundError(JetStreamError):
    """The key does not exist, or was deleted or purged."""

    code = "ErrKeyNotFound"


class ObjectNotFoundError(JetStreamError):
    """The object does not exist in the object store, or was deleted."""

    code = "ErrObjectNotFound"


class DigestMismatchError(JetStreamError):
    """An object read does not match its recorded size or SHA-256 digest."""

    code = "ErrDigestMismatch"


class BatchError(JetStreamError):
    """An atomic batch was refused or abandoned: none of its messages was stored
    (``description``, ``err_code``: the server's reason)."""

    code = "ErrBatch"


class NotJSMessageError(NatsError):
    """The message is not a JetStream message."""

    code = "ErrNotJSMessage"


class ConsumerNotActiveError(JetStreamError):
    """The consumer is no longer active."""

    code = "ErrConsumerNotActive"


class ConsumerSequenceMismatchError(JetStreamError):
    """An ordered consumer saw a sequence gap."""

    code = "ErrConsumerSequenceMismatch"
