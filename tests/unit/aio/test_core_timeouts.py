"""``timeout=None`` (and an option set to None) means "no limit" wherever a wait
has a default limit, over the in-memory network."""

from __future__ import annotations

from natskit._async.memory import MemoryNetwork
from natskit._io_async import Event, sleep

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
