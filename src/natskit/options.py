"""Connection options and server URLs."""

from __future__ import annotations

import ipaddress
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from threading import TIMEOUT_MAX
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urlsplit

from ._protocol.subjects import check_subject
from .contexts import NatsContext, apply_context, context_for
from .credentials import Secret, check_credentials
from .errors import BadTimeoutError, InvalidArgError

if TYPE_CHECKING:
    import ssl
else:

    class _LazySSL:
        """``ssl`` for the annotations (``typing.get_type_hints``), imported when
        first used: it loads OpenSSL (about 4 MiB), which plaintext clients never need."""

        def __getattr__(self, name: str) -> Any:
            import ssl

            return getattr(ssl, name)

    ssl = _LazySSL()

DEFAULT_URL = "nats://127.0.0.1:4222"
DEFAULT_PORT = 4222
SCHEMES = ("nats", "tls", "ws", "wss")
_WS_PORTS = {"ws": 80, "wss": 443}  # a WebSocket URL without a port: the HTTP default


class ServerAddress(NamedTuple):
    """A server of the pool."""

    host: str
    port: int
    scheme: str
    path: str = ""  # ws:// and wss:// only: the HTTP path of the upgrade ("" is "/")


@dataclass
class Server:
    """A pool entry: the address plus credentials taken from its URL."""

    address: ServerAddress
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    failures: int = 0  # failed reconnect attempts since the last success
    discovered: bool = False  # learned from INFO connect_urls
    last_attempt: float = -1e9  # monotonic time of the last connection attempt
    last_auth_error: type[Exception] | None = None  # of the last failed attempt, if any


def _redact(url: str) -> str:
    """The URL without its credentials, for error messages."""
    scheme, sep, rest = url.rpartition("://")
    return f"{scheme}{sep}***@{rest.rpartition('@')[2]}" if "@" in rest else url


def is_ip(host: str) -> bool:
    """Whether ``host`` is an IP address literal (not a name to look up)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def parse_url(url: str) -> Server:
    """Parse ``nats://[user:pass@|token@]host[:port]`` (or ``tls``, ``ws``, ``wss``);
    ``InvalidArgError`` if bad."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidArgError(f"invalid server URL {url!r}")
    text = url.strip()
    shown = _redact(text)
    if "://" not in text:
        text = "nats://" + text
    try:
        parts = urlsplit(text)
        port = parts.port or _WS_PORTS.get(parts.scheme, DEFAULT_PORT)
    except ValueError:  # its text (and so a context) may quote a password
        port = None
    if port is None:  # raised outside the except: the ValueError is not kept as context
        raise InvalidArgError(
            f"invalid server URL {shown!r}: a bad port or IPv6 address "
            "(characters such as '/' in a password must be %-encoded)"
        )
    if parts.scheme not in SCHEMES:
        raise InvalidArgError(f"unsupported scheme in server URL {shown!r}")
    host = parts.hostname
    path = parts.path if parts.path not in ("", "/") else ""
    if not host or parts.query or parts.fragment or (path and parts.scheme not in _WS_PORTS):
        raise InvalidArgError(f"invalid server URL {shown!r}")
    server = Server(ServerAddress(host, port, parts.scheme, path))
    if parts.username is not None and parts.password is not None:
        server.user = unquote(parts.username)
        server.password = unquote(parts.password)
    elif parts.username:
        server.token = unquote(parts.username)
    return server


def build_pool(servers: str | Sequence[str] | None, randomize: bool) -> list[Server]:
    """Parse, de-duplicate and (once) shuffle the server URLs."""
    urls = [DEFAULT_URL] if servers is None else [servers] if isinstance(servers, str) else servers
    pool: list[Server] = []
    seen: set[ServerAddress] = set()
    for url in urls:
        server = parse_url(url)
        if server.address not in seen:
            seen.add(server.address)
            pool.append(server)
    if not pool:
        raise InvalidArgError("the server pool is empty")
    if randomize:
        random.shuffle(pool)
    return pool


def check_pending_limit(name: str, value: int) -> None:
    """A pending limit is a positive int, or -1 for no limit (as in nats.go)."""
    if type(value) is not int or not (value > 0 or value == -1):
        raise InvalidArgError(f"{name} must be a positive integer or -1 (no limit), not {value!r}")


def check_timeout(value: float | None, default: float | None) -> float | None:
    """A timeout in seconds, ``default`` when None; ``BadTimeoutError`` if bad.

    Values beyond ``threading.TIMEOUT_MAX`` (about 292 years, ``math.inf``
    included) are cut to it: longer waits overflow in the blocking API.
    """
    if value is None:
        return default
    kind = type(value)
    if (kind is float or kind is int) and 0 <= value <= TIMEOUT_MAX:  # common; not NaN, bool
        return float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadTimeoutError(f"timeout must be a number of seconds, not {value!r}")
    if value < 0 or math.isnan(value):
        raise BadTimeoutError(f"timeout must not be negative: {value!r}")
    return min(float(value), TIMEOUT_MAX)


@dataclass
class Options:
    """The options of a connection: the keyword arguments of ``connect()``, with
    their defaults; a connection's are ``nc.options``.

    Timeouts and intervals are seconds; None for ``drain_timeout`` or
    ``request_timeout`` means no limit.

    Attributes:
        servers: The server URLs of the pool (``connect()``'s ``servers``).
        name: The client's name, shown by the server's monitoring.
        pedantic: Ask the server for strict protocol checks.
        verbose: Ask the server to acknowledge every protocol message (+OK).
        randomize: Shuffle the pool once, and the servers the cluster announces.
        connect_timeout: Seconds for one connection attempt: name lookup, TCP,
            TLS, INFO and CONNECT (2).
        reconnect_time_wait: Seconds between two attempts to the same server (2).
        max_reconnect_attempts: Failed attempts after which a server leaves the
            pool (60; -1: never).
        allow_reconnect: Reconnect after a lost connection (True).
        reconnect_buffer_size: Bytes of publishes kept while reconnecting (8 MiB);
            beyond it ``publish`` raises ``ReconnectBufferExceededError``.
        ping_interval: Seconds between keep-alive PINGs (120).
        max_outstanding_pings: Unanswered PINGs after which the connection is
            stale and replaced (2).
        echo: Deliver this connection's own publishes to its subscriptions (True).
        tls: An ``ssl.SSLContext`` for TLS connections (client certificates,
            CAs); None: the default context when TLS is used.
        tls_hostname: The name to check the server's certificate against
            (default: the host of the URL).
        tls_handshake_first: Start TLS before the server's INFO (a server with
            ``handshake_first``).
        secure: Require TLS of every server.
        user: The user name (also taken from a URL's ``user:password@``), or
            a function returning it (called at each connect).
        password: The password of ``user`` (or a function returning it).
        token: An authentication token (also a URL's ``token@``), or a
            function returning it, called at each connect: a rotated token
            is used at the next reconnect.
        nkey_seed: An NKey seed (``SU...``), or the path of a file holding it,
            to sign the server's nonce (``pip install natskit[nkeys]``).
        creds: A ``.creds`` file (user JWT and NKey seed): its path or its text.
        jwt: A user JWT, or a function returning one (called at each
            connect), signed with ``nkey_seed`` or by ``signature_cb``.
        signature_cb: ``f(nonce) -> signature``: signs the server's nonce
            (bytes) for ``jwt`` with the user's key, kept elsewhere.
        check_subjects: Check published and subscribed subjects before sending
            (``BadSubjectError``).
        request_timeout: The default ``timeout`` of requests, in seconds (10).
        inbox_prefix: The prefix of reply subjects (``_INBOX``).
        pending_msgs_limit: Messages a subscription holds before it drops new
            ones as a slow consumer (512 Ki; -1: no limit).
        pending_bytes_limit: The same in payload bytes (64 MiB; -1: no limit).
        drain_timeout: The default ``timeout`` of ``drain()``, in seconds (30).
        error_cb: Called with each asynchronous error: a lost server, a failed
            reconnect attempt, a slow consumer, an ``-ERR``, a ``CallbackError``
            for a callback that raised (without ``error_cb``, that one is
            reported as an unhandled exception of a thread or task).
        status_cb: Called with the new ``Status`` on each change.
        discovered_servers_cb: Called with the servers the cluster announced
            (a list of ``ServerAddress``).
        lame_duck_cb: Called with the ``ServerAddress`` of a server entering
            lame duck mode (it is about to shut down).
        ignore_discovered_servers: Use only the given servers, not those the
            cluster announces (False).
        retry_on_failed_connect: When no server answers the first connect,
            return at once (``RECONNECTING``) and go on trying in the
            background as after a loss (False).
        reconnect_jitter: Up to this many seconds, at random, are added to
            the wait before a reconnect attempt (0.1).
        reconnect_jitter_tls: The same for TLS servers (1.0).
        reconnect_delay_cb: Called with the number of the attempt (1, 2, ...
            since the last success) when a reconnect must wait: returns the
            seconds to wait instead of ``reconnect_time_wait`` and jitter.
        context: A natscli context to read (ADR-21): its name, or True for
            the selected one; by default the one the ``NATS_CONTEXT``
            environment variable names, if set (False: none). Options given
            to ``connect()`` win over the context's.
        context_settings: The ``NatsContext`` read (None: none); its
            ``jetstream_domain`` and ``jetstream_api_prefix`` are the
            defaults of ``jetstream()``.
    """

    servers: list[str] = field(default_factory=lambda: [DEFAULT_URL])
    name: str | None = None
    pedantic: bool = False
    verbose: bool = False
    randomize: bool = True
    connect_timeout: float = 2.0
    reconnect_time_wait: float = 2.0
    max_reconnect_attempts: int = 60
    allow_reconnect: bool = True
    reconnect_buffer_size: int = 8 * 1024 * 1024
    ping_interval: float = 120.0
    max_outstanding_pings: int = 2
    echo: bool = True
    tls: ssl.SSLContext | None = None
    tls_hostname: str | None = None
    tls_handshake_first: bool = False
    secure: bool = False
    user: Secret | None = None
    password: Secret | None = field(default=None, repr=False)
    token: Secret | None = field(default=None, repr=False)
    nkey_seed: str | None = field(default=None, repr=False)
    creds: str | None = field(default=None, repr=False)  # a path, or the text itself
    jwt: Secret | None = field(default=None, repr=False)
    signature_cb: Callable[[bytes], bytes] | None = field(default=None, repr=False)
    check_subjects: bool = True
    request_timeout: float = 10.0
    inbox_prefix: str = "_INBOX"
    pending_msgs_limit: int = 512 * 1024
    pending_bytes_limit: int = 64 * 1024 * 1024
    drain_timeout: float = 30.0
    error_cb: Callable[[Exception], Any] | None = None
    status_cb: Callable[[Any], Any] | None = None
    discovered_servers_cb: Callable[[list[ServerAddress]], Any] | None = None
    lame_duck_cb: Callable[[ServerAddress], Any] | None = None
    ignore_discovered_servers: bool = False
    retry_on_failed_connect: bool = False
    reconnect_jitter: float = 0.1
    reconnect_jitter_tls: float = 1.0
    reconnect_delay_cb: Callable[[int], float] | None = None
    context: str | bool | None = None
    context_settings: NatsContext | None = field(default=None, init=False)

    def __repr__(self) -> str:
        # Secrets stay out: credential fields have repr=False, URLs lose their user info.
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "servers":
                value = [_redact(u) if isinstance(u, str) else u for u in value]
            if f.repr:
                parts.append(f"{f.name}={value!r}")
        return f"Options({', '.join(parts)})"

    @classmethod
    def build(cls, servers: str | Sequence[str] | None, kwargs: dict[str, Any]) -> Options:
        """Options from ``connect()`` arguments; ``InvalidArgError`` for unknown names."""
        known = {f.name for f in fields(cls) if f.init}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise InvalidArgError(f"unknown connection option(s): {', '.join(unknown)}")
        ctx = context_for(kwargs.get("context"))
        if ctx is not None:
            servers, kwargs = apply_context(ctx, servers, kwargs)
        opts = cls(**kwargs)
        opts.context_settings = ctx
        if servers is not None:
            opts.servers = [servers] if isinstance(servers, str) else list(servers)
        for name in (
            "connect_timeout",
            "reconnect_time_wait",
            "ping_interval",
            "request_timeout",
            "drain_timeout",
            "reconnect_jitter",
            "reconnect_jitter_tls",
        ):
            setattr(opts, name, check_timeout(getattr(opts, name), None))
        for name in (
            "max_reconnect_attempts",
            "reconnect_buffer_size",
            "max_outstanding_pings",
            "pending_msgs_limit",
            "pending_bytes_limit",
        ):
            value = getattr(opts, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidArgError(f"{name} must be an integer, not {value!r}")
        for name in ("pending_msgs_limit", "pending_bytes_limit"):
            check_pending_limit(name, getattr(opts, name))
        check_credentials(opts)
        if opts.reconnect_delay_cb is not None and not callable(opts.reconnect_delay_cb):
            raise InvalidArgError("reconnect_delay_cb must be a function: attempt -> seconds")
        if opts.tls is not None:
            import ssl

            if not isinstance(opts.tls, ssl.SSLContext):
                raise InvalidArgError(
                    "tls must be an ssl.SSLContext (secure=True asks for TLS with a default one)"
                )
        prefix = opts.inbox_prefix
        try:
            check_subject(prefix)
            if "*" in prefix or ">" in prefix:
                raise InvalidArgError("wildcards")
        except InvalidArgError as exc:
            raise InvalidArgError(f"invalid inbox_prefix {prefix!r}: {exc}") from None
        return opts
