"""Where instrumentation plugs in: ``active`` is None unless ``natskit.otel`` is on.

The connection, subscriptions and JetStream check ``_instrument.active`` once
per operation; only when it is set do they call its hooks, so natskit without
instrumentation does no other work (and never imports OpenTelemetry).
``natskit.otel`` sets and clears it. The hooks are called with the public
objects of either API (a ``Connection``, ``Msg``), never with I/O to do.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .msg import HeadersArg, MsgBase


class Op(Protocol):
    """A traced operation under way (its span): what to send, what came of it.

    As a context manager it ends with the exception that left the block, if any.
    """

    headers: HeadersArg  # the headers to send: the caller's, with the trace context added

    def result(self, value: Any) -> None:
        """The outcome: a ``PubAck``, the fetched messages, a reply, a count."""

    def end(self, error: BaseException | None) -> None:
        """End the span (once; later calls do nothing)."""

    def future_done(self, fut: Any) -> None:
        """End the span with the outcome of a done future (of a request)."""

    def __enter__(self) -> Op: ...

    def __exit__(self, *exc_info: Any) -> None: ...


class Hooks(Protocol):
    """What the instrumented code calls (``natskit.otel`` implements it)."""

    def send(
        self,
        kind: str,
        conn: Any,
        subject: str,
        payload: Any,
        headers: HeadersArg,
        msg_id: str | None = None,
    ) -> Op:
        """A span around a send: ``kind`` is ``"publish"``, ``"request"``,
        ``"js_publish"`` or ``"js_publish_async"``."""

    def process(
        self, conn: Any, msg: MsgBase, sub_subject: str | None, queue: str | None
    ) -> AbstractContextManager[None]:
        """A span around a callback handling ``msg`` (child of its creation context)."""

    def receive(
        self,
        conn: Any,
        msg: MsgBase,
        sub_subject: str | None,
        queue: str | None,
        start: int,
    ) -> None:
        """A span for ``msg`` returned by ``next_msg`` called at ``start`` (``now()``)."""

    def fetch(self, conn: Any, stream: str, consumer: str, batch: int) -> Op:
        """A span around a JetStream fetch; its ``result`` is the list of messages."""

    def now(self) -> int:
        """The time for ``receive``'s ``start``."""


active: Hooks | None = None
