"""OpenTelemetry tracing for both APIs of natskit (``pip install natskit[otel]``).

>>> from natskit.otel import NatskitInstrumentor
>>> NatskitInstrumentor().instrument()  # tracer_provider=..., propagator=...
>>> NatskitInstrumentor().uninstrument()

Once instrumented, every connection of ``natskit`` and ``natskit.aio`` makes
spans after the OpenTelemetry messaging conventions (``messaging.system`` is
``"nats"``): ``publish``, ``request``, ``process`` around a subscription's
callback (and a ``consume()`` or ordered consumer callback), ``receive`` for
each message ``next_msg`` returns, JetStream ``publish`` and ``fetch``. The
trace context goes into the message headers (W3C ``traceparent`` and
``tracestate`` by default: the global propagator) and a ``process`` span is
a child of the context its message carries, from natskit or any other
client that writes these headers. See docs/observability.md.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from contextvars import Token
from typing import Any

try:
    from opentelemetry import context as otel_context
    from opentelemetry import propagate, trace
    from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY as SUPPRESS
    from opentelemetry.propagators.textmap import Getter, Setter, TextMapPropagator
    from opentelemetry.trace import Link, Span, SpanContext, SpanKind, StatusCode
except ImportError as exc:  # pragma: no cover - tested in a subprocess
    raise ImportError(
        "natskit.otel needs the OpenTelemetry API: pip install natskit[otel]"
    ) from exc

from . import _instrument
from ._version import __version__
from .errors import NatsError
from .headers import Headers
from .msg import HeadersArg, MsgBase, MsgMetadata, headers_of

__all__ = ["NatskitInstrumentor", "extract"]

SYSTEM = "nats"
_INBOX = "_INBOX."
# kind of send -> (operation name, span kind)
_SENDS = {
    "publish": ("publish", SpanKind.PRODUCER),
    "request": ("request", SpanKind.PRODUCER),
    "js_publish": ("publish", SpanKind.PRODUCER),
    "js_publish_async": ("publish", SpanKind.PRODUCER),
}


class _HeadersGetter(Getter[Headers]):
    """Reads a key in any letter case: Go's ``http.Header`` carriers write ``Traceparent``."""

    def get(self, carrier: Headers, key: str) -> list[str] | None:
        values = carrier.get_all(key)
        if values:
            return values
        lower = key.lower()
        for name in carrier:
            if name.lower() == lower:
                return carrier.get_all(name)
        return None

    def keys(self, carrier: Headers) -> list[str]:
        return list(carrier)


class _HeadersSetter(Setter[Headers]):
    def set(self, carrier: Headers, key: str, value: str) -> None:
        carrier.set(key, value)


GETTER = _HeadersGetter()
SETTER = _HeadersSetter()


def _propagator(given: TextMapPropagator | None) -> TextMapPropagator:
    return given if given is not None else propagate.get_global_textmap()


def extract(msg: MsgBase, context: otel_context.Context | None = None) -> otel_context.Context:
    """The trace context ``msg`` carries (its creation context) on top of
    ``context`` (default: the current one), to parent a span of your own:

        with tracer.start_as_current_span("work", context=natskit.otel.extract(msg)):
            ...

    Without trace headers it is ``context`` itself. Works without
    ``instrument()``; uses the propagator given to it, else the global one.
    """
    hooks = _instrument.active
    given = hooks.propagator if isinstance(hooks, _Tracing) else None
    headers = headers_of(msg)
    if context is None:
        context = otel_context.get_current()
    if not headers:
        return context
    return _propagator(given).extract(headers, context, GETTER)


def _error_type(exc: BaseException) -> str:
    cls = type(exc)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def _failed(span: Span, exc: BaseException) -> None:
    span.record_exception(exc)
    span.set_status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}")
    span.set_attribute("error.type", _error_type(exc))


def _size(payload: Any) -> int:
    if isinstance(payload, str):
        return len(payload.encode(errors="replace"))
    if isinstance(payload, memoryview):
        return payload.nbytes
    return len(payload)


def _temporary(conn: Any, subject: str) -> bool:
    """An inbox: a reply subject, named by the span's ``temporary`` attribute, not its name."""
    return subject.startswith(_INBOX) or subject.startswith(f"{conn.options.inbox_prefix}.")


class _Op:
    """A send or fetch under way: its span and the headers to send."""

    __slots__ = ("_kind", "_propagator", "_span", "_token", "headers")

    def __init__(
        self,
        kind: str,
        span: Span | None,
        headers: HeadersArg,
        token: Token[otel_context.Context] | None = None,
        propagator: TextMapPropagator | None = None,
    ) -> None:
        self._kind = kind
        self._span = span
        self._token = token  # of the context attached for the operation, detached at the end
        self._propagator = propagator
        self.headers = headers

    def result(self, value: Any) -> None:
        span = self._span
        if span is None:
            return
        if self._kind == "js_publish":
            span.set_attribute("messaging.nats.stream", value.stream)
            span.set_attribute("messaging.nats.sequence", value.seq)
        elif self._kind == "fetch":
            span.set_attribute("messaging.batch.message_count", len(value))
            for msg in value:
                creation = _creation(headers_of(msg), self._propagator)
                if creation is not None:
                    span.add_link(creation)

    def end(self, error: BaseException | None) -> None:
        span, self._span = self._span, None
        if self._token is not None:
            otel_context.detach(self._token)
            self._token = None
        if span is None:
            return
        if error is not None and not isinstance(error, GeneratorExit):
            _failed(span, error)
        span.end()

    def future_done(self, fut: Any) -> None:
        if fut.cancelled():
            self.end(None)
        else:
            self.end(fut.exception())

    def __enter__(self) -> _Op:
        return self

    def __exit__(self, _type: Any, error: BaseException | None, _tb: Any) -> None:
        self.end(error)


def _creation(headers: Headers | None, given: TextMapPropagator | None) -> SpanContext | None:
    """The span context that ``headers`` carry, if they carry a valid one."""
    if not headers:
        return None
    ctx = _propagator(given).extract(headers, otel_context.Context(), GETTER)
    span_context = trace.get_current_span(ctx).get_span_context()
    return span_context if span_context.is_valid else None


class _Tracing:
    """The hooks natskit calls while instrumented (``natskit._instrument.Hooks``)."""

    def __init__(self, tracer: trace.Tracer, propagator: TextMapPropagator | None) -> None:
        self.tracer = tracer
        self.propagator = propagator

    def now(self) -> int:
        return time.time_ns()

    def _attributes(self, conn: Any, operation: str, kind: str, subject: str) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            "messaging.system": SYSTEM,
            "messaging.operation.name": operation,
            "messaging.operation.type": kind,
            "messaging.destination.name": subject,
        }
        if _temporary(conn, subject):
            attrs["messaging.destination.temporary"] = True
        server = conn.current_server
        if server is not None:
            attrs["server.address"] = server.host
            attrs["server.port"] = server.port
        client_id = conn.client_id
        if client_id is not None:
            attrs["messaging.client.id"] = str(client_id)
        return attrs

    def send(
        self,
        kind: str,
        conn: Any,
        subject: str,
        payload: Any,
        headers: HeadersArg,
        msg_id: str | None = None,
    ) -> _Op:
        if otel_context.get_value(SUPPRESS):
            return _Op(kind, None, headers)
        operation, span_kind = _SENDS[kind]
        attrs = self._attributes(conn, operation, "send", subject)
        attrs["messaging.message.body.size"] = _size(payload)
        if msg_id:
            attrs["messaging.message.id"] = msg_id
        out = Headers(headers) if headers else Headers()  # never the caller's object
        custom = _creation(out, self.propagator)
        name = (
            operation if attrs.get("messaging.destination.temporary") else f"{operation} {subject}"
        )
        span = self.tracer.start_span(
            name,
            kind=span_kind,
            attributes=attrs,
            links=[Link(custom)] if custom is not None else None,
        )
        if custom is None:  # the user's own creation context stays as it is
            ctx = trace.set_span_in_context(span)
            _propagator(self.propagator).inject(out, ctx, SETTER)
        token = None
        if kind == "js_publish":  # its request is natskit's own: no span of its own
            token = otel_context.attach(otel_context.set_value(SUPPRESS, True))
        return _Op(kind, span, out, token)

    def _consumer_attributes(
        self, conn: Any, operation: str, msg: MsgBase, sub_subject: str | None, queue: str | None
    ) -> tuple[str, dict[str, Any]]:
        attrs = self._attributes(conn, operation, operation, msg.subject)
        attrs["messaging.message.body.size"] = len(msg.data)
        name = msg.subject
        if sub_subject is not None and ("*" in sub_subject or ">" in sub_subject):
            attrs["messaging.destination.template"] = name = sub_subject
        if queue:
            attrs["messaging.consumer.group.name"] = queue
        reply = msg.reply
        if reply and reply.startswith("$JS.ACK."):
            try:
                meta = MsgMetadata.parse(reply)
            except NatsError:
                pass
            else:
                attrs["messaging.nats.stream"] = meta.stream
                attrs["messaging.destination.subscription.name"] = meta.consumer
        if attrs.get("messaging.destination.temporary") and name == msg.subject:
            return operation, attrs
        return f"{operation} {name}", attrs

    @contextmanager
    def process(
        self, conn: Any, msg: MsgBase, sub_subject: str | None, queue: str | None
    ) -> Iterator[None]:
        name, attrs = self._consumer_attributes(conn, "process", msg, sub_subject, queue)
        # The parent is the message's creation context; without one a new
        # trace (not whatever context the worker happens to have).
        parent = otel_context.Context()
        headers = headers_of(msg)
        if headers:
            parent = _propagator(self.propagator).extract(headers, parent, GETTER)
        span = self.tracer.start_span(
            name, context=parent, kind=SpanKind.CONSUMER, attributes=attrs
        )
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        try:
            yield
        except BaseException as exc:
            _failed(span, exc)
            raise
        finally:
            otel_context.detach(token)
            span.end()

    def receive(
        self, conn: Any, msg: MsgBase, sub_subject: str | None, queue: str | None, start: int
    ) -> None:
        if otel_context.get_value(SUPPRESS):
            return
        name, attrs = self._consumer_attributes(conn, "receive", msg, sub_subject, queue)
        creation = _creation(headers_of(msg), self.propagator)
        span = self.tracer.start_span(
            name,
            kind=SpanKind.CLIENT,
            attributes=attrs,
            links=[Link(creation)] if creation is not None else None,
            start_time=start,
        )
        span.end()

    def fetch(self, conn: Any, stream: str, consumer: str, batch: int) -> _Op:
        if otel_context.get_value(SUPPRESS):
            return _Op("fetch", None, None)
        attrs: dict[str, Any] = {
            "messaging.system": SYSTEM,
            "messaging.operation.name": "fetch",
            "messaging.operation.type": "receive",
            "messaging.destination.subscription.name": consumer,
            "messaging.nats.stream": stream,
            "messaging.nats.batch": batch,
        }
        server = conn.current_server
        if server is not None:
            attrs["server.address"] = server.host
            attrs["server.port"] = server.port
        client_id = conn.client_id
        if client_id is not None:
            attrs["messaging.client.id"] = str(client_id)
        span = self.tracer.start_span(f"fetch {stream}", kind=SpanKind.CLIENT, attributes=attrs)
        # the pull request and the messages are natskit's own: no spans of their own
        token = otel_context.attach(otel_context.set_value(SUPPRESS, True))
        return _Op("fetch", span, None, token, self.propagator)


class NatskitInstrumentor:
    """Turns tracing on and off for every connection of both APIs.

    Like the ``opentelemetry-instrumentation-*`` instrumentors, it is a
    singleton with ``instrument()`` and ``uninstrument()``, and
    ``opentelemetry-instrument`` finds it by its entry point (``natskit``).
    """

    _instance: NatskitInstrumentor | None = None

    def __new__(cls) -> NatskitInstrumentor:
        if cls._instance is None:
            cls._instance = object.__new__(cls)
        return cls._instance

    @property
    def is_instrumented_by_opentelemetry(self) -> bool:
        """True between ``instrument()`` and ``uninstrument()``."""
        return isinstance(_instrument.active, _Tracing)

    def instrumentation_dependencies(self) -> Collection[str]:
        """What must be installed besides the API: nothing (natskit is the instrumented library)."""
        return ()

    def instrument(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        propagator: TextMapPropagator | None = None,
        **_options: Any,
    ) -> None:
        """Trace every connection from now on: spans from ``tracer_provider``
        (default: the global one), trace context in headers by ``propagator``
        (default: the global one, W3C ``traceparent``/``tracestate`` unless
        configured otherwise). Other keyword arguments, which
        ``opentelemetry-instrument`` passes to every instrumentor, are ignored.
        A second call while instrumented does nothing."""
        if self.is_instrumented_by_opentelemetry:
            return
        tracer = trace.get_tracer("natskit", __version__, tracer_provider)
        _instrument.active = _Tracing(tracer, propagator)

    def uninstrument(self, **_options: Any) -> None:
        """Stop tracing: no spans and no trace headers from now on."""
        _instrument.active = None
