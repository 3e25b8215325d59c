"""The server pool and the reconnect policy of a connection, without I/O.

``ServerPool`` decides which server to try next, how long to wait before an
attempt, when a server leaves the pool and when to give up; the connection
only performs the attempts it is told to make. Time comes in as arguments
(``now``) and randomness from an injectable ``random.Random``, so every rule
is unit-tested without a server or a clock.

The rules (the Tcl client's "Connection Status and the Reconnection Process",
and nats.go):

* the initial connect tries each server once, in pool order;
* after a loss, the servers are tried round robin, the lost one last;
* attempts to one server are ``reconnect_time_wait`` apart, measured from
  the previous attempt, plus a random jitter of up to ``reconnect_jitter``
  seconds (``reconnect_jitter_tls`` for a TLS server); a ``reconnect_delay_cb``
  (the number of the attempt -> seconds) replaces that wait;
* every failure counts against its server, which leaves the pool after
  ``max_reconnect_attempts`` failures in a row (-1: never);
* the same authorization error twice in a row from one server ends it all;
* INFO ``connect_urls`` add servers (``discovered``), shuffled unless
  ``randomize`` is off (none with ``ignore_discovered_servers``); a
  discovered IP address keeps the host name the user gave for the TLS
  certificate check;
* once TLS was asked for (``tls=``, ``secure=True``, ``tls_handshake_first``,
  a ``tls://`` or ``wss://`` URL) or any server's INFO required it, every
  connection must be TLS (``tls_required``): no downgrade on a reconnect.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .errors import AuthorizationError, InvalidArgError, NatsError
from .options import Options, Server, ServerAddress, build_pool, is_ip, parse_url

MAX_JITTER = 0.1  # seconds: the default reconnect_jitter
MAX_JITTER_TLS = 1.0  # seconds: the default reconnect_jitter_tls


class ServerPool:
    """The servers of one connection, in the order they are tried."""

    def __init__(
        self,
        urls: str | Sequence[str] | None,
        *,
        randomize: bool = True,
        reconnect_time_wait: float = 2.0,
        max_reconnect_attempts: int = 60,
        tls_hostname: str | None = None,
        rng: random.Random | None = None,
        jitter: float = MAX_JITTER,
        jitter_tls: float = MAX_JITTER_TLS,
        delay_cb: Callable[[int], float] | None = None,
        ignore_discovered: bool = False,
    ) -> None:
        self._rng = rng or random.Random()
        self._randomize = randomize
        self._time_wait = reconnect_time_wait
        self._max_attempts = max_reconnect_attempts
        self._tls_hostname = tls_hostname
        self._jitter = jitter
        self._jitter_tls = jitter_tls
        self._delay_cb = delay_cb
        self._ignore_discovered = ignore_discovered
        self._attempts = 0  # attempts that had to wait, since the last success
        # delay_failed(exc): the reconnect_delay_cb raised (the default wait is used)
        self.delay_failed: Callable[[Exception], None] = lambda exc: None
        self._servers = build_pool(urls, False)
        if randomize:
            self._rng.shuffle(self._servers)
        self.current: Server | None = None  # the server connected last
        # Once TLS was asked for (a tls:// or wss:// URL here, tls=, secure=True,
        # tls_handshake_first) or a server required it, every connection is TLS.
        self.tls_required = any(s.address.scheme in ("tls", "wss") for s in self._servers)

    @classmethod
    def from_options(cls, opts: Options) -> ServerPool:
        """The pool of a connection's options."""
        pool = cls(
            opts.servers,
            randomize=opts.randomize,
            reconnect_time_wait=opts.reconnect_time_wait,
            max_reconnect_attempts=opts.max_reconnect_attempts,
            tls_hostname=opts.tls_hostname,
            jitter=opts.reconnect_jitter,
            jitter_tls=opts.reconnect_jitter_tls,
            delay_cb=opts.reconnect_delay_cb,
            ignore_discovered=opts.ignore_discovered_servers,
        )
        if opts.tls is not None or opts.secure or opts.tls_handshake_first:
            pool.tls_required = True
        return pool

    @property
    def servers(self) -> list[Server]:
        """The pool in order (a copy)."""
        return list(self._servers)

    @property
    def addresses(self) -> list[ServerAddress]:
        return [s.address for s in self._servers]

    def __len__(self) -> int:
        return len(self._servers)

    def tls_name(self, server: Server) -> str:
        """The name the server's certificate must carry: ``tls_hostname`` if
        given, else the host, except that a discovered IP address keeps the
        first host name the user gave."""
        if self._tls_hostname:
            return self._tls_hostname
        host = server.address.host
        if server.discovered and is_ip(host):
            for known in self._servers:
                if not known.discovered and not is_ip(known.address.host):
                    return known.address.host
        return host

    def server_info(self, info: dict[str, Any]) -> None:
        """A server's INFO: one that requires TLS makes TLS required from now on."""
        if info.get("tls_required"):
            self.tls_required = True

    def learn(self, connect_urls: Iterable[str]) -> list[ServerAddress]:
        """Add the servers of an INFO ``connect_urls`` not in the pool yet;
        return their addresses. A URL without scheme takes the current one's.
        With ``ignore_discovered`` nothing is added."""
        if self._ignore_discovered:
            return []
        scheme = self.current.address.scheme if self.current else "nats"
        known = {s.address for s in self._servers}
        added: list[Server] = []
        for url in connect_urls:
            try:
                server = parse_url(url if "://" in url else f"{scheme}://{url}")
            except InvalidArgError:
                continue
            if server.address not in known:
                known.add(server.address)
                server.discovered = True
                added.append(server)
        if self._randomize:
            self._rng.shuffle(added)
        self._servers.extend(added)
        return [s.address for s in added]

    # -- attempts ---------------------------------------------------------

    def attempting(self, server: Server, now: float) -> None:
        """An attempt to ``server`` starts at ``now``."""
        server.last_attempt = now

    def replace(self, urls: str | Sequence[str]) -> None:
        """A new pool (``set_servers``): the URLs given, shuffled unless
        ``randomize`` is off; the current server stays current until it is lost."""
        known = {s.address: s for s in self._servers}
        servers = [known.get(s.address, s) for s in build_pool(urls, False)]
        if self._randomize:
            self._rng.shuffle(servers)
        self._servers = servers
        if any(s.address.scheme in ("tls", "wss") for s in servers):
            self.tls_required = True

    def lost(self, forced: bool = False) -> None:
        """The current server was lost: try the others first. ``forced``
        (``force_reconnect``): the first attempt does not wait."""
        lost = self.current
        if forced:
            for server in self._servers:
                server.last_attempt = -1e9
        if lost in self._servers and len(self._servers) > 1:
            self._servers.remove(lost)
            self._servers.append(lost)

    def next_attempt(self, now: float) -> tuple[Server, float] | None:
        """The server to try next, round robin, and the seconds to wait before
        trying it; None when the pool is empty."""
        if not self._servers:
            return None
        server = self._servers.pop(0)
        self._servers.append(server)
        wait = server.last_attempt + self._time_wait - now
        if wait > 0:
            self._attempts += 1
            tls = self.tls_required or server.address.scheme in ("tls", "wss")
            jitter = self._jitter_tls if tls else self._jitter
            wait += self._rng.uniform(0, jitter) if jitter > 0 else 0.0
            if self._delay_cb is not None:
                try:
                    wait = float(self._delay_cb(self._attempts))
                except Exception as exc:  # reported; the default wait is used
                    self.delay_failed(exc)
        return server, max(wait, 0.0)

    def failed(self, server: Server, error: NatsError) -> bool:
        """Count a failed reconnect attempt; True when reconnecting must stop
        (the same authorization error twice in a row from ``server``)."""
        server.failures += 1
        if isinstance(error, AuthorizationError):
            if server.last_auth_error is type(error):
                return True
            server.last_auth_error = type(error)
        if 0 <= self._max_attempts < server.failures and server in self._servers:
            self._servers.remove(server)
        return False

    def connected(self, server: Server) -> None:
        """``server`` accepted the connection: it is current, its counts start over."""
        self.current = server
        self._attempts = 0
        server.failures = 0
        server.last_auth_error = None
