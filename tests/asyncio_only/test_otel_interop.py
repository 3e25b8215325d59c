"""Trace context between natskit and nats-py: the W3C ``traceparent`` header
written by one is the parent of the other's spans."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import nats
import pytest
from nats.aio.client import Client as NATS
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import natskit.aio
from natskit.otel import NatskitInstrumentor
from natskit.testing import NatsServer


@pytest.fixture
def provider() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    NatskitInstrumentor().instrument(tracer_provider=tp)
    yield tp, exporter
    NatskitInstrumentor().uninstrument()


@pytest.fixture
async def peers(
    nats_server: NatsServer,
) -> AsyncIterator[tuple[NATS, natskit.aio.Connection]]:
    theirs = await nats.connect(nats_server.url)
    ours = await natskit.aio.connect(nats_server.url)
    yield theirs, ours
    await ours.close()
    await theirs.close()


async def test_nats_py_reads_the_context_natskit_sends(
    provider: tuple[TracerProvider, InMemorySpanExporter],
    peers: tuple[NATS, natskit.aio.Connection],
) -> None:
    _, exporter = provider
    theirs, ours = peers
    sub = await theirs.subscribe("to.natspy")
    # Two round trips: nats-py's first flush() can return before the server has
    # its SUB (nats-py 2.16 with nats-server 2.15: the message was then lost in
    # about 1 of 50 runs, with a second flush in none of 280).
    await theirs.flush()
    await theirs.flush()
    await ours.publish("to.natspy", b"hi")
    msg = await sub.next_msg(timeout=5)
    (publish,) = [s for s in exporter.get_finished_spans() if s.name == "publish to.natspy"]
    parent = trace.get_current_span(extract(msg.headers or {})).get_span_context()
    assert (parent.trace_id, parent.span_id) == (publish.context.trace_id, publish.context.span_id)


async def test_natskit_processes_in_the_context_nats_py_sends(
    provider: tuple[TracerProvider, InMemorySpanExporter],
    peers: tuple[NATS, natskit.aio.Connection],
) -> None:
    tp, exporter = provider
    theirs, ours = peers
    done = asyncio.Event()
    await ours.subscribe("from.natspy", callback=lambda msg: done.set())
    await ours.flush()
    with tp.get_tracer("peer").start_as_current_span("nats-py send") as span:
        headers: dict[str, str] = {}
        inject(headers)
        await theirs.publish("from.natspy", b"hi", headers=headers)
    await asyncio.wait_for(done.wait(), 5)
    await ours.drain()  # the callback's span has ended
    (process,) = [s for s in exporter.get_finished_spans() if s.name == "process from.natspy"]
    assert process.parent is not None
    assert process.parent.span_id == span.get_span_context().span_id
    assert process.context.trace_id == span.get_span_context().trace_id
