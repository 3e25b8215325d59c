"""Publishing on current servers: per-message TTL (ADR-43), atomic batches
(ADR-50), counters (ADR-49) and schedules (ADR-51), against a real server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import natskit.aio
import natskit.testing
from natskit._io_async import monotonic, sleep


@pytest.fixture
async def js(nc: natskit.aio.Connection) -> natskit.aio.JetStream:
    return nc.jetstream(timeout=5)


async def _gone(js: natskit.aio.JetStream, stream: str, seq: int, within: float) -> bool:
    """Poll (server-side expiry tells no client) until message ``seq`` is gone."""
    deadline = monotonic() + within
    while monotonic() < deadline:
        try:
            await js.stream_msg_get(stream, seq=seq)
        except natskit.MsgNotFoundError:
            return True
        await sleep(0.1)
    return False


# -- per-message TTL ----------------------------------------------------------


async def test_ttl_expires_the_message_and_never_keeps_it(js: natskit.aio.JetStream) -> None:
    await js.add_stream("T", subjects=["t.>"], storage="memory", allow_msg_ttl=True, max_age=60)
    short = await js.publish("t.a", b"1", ttl=1)
    kept = await js.publish("t.b", b"2", ttl="never")
    fut = await js.publish_future("t.c", b"3", ttl=1.5)
    await js.publish_async_complete(timeout=5)
    assert (await js.stream_msg_get("T", seq=short.seq)).headers.get("Nats-TTL") == "1"
    assert (await js.stream_msg_get("T", seq=kept.seq)).headers.get("Nats-TTL") == "never"
    assert (await js.stream_msg_get("T", seq=fut.result().seq)).headers.get("Nats-TTL") == "1.5s"
    assert await _gone(js, "T", short.seq, 5)
    assert await _gone(js, "T", fut.result().seq, 5)
    assert (await js.stream_msg_get("T", seq=kept.seq)).data == b"2"


async def test_ttl_on_a_stream_without_allow_msg_ttl(js: natskit.aio.JetStream) -> None:
    await js.add_stream("P", subjects=["p"], storage="memory")
    with pytest.raises(natskit.JetStreamError) as info:
        await js.publish("p", b"x", ttl=5)
    assert info.value.err_code == 10166
    assert "allow_msg_ttl" in str(info.value) and "'p'" in str(info.value)


async def test_bad_ttl_is_refused_before_sending(
    nc: natskit.aio.Connection, js: natskit.aio.JetStream
) -> None:
    await js.add_stream("T", subjects=["t"], storage="memory", allow_msg_ttl=True)
    sent = nc.stats.out_msgs
    for bad in (0, 0.5, -1, "5s", "forever", True, None.__class__, float("nan")):
        with pytest.raises(natskit.InvalidArgError, match="ttl"):
            await js.publish("t", b"x", ttl=bad)  # type: ignore[arg-type]  # the error under test
        with pytest.raises(natskit.InvalidArgError, match="ttl"):
            await js.publish_future("t", b"x", ttl=bad)  # type: ignore[arg-type]  # the error under test
    assert nc.stats.out_msgs == sent
    assert (await js.stream_info("T")).state.messages == 0


async def test_expected_last_subject_seq_subject(js: natskit.aio.JetStream) -> None:
    await js.add_stream("O", subjects=["o.>"], storage="memory")
    await js.publish("o.a", b"1")
    await js.publish("o.b", b"2")
    ack = await js.publish(
        "o.c", b"3", expected_last_subject_seq=2, expected_last_subject_seq_subject="o.*"
    )
    assert ack.seq == 3
    with pytest.raises(natskit.WrongLastSequenceError):  # o.* is at 3 now
        await js.publish(
            "o.c", b"4", expected_last_subject_seq=2, expected_last_subject_seq_subject="o.*"
        )
    fut = await js.publish_future(
        "o.d", b"4", expected_last_subject_seq=3, expected_last_subject_seq_subject="o.*"
    )
    await js.publish_async_complete(timeout=5)
    assert fut.result().seq == 4
    with pytest.raises(natskit.InvalidArgError, match="expected_last_subject_seq"):
        await js.publish("o.c", b"5", expected_last_subject_seq_subject="o.*")


async def test_pub_ack_new_fields_are_none_on_plain_streams(js: natskit.aio.JetStream) -> None:
    await js.add_stream("O", subjects=["o"], storage="memory")
    ack = await js.publish("o", b"1")
    assert (ack.value, ack.batch_id, ack.batch_size) == (None, None, None)


# -- atomic batches -----------------------------------------------------------


async def test_publish_batch_stores_all(js: natskit.aio.JetStream) -> None:
    await js.add_stream("B", subjects=["b.>"], storage="memory", allow_atomic=True)
    msgs: list[natskit.aio.Msg | tuple[str, bytes | str]]
    msgs = [("b.1", b"one"), natskit.aio.Msg("b.2", b"two", headers={"K": "v"}), ("b.3", "three")]
    ack = await js.publish_batch(msgs)
    assert (ack.stream, ack.seq, ack.batch_size) == ("B", 3, 3)
    assert ack.batch_id
    stored = [await js.stream_msg_get("B", seq=n) for n in (1, 2, 3)]
    assert [m.data for m in stored] == [b"one", b"two", b"three"]
    assert stored[1].headers.get("K") == "v"
    one = await js.publish_batch(iter([("b.4", b"alone")]))
    assert (one.seq, one.batch_size) == (4, 1)


async def test_batch_context_manager_commit(js: natskit.aio.JetStream) -> None:
    await js.add_stream("B", subjects=["b.>"], storage="memory", allow_atomic=True)
    async with js.batch() as b:
        await b.add("b.x", b"1", expected_last_seq=0)
        await b.add("b.y", b"2", headers={"H": "1"}, msg_id="m2")
        await b.add("b.x", b"3")
        assert b.size == 3
        ack = await b.commit()
    assert (ack.seq, ack.batch_size, ack.batch_id) == (3, 3, b.batch_id)
    assert b.closed
    with pytest.raises(natskit.InvalidArgError):
        await b.add("b.z", b"late")
    assert (await js.stream_msg_get("B", seq=2)).headers.get("H") == "1"


async def test_batch_left_without_commit_stores_nothing(js: natskit.aio.JetStream) -> None:
    await js.add_stream("B", subjects=["b.>"], storage="memory", allow_atomic=True)
    async with js.batch() as b:
        for i in range(5):
            await b.add("b.x", str(i))
    assert b.closed
    with pytest.raises(RuntimeError):
        async with js.batch() as b2:
            await b2.add("b.x", b"1")
            await b2.add("b.x", b"2")
            raise RuntimeError("the application failed")
    ack = await js.publish("b.after", b"x")  # the stream goes on; nothing of the batches is in it
    assert ack.seq == 1
    assert (await js.stream_info("B")).state.messages == 1


async def test_batch_refused_by_the_server_stores_nothing(js: natskit.aio.JetStream) -> None:
    await js.add_stream("B", subjects=["b.>"], storage="memory", allow_atomic=True)
    await js.publish("b.x", b"0")
    twice = natskit.aio.Msg("b.z", b"3", headers={"Nats-Msg-Id": "same"})
    with pytest.raises(natskit.BatchError) as info:
        await js.publish_batch([("b.x", b"1"), twice, twice])
    assert info.value.err_code == 10201  # a duplicate message id
    async with js.batch() as b:
        await b.add("b.x", b"1", expected_last_seq=5)  # the stream is at 1
        await b.add("b.y", b"2")
        with pytest.raises(natskit.BatchError) as refused:
            await b.commit()
    assert isinstance(refused.value, natskit.JetStreamError)
    assert refused.value.err_code == 10071 and "wrong last sequence" in str(refused.value)
    assert (await js.stream_info("B")).state.messages == 1


async def test_batch_on_a_stream_without_allow_atomic(js: natskit.aio.JetStream) -> None:
    await js.add_stream("N", subjects=["n"], storage="memory")
    with pytest.raises(natskit.BatchError) as info:
        await js.publish_batch([("n", b"1"), ("n", b"2")])
    assert info.value.err_code == 10174 and "allow_atomic" in str(info.value)
    assert (await js.stream_info("N")).state.messages == 0


async def test_batch_limit(nc: natskit.aio.Connection, js: natskit.aio.JetStream) -> None:
    await js.add_stream("B", subjects=["b"], storage="memory", allow_atomic=True)
    assert js.max_batch_size == 1000
    sent = nc.stats.out_msgs
    with pytest.raises(natskit.InvalidArgError, match="at most 1000"):
        await js.publish_batch([("b", b"x")] * 1001)
    assert nc.stats.out_msgs == sent
    js.max_batch_size = 2000  # more than the server takes: it says so, and we learn
    with pytest.raises(natskit.BatchError) as info:
        await js.publish_batch([("b", b"x")] * 1001)
    assert info.value.err_code == 10199
    assert js.max_batch_size == 1000
    async with js.batch() as b:
        for _ in range(1000):
            await b.add("b", b"x")
        with pytest.raises(natskit.InvalidArgError, match="at most 1000"):
            await b.add("b", b"x")
        ack = await b.commit()
    assert ack.batch_size == 1000
    assert (await js.stream_info("B")).state.messages == 1000


async def test_bad_batch_input_is_refused_before_sending(
    nc: natskit.aio.Connection, js: natskit.aio.JetStream
) -> None:
    await js.add_stream("B", subjects=["b"], storage="memory", allow_atomic=True)
    sent = nc.stats.out_msgs
    for bad in ([], [("b", 5)], [("b",)], ["b"], [("b", b"1"), ("bad subject", b"2")]):
        with pytest.raises(natskit.InvalidArgError):
            await js.publish_batch(bad)  # type: ignore[arg-type]  # the error under test
    b = js.batch()
    with pytest.raises(natskit.InvalidArgError, match="expected_last_msg_id"):
        await b.add("b", b"1", expected_last_msg_id="x")
    with pytest.raises(natskit.InvalidArgError, match="nope"):
        await b.add("b", b"1", nope=1)
    with pytest.raises(natskit.InvalidArgError, match="ttl"):
        await b.add("b", b"1", ttl=0)
    await b.add("b", b"1")
    with pytest.raises(natskit.InvalidArgError, match="first message"):
        await b.add("b", b"2", expected_last_seq=1)
    with pytest.raises(natskit.InvalidArgError, match="empty"):
        await js.batch().commit()
    await b.abandon()
    assert nc.stats.out_msgs == sent


# -- counters -----------------------------------------------------------------


async def _counters(js: natskit.aio.JetStream, **config: object) -> natskit.aio.Counter:
    await js.add_stream("C", subjects=["c.>"], storage="memory", allow_msg_counter=True, **config)
    return await js.counter("C")


async def test_counter_add_and_get(js: natskit.aio.JetStream) -> None:
    c = await _counters(js, allow_direct=True)
    assert await c.get("c.hits") == 0  # never set
    assert await c.add("c.hits") == 1
    assert await c.add("c.hits", 41) == 42
    assert await c.add("c.hits", -50) == -8
    assert await c.get("c.hits") == -8
    huge = 2**64 + 7
    assert await c.add("c.big", huge) == huge
    assert await c.add("c.big", huge) == 2 * huge
    assert await c.add("c.big", -(3 * huge)) == -huge
    assert await c.get("c.big") == -huge
    assert await c.add("c.big", 0) == -huge
    assert (await js.stream_msg_get("C", last_by_subj="c.big")).headers.get("Nats-Incr") == "+0"


async def test_counter_get_without_direct(js: natskit.aio.JetStream) -> None:
    c = await _counters(js)
    await c.add("c.a", 10**30)
    assert await c.get("c.a") == 10**30
    assert await c.get("c.none") == 0
    with pytest.raises(natskit.JetStreamError, match="allow_direct"):
        await c.get_many("c.>")


async def test_counter_get_many(js: natskit.aio.JetStream) -> None:
    c = await _counters(js, allow_direct=True)
    for i in range(5):
        await c.add(f"c.n.{i}", 2**70 * i - 3)
    await c.add("c.other", 5)
    expect = {f"c.n.{i}": 2**70 * i - 3 for i in range(5)}
    assert await c.get_many("c.n.*") == expect
    assert await c.get_many(["c.n.1", "c.other", "c.never"]) == {
        "c.n.1": 2**70 - 3,
        "c.other": 5,
        "c.never": 0,
    }
    assert await c.get_many(["c.n.>", "c.other"]) == {**expect, "c.other": 5}
    assert await c.get_many("c.empty.>") == {}


async def test_counter_errors(nc: natskit.aio.Connection, js: natskit.aio.JetStream) -> None:
    await js.add_stream("PLAIN", subjects=["plain"], storage="memory")
    with pytest.raises(natskit.JetStreamError, match="allow_msg_counter"):
        await js.counter("PLAIN")
    with pytest.raises(natskit.StreamNotFoundError, match="NOPE"):
        await js.counter("NOPE")
    c = await _counters(js, allow_direct=True)
    sent = nc.stats.out_msgs
    for bad in (1.5, "1", None, True):
        with pytest.raises(natskit.InvalidArgError, match="delta"):
            await c.add("c.x", bad)  # type: ignore[arg-type]  # the error under test
    with pytest.raises(natskit.InvalidArgError):
        await c.add("c.*", 1)
    with pytest.raises(natskit.InvalidArgError):
        await c.get_many([])
    assert nc.stats.out_msgs == sent
    with pytest.raises(natskit.JetStreamError, match="allow_msg_counter"):
        await js.publish("plain", b"", headers={"Nats-Incr": "+1"})


async def test_counters_sourced_across_streams(
    nats_cluster: natskit.testing.NatsCluster,
) -> None:
    """Regional counters sourced into a total (ADR-49): the total follows its
    sources, including their negative deltas, on a 3-node cluster."""
    async with natskit.aio.connect(nats_cluster.urls) as nc:
        js = nc.jetstream(timeout=10)
        for region in ("eu", "us"):
            await js.add_stream(
                region.upper(),
                subjects=[f"count.{region}.>"],
                num_replicas=3,
                allow_msg_counter=True,
            )
        await js.add_stream(
            "TOTAL",
            num_replicas=3,
            allow_msg_counter=True,
            allow_direct=True,
            sources=[
                natskit.StreamSource(
                    r,
                    subject_transforms=[
                        natskit.SubjectTransform(f"count.{r.lower()}.>", "count.>")
                    ],
                )
                for r in ("EU", "US")
            ],
        )
        eu, us, counters = [await js.counter(n) for n in ("EU", "US", "TOTAL")]
        big = 2**66
        assert await eu.add("count.eu.hits", big) == big
        assert await us.add("count.us.hits", 5) == 5
        assert await us.add("count.us.hits", -2) == 3
        deadline = monotonic() + 20
        while monotonic() < deadline:  # sourcing is server-side: poll its result
            if await counters.get("count.hits") == big + 3:
                break
            await sleep(0.1)
        assert await counters.get("count.hits") == big + 3
        assert await counters.get_many("count.>") == {"count.hits": big + 3}


# -- schedules ----------------------------------------------------------------


async def _schedules(js: natskit.aio.JetStream) -> None:
    await js.add_stream(
        "S",
        subjects=["sched.>", "orders.>"],
        storage="memory",
        allow_msg_schedules=True,
        allow_msg_ttl=True,
    )


async def test_schedule_at_delivers_to_the_target(js: natskit.aio.JetStream) -> None:
    await _schedules(js)
    await js.add_pull_consumer("S", "C", filter_subject="orders.new")
    at = datetime.now(timezone.utc) + timedelta(seconds=1)
    ack = await js.publish_schedule(
        "sched.order.1", b"later", target="orders.new", at=at, headers={"K": "v"}
    )
    assert (ack.stream, ack.seq) == ("S", 1)
    assert await js.fetch("S", "C", 1) == []  # not yet
    msg = await js.next("S", "C", timeout=10)
    assert msg.data == b"later" and msg.subject == "orders.new"
    assert msg.headers.get("K") == "v"
    assert msg.headers.get("Nats-Scheduler") == "sched.order.1"
    assert datetime.now(timezone.utc) >= at


async def test_schedule_every_and_cron_repeat(js: natskit.aio.JetStream) -> None:
    await _schedules(js)
    await js.add_pull_consumer("S", "E", filter_subject="orders.tick")
    await js.add_pull_consumer("S", "R", filter_subject="orders.cron")
    await js.publish_schedule("sched.tick", b"tick", target="orders.tick", every=1, ttl=60)
    await js.publish_schedule("sched.cron", b"cron", target="orders.cron", cron="* * * * * *")
    ticks = [await js.next("S", "E", timeout=10) for _ in range(2)]
    assert [m.data for m in ticks] == [b"tick", b"tick"]
    assert ticks[0].headers.get("Nats-TTL") == "60"
    assert (await js.next("S", "R", timeout=10)).data == b"cron"
    await js.purge_stream("S", filter="sched.>")  # ends both schedules


async def test_schedule_bad_input_is_refused_before_sending(
    nc: natskit.aio.Connection, js: natskit.aio.JetStream
) -> None:
    await _schedules(js)
    sent = nc.stats.out_msgs
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    cases: list[tuple[dict[str, object], str]] = [
        ({"at": past}, "in the past"),
        ({"every": 5, "cron": "@hourly"}, "every and cron"),
        ({}, "exactly one"),
        ({"every": 0.5}, "every"),
        ({"every": 5, "ttl": 0}, "ttl"),
        ({"cron": ""}, "cron"),
        ({"at": "tomorrow"}, "datetime"),
    ]
    for kwargs, match in cases:
        with pytest.raises(natskit.InvalidArgError, match=match):
            await js.publish_schedule("sched.x", b"", target="orders.x", **kwargs)  # type: ignore[arg-type]  # the error under test
    with pytest.raises(natskit.InvalidArgError, match="target"):
        await js.publish_schedule("sched.x", b"", target="sched.x", every=5)
    assert nc.stats.out_msgs == sent


async def test_schedule_on_a_stream_without_schedules(js: natskit.aio.JetStream) -> None:
    await js.add_stream("N", subjects=["n.>"], storage="memory")
    with pytest.raises(natskit.JetStreamError) as info:
        await js.publish_schedule("n.s", b"", target="n.t", every=5)
    assert info.value.err_code == 10188 and "allow_msg_schedules" in str(info.value)
