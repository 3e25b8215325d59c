"""Reading streams (ADR-31 rev 2): direct gets in batches, multi-last reads,
and ``stream_info`` with subject counts and deleted sequences."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import natskit.aio
from natskit import StreamConsumerSource, StreamSource
from natskit._io_async import sleep


@pytest.fixture
async def js(nc: natskit.aio.Connection) -> natskit.aio.JetStream:
    js = nc.jetstream(timeout=5)
    await js.add_stream("S", subjects=["s.>"], allow_direct=True)
    return js


async def fill(js: natskit.aio.JetStream, count: int, subjects: tuple[str, ...] = ("a",)) -> None:
    for i in range(count):
        await js.publish(f"s.{subjects[i % len(subjects)]}", f"m{i + 1}")


async def test_direct_get_batch(js: natskit.aio.JetStream) -> None:
    await fill(js, 10, ("a", "b"))
    msgs = await js.stream_direct_get_batch("S", batch=4)
    assert [(m.subject, m.data, m.seq) for m in msgs] == [
        ("s.a", b"m1", 1),
        ("s.b", b"m2", 2),
        ("s.a", b"m3", 3),
        ("s.b", b"m4", 4),
    ]
    assert all(isinstance(m, natskit.Msg) and m.reply is None for m in msgs)
    assert msgs[0].headers.get("Nats-Stream") == "S" and msgs[0].time is not None
    only_b = await js.stream_direct_get_batch("S", seq=5, subject="s.b", batch=100)
    assert [m.seq for m in only_b] == [6, 8, 10]
    # max_bytes ends the batch early (the server sends at least one message)
    small = await js.stream_direct_get_batch("S", batch=10, max_bytes=1)
    assert len(small) == 1
    # from a time: every message is at or after the first one's time
    first = msgs[0].time
    assert first is not None
    assert len(await js.stream_direct_get_batch("S", start_time=first)) == 10
    future = datetime(2100, 1, 1, tzinfo=timezone.utc)
    assert await js.stream_direct_get_batch("S", start_time=future) == []
    assert await js.stream_direct_get_batch("S", subject="s.none") == []
    assert await js.stream_direct_get_batch("S", seq=11) == []


async def test_iter_direct_get_reads_everything_batch_by_batch(
    js: natskit.aio.JetStream,
) -> None:
    await fill(js, 25, ("a", "b", "c"))
    seqs = [m.seq async for m in js.iter_stream_direct_get("S", batch=7)]
    assert seqs == list(range(1, 26))
    only_c = [m.data async for m in js.iter_stream_direct_get("S", subject="s.c", batch=2)]
    assert only_c == [f"m{i}".encode() for i in range(3, 26, 3)]
    assert [m.seq async for m in js.iter_stream_direct_get("S", seq=24, batch=1)] == [24, 25]
    assert [m async for m in js.iter_stream_direct_get("S", subject="s.none")] == []


async def test_direct_get_last(js: natskit.aio.JetStream) -> None:
    for subject, payload in [("s.a", "1"), ("s.b", "2"), ("s.a", "3"), ("s.c.x", "4")]:
        await js.publish(subject, payload)
    last = await js.stream_direct_get_last("S", ["s.a", "s.b", "s.none"])
    assert {s: (m.data, m.seq) for s, m in last.items()} == {
        "s.a": (b"3", 3),
        "s.b": (b"2", 2),
    }
    everything = await js.stream_direct_get_last("S", "s.>")
    assert sorted(everything) == ["s.a", "s.b", "s.c.x"]
    before = await js.stream_direct_get_last("S", "s.*", up_to_seq=2)
    assert {s: m.data for s, m in before.items()} == {"s.a": b"1", "s.b": b"2"}
    assert await js.stream_direct_get_last("S", ["s.none"]) == {}
    at = everything["s.a"].time  # of seq 3, cut to microseconds: just before it
    assert at is not None
    upto = await js.stream_direct_get_last("S", ["s.a", "s.b"], up_to_time=at)
    assert {s: m.data for s, m in upto.items()} == {"s.a": b"1", "s.b": b"2"}


async def test_direct_get_last_pages_past_the_server_batch(js: natskit.aio.JetStream) -> None:
    count = 300
    for i in range(count):
        await js.publish_future(f"s.k{i}", str(i))
    await js.publish_async_complete(10)
    last = await js.stream_direct_get_last("S", "s.>")
    assert len(last) == count and last["s.k299"].data == b"299"


async def test_direct_get_batch_bad_input_sends_nothing(js: natskit.aio.JetStream) -> None:
    bad: list[dict[str, object]] = [
        {"batch": 0},
        {"batch": True},
        {"seq": 0},
        {"max_bytes": -1},
        {"seq": 2, "start_time": datetime.now(timezone.utc)},
        {"start_time": "yesterday"},
        {"subject": ""},
    ]
    before = js.connection.stats.out_msgs
    for kwargs in bad:
        with pytest.raises(natskit.InvalidArgError) as err:
            await js.stream_direct_get_batch("S", **kwargs)  # type: ignore[arg-type]
        assert any(name in str(err.value) for name in kwargs)
    last: list[tuple[list[str], dict[str, object]]] = [
        ([], {}),
        ([""], {}),
        (["s.a"], {"up_to_seq": 0}),
        (["s.a"], {"up_to_seq": 1, "up_to_time": datetime.now(timezone.utc)}),
    ]
    for subjects, options in last:
        with pytest.raises(natskit.InvalidArgError):
            await js.stream_direct_get_last("S", subjects, **options)  # type: ignore[arg-type]
    with pytest.raises(natskit.InvalidArgError):
        await js.stream_direct_get_batch("bad.name")
    assert js.connection.stats.out_msgs == before


async def test_direct_get_batch_errors(js: natskit.aio.JetStream) -> None:
    await js.add_stream("ND", subjects=["nd"])
    await js.publish("nd", "x")
    with pytest.raises(natskit.NoRespondersError, match="allow_direct"):
        await js.stream_direct_get_batch("ND")
    with pytest.raises(natskit.NoRespondersError):
        await js.stream_direct_get_last("MISSING", "x")
    for i in range(1030):
        await js.publish_future(f"s.many.{i}", b"")
    await js.publish_async_complete(10)
    with pytest.raises(natskit.JetStreamError, match="1024"):
        await js.stream_direct_get_last("S", "s.many.*")


async def test_stream_info_subjects_and_deleted(js: natskit.aio.JetStream) -> None:
    await fill(js, 6, ("a", "b", "c.x"))
    info = await js.stream_info("S")
    assert info.state.subjects is None and info.state.deleted is None
    info = await js.stream_info("S", subjects_filter=">")
    assert info.state.subjects == {"s.a": 2, "s.b": 2, "s.c.x": 2}
    info = await js.stream_info("S", subjects_filter="s.c.*")
    assert info.state.subjects == {"s.c.x": 2}
    await js.stream_msg_delete("S", 2)
    await js.stream_msg_delete("S", 4)
    info = await js.stream_info("S", deleted_details=True)
    assert info.state.deleted == [2, 4] and info.state.num_deleted == 2
    with pytest.raises(natskit.InvalidArgError):
        await js.stream_info("S", subjects_filter="")


async def test_stream_info_many_subjects(js: natskit.aio.JetStream) -> None:
    count = 1005  # (the server pages beyond 100k subjects: the paging is unit-tested)
    for i in range(count):
        await js.publish_future(f"s.p.{i}", b"")
    await js.publish_async_complete(20)
    info = await js.stream_info("S", subjects_filter="s.p.>")
    assert info.state.subjects is not None and len(info.state.subjects) == count
    assert set(info.state.subjects.values()) == {1}


async def test_stream_source_consumer(js: natskit.aio.JetStream) -> None:
    src = StreamSource("W", consumer=StreamConsumerSource("C", "d.w"))
    assert src.to_json()["consumer"] == {"name": "C", "deliver_subject": "d.w"}
    parsed = StreamSource.from_json({"name": "W", "consumer": {"name": "C"}})
    assert parsed.consumer == StreamConsumerSource("C")
    # ADR-60: a work-queue stream sourced through a durable consumer of the user's
    await js.add_stream("W", subjects=["w.>"], retention="workqueue")
    consumer = {
        "durable_name": "C",
        "deliver_subject": "d.w",
        "ack_policy": "flow_control",
        "flow_control": True,
        "idle_heartbeat": 1_000_000_000,
        "max_deliver": -1,
    }
    await js.add_consumer_from_json("W", "C", consumer)
    await js.add_stream("AGG", sources=[src])
    info = await js.stream_info("AGG")
    assert info.config.sources is not None
    assert info.config.sources[0].consumer == StreamConsumerSource("C", "d.w")
    await js.publish("w.x", "sourced")
    msg = None
    for _ in range(500):  # the server copies in the background: no event to await
        try:
            msg = await js.stream_msg_get("AGG", seq=1)
            break
        except natskit.MsgNotFoundError:
            await sleep(0.01)
    assert msg is not None and msg.data == b"sourced"
