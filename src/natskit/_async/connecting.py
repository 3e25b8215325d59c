"""``connect()``: make a ``Connection`` and connect it. In asyncio it returns
a ``Connecting``: the connection to await, or an ``async with`` block that
connects and closes it."""

from __future__ import annotations

import collections.abc  # unasync: remove
from collections.abc import Sequence
from typing import Any

from .connection import Connection


def connect(
    servers: str | Sequence[str] | None = None, *, wait: bool = True, **options: Any
) -> Connecting:
    """Create a ``Connection``, connect it and return it.

    ``servers`` is the pool: a URL or a list of URLs, by default
    ``nats://127.0.0.1:4222``. A URL is ``nats://host[:port]`` (also
    ``tls://``, and ``ws://`` or ``wss://`` with a path for WebSocket) and may
    hold credentials: ``nats://user:password@host`` or ``nats://token@host``.
    Each server is tried once, in order (shuffled unless ``randomize=False``);
    one server raises its own error (``ConnectionRefusedError``,
    ``AuthorizationError``, ``TLSError``, ...), several ``NoServersError``
    caused by the last one. With ``wait=False`` it returns at once, still
    ``CONNECTING``, and connects in the background.

    ``options`` are the attributes of ``Options`` (their defaults are
    listed there): ``name``; timeouts ``connect_timeout``,
    ``request_timeout``, ``drain_timeout``; reconnection
    ``allow_reconnect``, ``max_reconnect_attempts``, ``reconnect_time_wait``,
    ``reconnect_buffer_size``, ``reconnect_jitter``, ``reconnect_jitter_tls``,
    ``reconnect_delay_cb``, ``retry_on_failed_connect``,
    ``ignore_discovered_servers``; keep-alive ``ping_interval``,
    ``max_outstanding_pings``; TLS ``tls``, ``secure``, ``tls_hostname``,
    ``tls_handshake_first``; credentials ``user`` and ``password``,
    ``token``, ``nkey_seed``, ``creds``, ``jwt``, ``signature_cb``; limits ``pending_msgs_limit``,
    ``pending_bytes_limit``; callbacks ``error_cb``, ``status_cb``,
    ``discovered_servers_cb``, ``lame_duck_cb``; and ``echo``,
    ``inbox_prefix``, ``check_subjects``, ``pedantic``, ``verbose``. An
    unknown or bad option is an ``InvalidArgError``.

    In asyncio, ``await connect(...)`` gives the connection, and
    ``async with connect(...) as nc:`` connects and closes it (the ``await``
    may be left out there, as with aiohttp's sessions).
    """
    return Connecting(
        _connect(servers, wait, options)
    )  # unasync: sync: return _connect(servers, wait, options)


async def _connect(servers: str | Sequence[str] | None, wait: bool, options: Any) -> Connection:
    nc = Connection(servers, **options)
    await nc.connect(wait=wait)
    return nc


# unasync: async-only
class Connecting:
    """What ``natskit.aio.connect()`` returns: await it for the connection, or
    use it with ``async with`` (connects on entry, closes on exit)."""

    __slots__ = ("_coro", "_nc")

    def __init__(self, coro: collections.abc.Coroutine[Any, Any, Connection]) -> None:
        self._coro = coro
        self._nc: Connection | None = None

    def __await__(self) -> collections.abc.Generator[Any, None, Connection]:
        return self._coro.__await__()

    async def __aenter__(self) -> Connection:
        self._nc = await self._coro
        return self._nc

    async def __aexit__(self, *exc: object) -> None:
        if self._nc is not None:
            await self._nc.close()


# unasync: end
