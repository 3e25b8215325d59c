"""Bad arguments raise natskit errors, before anything reaches the wire (real nats-server)."""

from __future__ import annotations

import math

import pytest

import natskit.aio
from natskit._io_async import Event, wait_future
from natskit.testing import NatsServer


async def test_subjects_that_are_not_str(nc: natskit.aio.Connection) -> None:
    for subject in (5, None, b"a"):
        with pytest.raises(natskit.BadSubjectError):
            await nc.publish(subject, b"x")  # type: ignore[arg-type]  # the error under test
        with pytest.raises(natskit.BadSubjectError):
            await nc.request(subject, b"x", timeout=1)  # type: ignore[arg-type]  # the error under test
    with pytest.raises(natskit.BadQueueNameError):
        await nc.subscribe("a", queue=5)  # type: ignore[arg-type]  # the error under test
    with pytest.raises(natskit.InvalidArgError):
        await nc.jetstream().stream_info(5)  # type: ignore[arg-type]  # the error under test


async def test_unchecked_subjects_still_keep_the_protocol_intact(
    jetstream_server: NatsServer,
) -> None:
    async with await natskit.aio.connect(jetstream_server.url, check_subjects=False) as nc:
        for subject in ("a b", "a\r\nPUB c 1\r\nx", ""):
            with pytest.raises(natskit.BadSubjectError):
                await nc.publish(subject, b"x")
        await nc.flush()
        assert nc.is_connected


async def test_endless_timeouts_wait_as_long_as_possible(nc: natskit.aio.Connection) -> None:
    sub = await nc.subscribe("a")
    await nc.publish("a", b"1")
    assert (await sub.next_msg(timeout=math.inf)).data == b"1"
    await nc.subscribe("echo", callback=lambda msg: msg.respond(msg.data))
    assert (await nc.request("echo", b"2", timeout=math.inf)).data == b"2"
    fut = await nc.request_future("echo", b"3", timeout=1e12)
    assert (await wait_future(fut, 5)).data == b"3"
    for bad in (-1, "1", math.nan):
        with pytest.raises(natskit.BadTimeoutError):
            await sub.next_msg(timeout=bad)  # type: ignore[arg-type]  # the error under test


async def test_jetstream_arguments(nc: natskit.aio.Connection) -> None:
    js = nc.jetstream(timeout=2)
    await js.add_stream("S", subjects=["s"], storage="memory")
    await js.add_pull_consumer("S", "C")
    with pytest.raises(natskit.InvalidArgError):
        await js.consume("S", "C", max_messages="5")  # type: ignore[arg-type]  # the error under test
    with pytest.raises(natskit.InvalidArgError):
        await js.add_stream("T", subjects=["t"], max_age=math.inf)  # nanoseconds are finite
    for heartbeat in (0, -1, "5"):
        with pytest.raises(natskit.InvalidArgError):
            await js.ordered_consumer("S", idle_heartbeat=heartbeat)
    assert await js.stream_names() == ["S"]


async def test_pedantic_invalid_publish_subject_keeps_the_connection(
    nats_server: NatsServer,
) -> None:
    """The server answers with -ERR 'Invalid Publish Subject' and stays connected."""
    errors: list[Exception] = []
    got = Event()

    def on_error(err: Exception) -> None:
        errors.append(err)
        got.set()

    async with await natskit.aio.connect(
        nats_server.url, pedantic=True, check_subjects=False, error_cb=on_error
    ) as nc:
        await nc.publish("foo.*", b"x")
        assert await got.wait(5)
        await nc.flush()
        assert nc.status is natskit.Status.CONNECTED
        assert nc.stats.reconnects == 0
        assert isinstance(errors[0], natskit.BadSubjectError)
