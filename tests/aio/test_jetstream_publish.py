"""JetStream publishing, acks in flight, API prefixes and tracing."""

from __future__ import annotations

import logging

import pytest

import natskit.aio
from natskit._io_async import Event, monotonic
from natskit.testing import NatsServer


@pytest.fixture
async def js(nc: natskit.aio.Connection) -> natskit.aio.JetStream:
    js = nc.jetstream(timeout=2)
    await js.add_stream("ORDERS", subjects=["orders.>"], storage="memory")
    return js


async def test_publish_returns_pub_ack(js: natskit.aio.JetStream) -> None:
    ack = await js.publish("orders.new", b"1")
    assert isinstance(ack, natskit.PubAck)
    assert (ack.stream, ack.seq, ack.duplicate, ack.domain) == ("ORDERS", 1, False, None)
    ack = await js.publish("orders.new", "two", headers={"X": "y"}, stream="ORDERS")
    assert ack.seq == 2
    stored = await js.stream_msg_get("ORDERS", seq=2)
    assert stored.data == b"two" and stored.headers.get("X") == "y"


async def test_publish_msg(js: natskit.aio.JetStream) -> None:
    ack = await js.publish_msg(natskit.aio.Msg("orders.x", b"m", headers={"K": "v"}), msg_id="a")
    assert ack.seq == 1
    assert (await js.stream_msg_get("ORDERS", seq=1)).headers.get("Nats-Msg-Id") == "a"


async def test_duplicate_detection(js: natskit.aio.JetStream) -> None:
    first = await js.publish("orders.a", b"1", msg_id="id-1")
    again = await js.publish("orders.a", b"1", msg_id="id-1")
    assert not first.duplicate
    assert again.duplicate and again.seq == first.seq
    assert (await js.stream_info("ORDERS")).state.messages == 1


async def test_expected_checks(js: natskit.aio.JetStream) -> None:
    await js.publish("orders.a", b"1", msg_id="m1")
    await js.publish("orders.b", b"2", expected_last_seq=1, expected_last_msg_id="m1")
    await js.publish("orders.a", b"3", expected_last_subject_seq=1)
    with pytest.raises(natskit.WrongLastSequenceError) as info:
        await js.publish("orders.a", b"4", expected_last_subject_seq=1)
    assert (info.value.status, info.value.err_code) == (400, 10071)
    with pytest.raises(natskit.WrongLastSequenceError):
        await js.publish("orders.a", b"4", expected_last_seq=1)
    with pytest.raises(natskit.JetStreamError) as other:
        await js.publish("orders.a", b"5", stream="OTHER")
    assert other.value.err_code == 10060  # expected stream does not match


async def test_no_stream_raises_no_responders_after_retries(js: natskit.aio.JetStream) -> None:
    start = monotonic()
    with pytest.raises(natskit.NoRespondersError):
        await js.publish("nowhere", b"x")
    assert monotonic() - start >= 0.45  # two retries, 250 ms apart (ADR-22)


async def test_publish_future_and_wait_for_all(js: natskit.aio.JetStream) -> None:
    js.max_pending_acks = 5
    futures = [await js.publish_future("orders.f", str(i)) for i in range(20)]
    await js.publish_async_complete(timeout=5)
    assert js.publish_async_pending == 0
    assert [f.result().seq for f in futures] == list(range(1, 21))
    bad = await js.publish_future("orders.f", b"x", expected_last_seq=1)
    await js.publish_async_complete(timeout=5)
    assert isinstance(bad.exception(), natskit.WrongLastSequenceError)
    nobody = await js.publish_future("nowhere", b"x")
    await js.publish_async_complete(timeout=5)
    assert isinstance(nobody.exception(), natskit.NoRespondersError)


async def test_publish_async_complete_times_out(
    nc: natskit.aio.Connection, js: natskit.aio.JetStream
) -> None:
    await nc.subscribe("slow.ack")  # a responder that never answers
    await nc.flush()
    fut = await js.publish_future("slow.ack", b"x", timeout=1)
    with pytest.raises(natskit.TimeoutError):
        await js.publish_async_complete(timeout=0.05)
    await js.publish_async_complete(timeout=5)
    assert isinstance(fut.exception(), natskit.TimeoutError)


async def test_each_publish_future_keeps_its_own_timeout(
    nc: natskit.aio.Connection, js: natskit.aio.JetStream
) -> None:
    await nc.subscribe("slow.ack")  # a responder that never answers
    await nc.flush()
    slow = await js.publish_future("slow.ack", b"1", timeout=30)
    fast = await js.publish_future("slow.ack", b"2", timeout=0.2)  # due first
    later = await js.publish_future("slow.ack", b"3", timeout=0.4)
    ok = await js.publish_future("orders.t", b"4", timeout=0.2)
    done = Event()
    later.add_done_callback(lambda f: done.set())
    start = monotonic()
    assert await done.wait(5)
    assert 0.3 <= monotonic() - start < 2
    assert isinstance(fast.exception(), natskit.TimeoutError)
    assert isinstance(later.exception(), natskit.TimeoutError)
    assert "'slow.ack' within 0.4 s" in str(later.exception())
    assert ok.result().seq == 1
    assert not slow.done() and js.publish_async_pending == 1
    after = await js.publish_future("orders.t", b"5", timeout=0.2)  # the window goes on
    done = Event()
    after.add_done_callback(lambda f: done.set())
    assert await done.wait(5)
    assert after.result().seq == 2


async def test_options_and_prefixes(nc: natskit.aio.Connection) -> None:
    js = nc.jetstream()
    assert (js.api_prefix, js.timeout) == ("$JS.API", 5.0)
    assert nc.jetstream(domain="hub").api_prefix == "$JS.hub.API"
    assert nc.jetstream(api_prefix="JS.other", timeout=1).api_prefix == "JS.other"
    with pytest.raises(natskit.InvalidArgError):
        nc.jetstream(domain="hub", api_prefix="JS.x")
    with pytest.raises(natskit.BadTimeoutError):
        nc.jetstream(timeout=-1)


async def test_trace_logs_requests_and_replies(
    nc: natskit.aio.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    js = nc.jetstream(trace=True)
    with caplog.at_level(logging.DEBUG, logger="natskit.jetstream"):
        await js.account_info()
    lines = [r.getMessage() for r in caplog.records if r.name == "natskit.jetstream"]
    assert any(line.startswith(">>> $JS.API.INFO") for line in lines)
    assert any(
        line.startswith("<<< $JS.API.INFO") and "account_info_response" in line for line in lines
    )


async def test_jetstream_not_enabled(nats_server: NatsServer) -> None:
    async with await natskit.aio.connect(nats_server.url) as conn:
        js = conn.jetstream(timeout=1)
        with pytest.raises(natskit.JetStreamNotEnabledError):
            await js.account_info()
        with pytest.raises(natskit.JetStreamNotEnabledError):
            await js.fetch("S", "C")
