"""Consumer controls: pause_consumer, resume_consumer, reset_consumer (unpin_consumer
is tested with two pinned pullers in test_jetstream_priority)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import natskit.aio


@pytest.fixture
async def js(nc: natskit.aio.Connection) -> natskit.aio.JetStream:
    js = nc.jetstream(timeout=2)
    await js.add_stream("S", subjects=["s.>"])
    for i in range(10):
        await js.publish("s.x", str(i))
    await js.add_pull_consumer("S", "C")
    return js


async def test_pause_for_seconds_and_resume(js: natskit.aio.JetStream) -> None:
    before = datetime.now(timezone.utc)
    pause = await js.pause_consumer("S", "C", 30)
    assert isinstance(pause, natskit.ConsumerPause)
    assert pause.paused
    assert pause.pause_until is not None
    assert before + timedelta(seconds=29) < pause.pause_until < before + timedelta(seconds=32)
    assert pause.pause_remaining is not None and 28 < pause.pause_remaining <= 30
    info = await js.consumer_info("S", "C")
    assert info.paused and info.pause_remaining is not None and info.pause_remaining > 28
    assert info.config.pause_until == pause.pause_until
    assert await js.fetch("S", "C", 1, timeout=0.3) == []  # nothing while paused

    resumed = await js.resume_consumer("S", "C")
    assert (resumed.paused, resumed.pause_until, resumed.pause_remaining) == (False, None, None)
    info = await js.consumer_info("S", "C")
    assert not info.paused and info.pause_remaining is None
    [msg] = await js.fetch("S", "C", 1, timeout=2)
    assert msg.data == b"0"


async def test_pause_until_a_datetime_and_at_creation(js: natskit.aio.JetStream) -> None:
    until = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
    pause = await js.pause_consumer("S", "C", until)
    assert pause.paused and pause.pause_until == until
    info = await js.add_pull_consumer("S", "D", pause_until=until)
    assert info.paused and info.config.pause_until == until
    assert info.pause_remaining is not None and 3500 < info.pause_remaining <= 3600
    assert not (await js.resume_consumer("S", "D")).paused


async def test_pause_refuses_bad_input_and_names_a_missing_consumer(
    js: natskit.aio.JetStream,
) -> None:
    sent = js.connection.stats.out_msgs
    with pytest.raises(natskit.InvalidArgError, match="until must be"):
        await js.pause_consumer("S", "C", "tomorrow")  # type: ignore[arg-type]
    with pytest.raises(natskit.InvalidArgError, match="until must be"):
        await js.pause_consumer("S", "C", -5)
    with pytest.raises(natskit.InvalidArgError, match="consumer name"):
        await js.resume_consumer("S", "a.b")
    with pytest.raises(natskit.InvalidArgError, match="group"):
        await js.unpin_consumer("S", "C", "")
    with pytest.raises(natskit.InvalidArgError, match="seq"):
        await js.reset_consumer("S", "C", 0)
    assert js.connection.stats.out_msgs == sent
    with pytest.raises(natskit.ConsumerNotFoundError, match="consumer 'NOPE' of stream 'S'"):
        await js.pause_consumer("S", "NOPE", 10)


async def test_reset_to_the_ack_floor_and_to_a_sequence(js: natskit.aio.JetStream) -> None:
    msgs = await js.fetch("S", "C", 5, timeout=2)
    assert len(msgs) == 5  # delivered, not acked: the ack floor stays 0
    info = await js.reset_consumer("S", "C")
    assert isinstance(info, natskit.ConsumerInfo)
    assert info.raw["reset_seq"] == 1 and info.num_pending == 10
    assert (await js.next("S", "C", timeout=2)).metadata.stream_seq == 1

    info = await js.reset_consumer("S", "C", seq=7)
    assert info.raw["reset_seq"] == 7 and info.num_pending == 4
    msg = await js.next("S", "C", timeout=2)
    assert (msg.metadata.stream_seq, msg.data) == (7, b"6")


async def test_reset_before_the_start_sequence_is_refused(js: natskit.aio.JetStream) -> None:
    await js.add_pull_consumer("S", "L", deliver_policy="by_start_sequence", opt_start_seq=5)
    with pytest.raises(natskit.JetStreamError, match="consumer 'L' of stream 'S'"):
        await js.reset_consumer("S", "L", seq=3)


async def test_unpin_of_an_unknown_group_is_the_servers_error(js: natskit.aio.JetStream) -> None:
    await js.add_pull_consumer("S", "P", priority_groups=["g"], priority_policy="pinned_client")
    with pytest.raises(natskit.JetStreamError, match="consumer 'P' of stream 'S'"):
        await js.unpin_consumer("S", "P", "other")
