"""The doors of ``Connection`` into natskit's features: JetStream, services,
user info and message tracing (a mixin; each feature lives in its own module)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..msg import HeadersArg
from .jetstream import JetStream
from .requests import Payload
from .service import Endpoint, Service
from .tracing import trace
from .userinfo import user_info

if TYPE_CHECKING:
    from ..options import Options
    from .connection import Connection
    from .link import Link


class FeatureMethods:
    """``jetstream``, ``service``, ``user_info`` and ``trace`` of ``Connection``."""

    if TYPE_CHECKING:
        options: Options
        _link: Link

    def _conn(self) -> Connection:
        return self._link.conn

    def jetstream(
        self,
        *,
        timeout: float = 5.0,
        domain: str | None = None,
        api_prefix: str | None = None,
        trace: bool = False,
    ) -> JetStream:
        """A ``JetStream`` context on this connection; no I/O until it is used.

        ``timeout`` bounds each of its requests unless a method takes its own;
        ``domain`` (a JetStream domain, ``$JS.<domain>.API``) or ``api_prefix``
        (an account's import prefix) choose another JetStream (ADR-19);
        ``trace`` logs every API request and reply at debug level on the
        ``natskit.jetstream`` logger. Without ``domain`` and ``api_prefix``,
        those of the natscli context (``context=``), if any, are used.
        """
        ctx = self.options.context_settings
        if ctx is not None and domain is None and api_prefix is None:
            domain, api_prefix = ctx.jetstream_domain, ctx.jetstream_api_prefix
        return JetStream(
            self._link, timeout=timeout, domain=domain, api_prefix=api_prefix, trace=trace
        )

    async def service(
        self,
        name: str,
        version: str,
        *,
        description: str | None = None,
        metadata: dict[str, str] | None = None,
        queue_group: str | None = None,
        queue_group_disabled: bool = False,
        stats_handler: Callable[[Endpoint], Any] | None = None,
    ) -> Service:
        """Start an instance of the service ``name`` (ADR-32) and return it.

        It answers ``$SRV.PING``, ``$SRV.INFO`` and ``$SRV.STATS`` at once;
        ``Service.add_endpoint`` and ``Service.add_group`` add what it serves.
        ``name`` is letters, digits, ``-`` and ``_``; ``version`` semantic
        versioning (``1.0.0``). ``queue_group`` (default ``"q"``) is the queue
        group of its endpoints, none with ``queue_group_disabled``;
        ``stats_handler(endpoint)`` returns the ``data`` of an endpoint's STATS.
        ``InvalidArgError`` for a bad argument, before anything is sent.
        """
        return await Service.start(
            self._conn(),
            name,
            version,
            description=description,
            metadata=metadata,
            queue_group=queue_group,
            queue_group_disabled=queue_group_disabled,
            stats_handler=stats_handler,
        )

    async def user_info(self, timeout: float | None = None) -> dict[str, Any]:
        """The server's account of this user (nats-server 2.10+): ``user``,
        ``account``, ``permissions``, ``expires``."""
        return await user_info(self._conn(), timeout)

    async def trace(
        self,
        subject: str,
        payload: Payload = b"",
        *,
        headers: HeadersArg = None,
        deliver: bool = True,
        timeout: float = 1.0,
    ) -> list[dict[str, Any]]:
        """Publish one message traced (ADR-41, nats-server 2.11+); the servers'
        events within ``timeout`` s. ``deliver=False``: not delivered."""
        return await trace(self._conn(), subject, payload, headers, deliver, timeout)
