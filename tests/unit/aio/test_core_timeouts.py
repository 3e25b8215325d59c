"""``timeout=None`` (and an option set to None) means "no limit" wherever a wait
has a default limit, and request timeouts fire at their own deadlines, over the
in-memory network."""

from __future__ import annotations

import pytest

from natskit._async.memory import MemoryNetwork
from natskit._io_async import Event, monotonic, sleep, wait_future
from natskit.errors import ConnectionClosedError, TimeoutError

URL = "nats://mem:4222"


async def test_drain_without_a_timeout_waits_for_the_callbacks() -> None:
    net = MemoryNetwork()
    server = net.listen("mem")
    errors: list[Exception] = []
    nc = await net.connect(URL, drain_timeout=None, error_cb=errors.append)
    handled: list[bytes] = []

    async def slow(msg: object) -> None:
        await sleep(0.02)  # the work of the callback, not a wait for something
        handled.append(getattr(msg, "data", b""))

    sub = await nc.subscribe("s", callback=slow)
    peer = server.peers[0]
    await peer.expect("SUB")
    peer.send(b"".join(b"MSG s %d 1\r\n%d\r\n" % (sub.sid, i) for i in range(3)))
    await nc.drain()
    assert handled == [b"0", b"1", b"2"]
    assert errors == []


async def test_request_future_without_a_timeout_waits_for_the_reply() -> None:
    net = MemoryNetwork()
    server = net.listen("mem")
    nc = await net.connect(URL, request_timeout=None)
    fut = await nc.request_future("svc", b"q")
    peer = server.peers[0]
    sid = (await peer.expect("SUB"))[3]
    reply = (await peer.expect("PUB"))[2]
    await nc.flush()
    assert not fut.done()  # no timer expired it
    done = Event()
    fut.add_done_callback(lambda f: done.set())
    peer.send(b"MSG %s %d 1\r\nr\r\n" % (reply.encode(), sid))
    assert await done.wait(5)
    assert fut.result().data == b"r"
    await nc.close()


async def test_request_many_without_a_timeout_waits_for_max_msgs() -> None:
    net = MemoryNetwork()
    server = net.listen("mem")
    server.replies["svc"] = [b"one", b"two"]
    nc = await net.connect(URL, request_timeout=None)
    replies = await nc.request_many("svc", b"q", max_msgs=2)
    assert [m.data for m in replies] == [b"one", b"two"]
    assert (await nc.request("svc", b"q")).data == b"one"
    await nc.close()


async def test_each_request_times_out_at_its_own_deadline() -> None:
    # one timer serves every request: it must still fail each at its own time,
    # also when a shorter timeout comes after a longer one was armed
    net = MemoryNetwork()
    net.listen("mem")
    nc = await net.connect(URL)
    start = monotonic()
    ended: dict[float, float] = {}
    done = Event()
    futs = []
    for timeout in (30.0, 0.3, 0.1, 0.2):
        fut = await nc.request_future("silent", b"", timeout=timeout)

        def on_done(_: object, timeout: float = timeout) -> None:
            ended[timeout] = monotonic() - start
            if len(ended) == 3:
                done.set()

        fut.add_done_callback(on_done)
        futs.append(fut)
    assert await done.wait(10)
    assert sorted(ended, key=ended.__getitem__) == [0.1, 0.2, 0.3]
    for timeout, elapsed in ended.items():
        assert elapsed >= timeout
    for fut in futs[1:]:
        exc = fut.exception()
        assert isinstance(exc, TimeoutError)
        assert "'silent'" in str(exc)
    assert not futs[0].done()  # the 30 s one still waits
    assert len(nc._replies) == 1
    await nc.close()
    assert isinstance(futs[0].exception(), ConnectionClosedError)


async def test_a_reply_after_the_timeout_is_ignored() -> None:
    net = MemoryNetwork()
    server = net.listen("mem")
    nc = await net.connect(URL)
    fut = await nc.request_future("svc", b"q", timeout=0.05)
    peer = server.peers[0]
    sid = (await peer.expect("SUB"))[3]
    reply = (await peer.expect("PUB"))[2]
    done = Event()
    fut.add_done_callback(lambda f: done.set())
    assert await done.wait(5)
    assert isinstance(fut.exception(), TimeoutError)
    peer.send(b"MSG %s %d 4\r\nlate\r\n" % (reply.encode(), sid))
    await nc.flush()
    assert len(nc._replies) == 0
    # the inbox still works for the next request
    fut = await nc.request_future("svc", b"q", timeout=5)
    reply = (await peer.expect("PUB"))[2]
    peer.send(b"MSG %s %d 2\r\nok\r\n" % (reply.encode(), sid))
    assert (await wait_future(fut, 5)).data == b"ok"
    await nc.close()


async def test_request_times_out_and_forgets_its_token() -> None:
    net = MemoryNetwork()
    net.listen("mem")
    nc = await net.connect(URL)
    start = monotonic()
    with pytest.raises(TimeoutError) as info:
        await nc.request("silent", b"", timeout=0.1)
    assert monotonic() - start >= 0.1
    assert "request to 'silent' timed out after 0.1 s" in str(info.value)
    assert len(nc._replies) == 0
    await nc.close()
