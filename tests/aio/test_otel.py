"""OpenTelemetry instrumentation (natskit.otel) against a real server, with
the SDK's in-memory exporter: spans, their attributes and parentage, trace
context in headers, and nothing at all when not instrumented."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Sequence

import pytest
from opentelemetry import trace
from opentelemetry.propagate import inject
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import natskit.aio
from natskit._io_async import Event, monotonic, sleep
from natskit.otel import NatskitInstrumentor, extract
from natskit.testing import NatsServer

_PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


class Traces:
    """The spans exported so far, and a tracer of the test's own."""

    def __init__(self, provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
        self.provider = provider
        self.exporter = exporter
        self.tracer = provider.get_tracer("test")

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.name == name]

    def one(self, name: str) -> ReadableSpan:
        found = self.named(name)
        assert len(found) == 1, (name, [s.name for s in self.spans()])
        return found[0]

    async def wait_for(self, *names: str, timeout: float = 5.0) -> None:
        """Until a span of each name has ended (process spans end after the callback)."""
        deadline = monotonic() + timeout
        while not all(self.named(n) for n in names):
            assert monotonic() < deadline, (names, [s.name for s in self.spans()])
            await sleep(0.01)


@pytest.fixture
def traces() -> Generator[Traces, None, None]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    NatskitInstrumentor().instrument(tracer_provider=provider)
    try:
        yield Traces(provider, exporter)
    finally:
        NatskitInstrumentor().uninstrument()


@pytest.fixture
async def pair(jetstream_server: NatsServer) -> AsyncIterator[Sequence[natskit.aio.Connection]]:
    a = await natskit.aio.connect(jetstream_server.url)
    b = await natskit.aio.connect(jetstream_server.url)
    yield a, b
    await a.close()
    await b.close()


def child_of(span: ReadableSpan, parent: ReadableSpan) -> bool:
    return (
        span.parent is not None
        and span.parent.span_id == parent.context.span_id
        and span.context.trace_id == parent.context.trace_id
    )


async def test_process_span_is_a_child_of_the_publish_span_across_connections(
    traces: Traces, pair: Sequence[natskit.aio.Connection]
) -> None:
    pub, sub = pair
    seen = Event()
    inner: list[trace.SpanContext] = []

    async def handler(msg: natskit.aio.Msg) -> None:
        inner.append(trace.get_current_span().get_span_context())
        seen.set()

    await sub.subscribe("orders.*", queue="workers", callback=handler)
    await sub.flush()
    with traces.tracer.start_as_current_span("app"):
        await pub.publish("orders.new", b"12345")
    assert await seen.wait(5)
    await traces.wait_for("process orders.*")

    app = traces.one("app")
    publish = traces.one("publish orders.new")
    process = traces.one("process orders.*")
    assert publish.kind is SpanKind.PRODUCER and child_of(publish, app)
    assert process.kind is SpanKind.CONSUMER and child_of(process, publish)
    assert process.parent is not None and process.parent.is_remote
    assert inner == [process.context]  # the callback runs in the process span
    server = pub.current_server
    assert server is not None
    assert dict(publish.attributes or {}) == {
        "messaging.system": "nats",
        "messaging.operation.name": "publish",
        "messaging.operation.type": "send",
        "messaging.destination.name": "orders.new",
        "messaging.message.body.size": 5,
        "messaging.client.id": str(pub.client_id),
        "server.address": server.host,
        "server.port": server.port,
    }
    attrs = dict(process.attributes or {})
    assert attrs["messaging.operation.name"] == "process"
    assert attrs["messaging.operation.type"] == "process"
    assert attrs["messaging.destination.name"] == "orders.new"
    assert attrs["messaging.destination.template"] == "orders.*"
    assert attrs["messaging.consumer.group.name"] == "workers"
    assert attrs["messaging.message.body.size"] == 5
    assert attrs["messaging.client.id"] == str(sub.client_id)


async def test_the_reply_is_parented_to_the_request(
    traces: Traces, pair: Sequence[natskit.aio.Connection]
) -> None:
    requester, responder = pair

    async def handler(msg: natskit.aio.Msg) -> None:
        await msg.respond(msg.data.upper())

    await responder.subscribe("svc", callback=handler)
    await responder.flush()
    reply = await requester.request("svc", b"hi", timeout=5)
    assert reply.data == b"HI"
    await traces.wait_for("process svc")

    request = traces.one("request svc")
    process = traces.one("process svc")
    answer = traces.one("publish")  # to the requester's inbox: no destination in the name
    assert request.kind is SpanKind.PRODUCER
    assert dict(request.attributes or {})["messaging.operation.name"] == "request"
    assert child_of(process, request) and child_of(answer, process)
    assert dict(answer.attributes or {})["messaging.destination.temporary"] is True
    # the reply carries the context of the answer, the requester can follow it
    assert (
        trace.get_current_span(extract(reply)).get_span_context().span_id == answer.context.span_id
    )


async def test_request_future_and_request_many_are_traced(
    traces: Traces, pair: Sequence[natskit.aio.Connection]
) -> None:
    requester, responder = pair

    async def handler(msg: natskit.aio.Msg) -> None:
        await msg.respond(b"ok")

    await responder.subscribe("svc", callback=handler)
    await responder.flush()
    fut = await requester.request_future("svc", b"1", timeout=5)
    done = Event()
    fut.add_done_callback(lambda f: done.set())
    assert await done.wait(5)
    assert fut.result().data == b"ok"
    assert len(await requester.request_many("svc", b"2", timeout=5, max_msgs=1)) == 1
    await traces.wait_for("request svc")
    await traces.wait_for("process svc")
    deadline = monotonic() + 5
    while len(traces.named("request svc")) < 2 or len(traces.named("process svc")) < 2:
        assert monotonic() < deadline
        await sleep(0.01)
    requests = traces.named("request svc")
    for process in traces.named("process svc"):
        assert any(child_of(process, r) for r in requests)


async def test_jetstream_publish_and_fetch(
    traces: Traces, pair: Sequence[natskit.aio.Connection]
) -> None:
    nc = pair[0]
    js = nc.jetstream()
    await js.add_stream(name="OTEL", subjects=["otel.>"])
    await js.add_consumer("OTEL", durable_name="C")
    traces.exporter.clear()

    ack = await js.publish("otel.a", b"abc", msg_id="id-1")
    publish = traces.one("publish otel.a")
    assert publish.kind is SpanKind.PRODUCER
    attrs = dict(publish.attributes or {})
    assert attrs["messaging.message.id"] == "id-1"
    assert attrs["messaging.nats.stream"] == "OTEL"
    assert attrs["messaging.nats.sequence"] == ack.seq
    assert [s.name for s in traces.spans()] == ["publish otel.a"]  # its request is natskit's own

    traces.exporter.clear()
    msgs = await js.fetch("OTEL", "C", 10, timeout=1)
    assert [m.data for m in msgs] == [b"abc"]
    assert msgs[0].headers.get("traceparent") is not None
    fetch = traces.one("fetch OTEL")
    assert [s.name for s in traces.spans()] == ["fetch OTEL"]  # no pull request, no receive
    assert fetch.kind is SpanKind.CLIENT
    attrs = dict(fetch.attributes or {})
    assert attrs["messaging.operation.type"] == "receive"
    assert attrs["messaging.destination.subscription.name"] == "C"
    assert attrs["messaging.batch.message_count"] == 1
    assert [link.context.span_id for link in fetch.links] == [publish.context.span_id]
    await msgs[0].ack()


async def test_consume_callback_runs_in_a_process_span(
    traces: Traces, pair: Sequence[natskit.aio.Connection]
) -> None:
    nc = pair[0]
    js = nc.jetstream()
    await js.add_stream(name="OTELC", subjects=["otelc.>"])
    await js.add_consumer("OTELC", durable_name="W")
    await js.publish("otelc.x", b"1")
    seen = Event()

    async def handler(msg: natskit.aio.Msg) -> None:
        await msg.ack()
        seen.set()

    ctx = await js.consume("OTELC", "W", handler)
    try:
        assert await seen.wait(5)
        await traces.wait_for("process otelc.x")
    finally:
        await ctx.stop()
    process = traces.one("process otelc.x")
    assert child_of(process, traces.one("publish otelc.x"))
    attrs = dict(process.attributes or {})
    assert attrs["messaging.nats.stream"] == "OTELC"
    assert attrs["messaging.destination.subscription.name"] == "W"
    assert not [s for s in traces.spans() if "MSG.NEXT" in s.name]


async def test_ordered_consumer_callback_runs_in_a_process_span(
    traces: Traces, pair: Sequence[natskit.aio.Connection]
) -> None:
    nc = pair[0]
    js = nc.jetstream()
    await js.add_stream(name="OTELO", subjects=["otelo.>"])
    await js.publish("otelo.x", b"1")
    seen = Event()
    oc = await js.ordered_consumer("OTELO", lambda msg: seen.set())
    try:
        assert await seen.wait(5)
        await traces.wait_for("process otelo.x")
    finally:
        await oc.close()
    assert child_of(traces.one("process otelo.x"), traces.one("publish otelo.x"))


async def test_consume_iteration_makes_receive_spans(
    traces: Traces, pair: Sequence[natskit.aio.Connection]
) -> None:
    nc = pair[0]
    js = nc.jetstream()
    await js.add_stream(name="OTELI", subjects=["oteli.>"])
    await js.add_consumer("OTELI", durable_name="I")
    await js.publish("oteli.x", b"1")
    ctx = await js.consume("OTELI", "I")
    try:
        msg = await ctx.next_msg(5)
        await msg.ack()
    finally:
        await ctx.stop()
    receive = traces.one("receive oteli.x")
    assert receive.kind is SpanKind.CLIENT
    publish = traces.one("publish oteli.x")
    assert [link.context.span_id for link in receive.links] == [publish.context.span_id]
    assert dict(receive.attributes or {})["messaging.destination.subscription.name"] == "I"


async def test_next_msg_makes_a_receive_span_linked_to_the_publisher(
    traces: Traces, pair: Sequence[natskit.aio.Connection]
) -> None:
    pub, sub_conn = pair
    sub = await sub_conn.subscribe("pull.me")
    await sub_conn.flush()
    await pub.publish("pull.me", "é")  # str: its UTF-8 size
    msg = await sub.next_msg(5)
    publish = traces.one("publish pull.me")
    receive = traces.one("receive pull.me")
    assert receive.kind is SpanKind.CLIENT
    assert [link.context.span_id for link in receive.links] == [publish.context.span_id]
    assert dict(receive.attributes or {})["messaging.message.body.size"] == 2
    assert dict(publish.attributes or {})["messaging.message.body.size"] == 2
    # for a span of the application's own, parented to the publisher
    with traces.tracer.start_as_current_span("work", context=extract(msg)):
        pass
    assert child_of(traces.one("work"), publish)


async def test_a_callback_that_raises_marks_its_span(
    traces: Traces, jetstream_server: NatsServer
) -> None:
    errors: list[Exception] = []

    async def on_error(exc: Exception) -> None:
        errors.append(exc)

    nc = await natskit.aio.connect(jetstream_server.url, error_cb=on_error)
    try:

        async def handler(msg: natskit.aio.Msg) -> None:
            raise RuntimeError("boom")

        await nc.subscribe("fail", callback=handler)
        await nc.publish("fail", b"")
        await traces.wait_for("process fail")
    finally:
        await nc.close()
    process = traces.one("process fail")
    assert process.status.status_code is StatusCode.ERROR
    assert dict(process.attributes or {})["error.type"] == "RuntimeError"
    assert [e.name for e in process.events] == ["exception"]
    assert len(errors) == 1 and isinstance(errors[0].__cause__, RuntimeError)


async def test_a_trace_context_of_the_users_own_is_kept(
    traces: Traces, pair: Sequence[natskit.aio.Connection]
) -> None:
    pub, sub_conn = pair
    sub = await sub_conn.subscribe("own")
    await sub_conn.flush()
    headers = {"traceparent": _PARENT, "X": "1"}
    await pub.publish("own", b"", headers=headers)
    msg = await sub.next_msg(5)
    assert msg.headers.get("traceparent") == _PARENT
    assert headers == {"traceparent": _PARENT, "X": "1"}  # the caller's dict untouched
    publish = traces.one("publish own")
    assert [format(link.context.span_id, "016x") for link in publish.links] == [_PARENT[36:52]]


async def test_a_peer_writing_Traceparent_in_another_case_is_understood(
    traces: Traces, pair: Sequence[natskit.aio.Connection]
) -> None:
    pub, sub_conn = pair
    seen = Event()

    async def handler(msg: natskit.aio.Msg) -> None:
        seen.set()

    await sub_conn.subscribe("go", callback=handler)
    await sub_conn.flush()
    # as Go's http.Header carrier writes it; a context of the caller's own stays as it is
    await pub.publish("go", b"", headers={"Traceparent": _PARENT})
    assert await seen.wait(5)
    await traces.wait_for("process go")
    process = traces.one("process go")
    assert process.parent is not None
    assert format(process.parent.span_id, "016x") == _PARENT[36:52]
    assert format(process.context.trace_id, "032x") == _PARENT[3:35]


async def test_not_instrumented_no_spans_and_no_headers(
    traces: Traces, pair: Sequence[natskit.aio.Connection]
) -> None:
    pub, sub_conn = pair
    NatskitInstrumentor().uninstrument()
    assert not NatskitInstrumentor().is_instrumented_by_opentelemetry
    got: list[natskit.aio.Msg] = []
    seen = Event()

    async def handler(msg: natskit.aio.Msg) -> None:
        got.append(msg)
        if msg.reply:
            await msg.respond(b"ok")
        seen.set()

    await sub_conn.subscribe("plain", callback=handler)
    sub = await sub_conn.subscribe("plain.next")
    await sub_conn.flush()
    await pub.publish("plain", b"x")
    assert await seen.wait(5)
    reply = await pub.request("plain", b"y", timeout=5)
    await pub.publish("plain.next", b"z")
    msg = await sub.next_msg(5)
    assert not got[0].has_headers and not msg.has_headers and not reply.has_headers
    assert traces.spans() == []

    # instrumented again, then uninstrumented: the way back is complete
    NatskitInstrumentor().instrument(tracer_provider=traces.provider)
    assert NatskitInstrumentor().is_instrumented_by_opentelemetry
    await pub.publish("plain.next", b"traced")
    assert (await sub.next_msg(5)).headers.get("traceparent") is not None
    NatskitInstrumentor().uninstrument()
    count = len(traces.spans())
    await pub.publish("plain.next", b"untraced")
    assert not (await sub.next_msg(5)).has_headers
    assert len(traces.spans()) == count


def test_the_instrumentor_is_a_singleton_and_instrument_twice_keeps_the_first(
    traces: Traces,
) -> None:
    assert NatskitInstrumentor() is NatskitInstrumentor()
    other = TracerProvider()
    NatskitInstrumentor().instrument(tracer_provider=other, skip_dep_check=True)
    assert NatskitInstrumentor().is_instrumented_by_opentelemetry
    assert NatskitInstrumentor().instrumentation_dependencies() == ()


def test_extract_without_headers_is_the_given_context() -> None:
    from opentelemetry.context import Context

    base = Context()
    assert extract(natskit.aio.Msg("s", b""), base) is base
    carrier: dict[str, str] = {}
    with TracerProvider().get_tracer("t").start_as_current_span("x") as span:
        inject(carrier)
    got = extract(natskit.aio.Msg("s", b"", headers=carrier), base)
    assert trace.get_current_span(got).get_span_context().span_id == span.get_span_context().span_id
