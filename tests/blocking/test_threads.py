"""Blocking API only: threads, futures and callbacks that block."""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Iterator

import pytest

import natskit
from natskit.testing import NatsServer
from tests.fake_server import FakeClient, FakeServer


@pytest.fixture
def nc(nats_server: NatsServer) -> Iterator[natskit.Connection]:
    conn = natskit.connect(nats_server.url)
    yield conn
    conn.close()


def test_publish_from_many_threads(nc: natskit.Connection) -> None:
    sub = nc.subscribe("mt.*")
    nc.flush()
    threads_n, per_thread = 8, 500

    def publisher(t: int) -> None:
        for i in range(per_thread):
            nc.publish(f"mt.{t}", i.to_bytes(4, "big"))

    threads = [threading.Thread(target=publisher, args=(t,)) for t in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    nc.flush()
    seen: dict[int, list[int]] = {t: [] for t in range(threads_n)}
    for _ in range(threads_n * per_thread):
        msg = sub.next_msg(timeout=5)
        seen[int(msg.subject.split(".")[1])].append(int.from_bytes(msg.data, "big"))
    assert all(v == list(range(per_thread)) for v in seen.values())


def test_requests_from_many_threads(nc: natskit.Connection) -> None:
    nc.subscribe("mt.echo", callback=lambda m: m.respond(m.data))
    nc.flush()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(lambda i: nc.request("mt.echo", str(i), timeout=5).text, range(200))
        )
    assert results == [str(i) for i in range(200)]


def test_request_future_is_a_concurrent_future(nc: natskit.Connection) -> None:
    nc.subscribe("f.echo", callback=lambda m: m.respond(m.data))
    futures = [nc.request_future("f.echo", str(i), timeout=5) for i in range(50)]
    assert all(isinstance(f, concurrent.futures.Future) for f in futures)
    assert [f.result(timeout=5).text for f in futures] == [str(i) for i in range(50)]


def test_close_releases_blocked_next_msg(nc: natskit.Connection) -> None:
    sub = nc.subscribe("blocked")
    errors: list[natskit.NatsError] = []

    def reader() -> None:
        try:
            sub.next_msg(timeout=30)
        except natskit.NatsError as exc:
            errors.append(exc)

    t = threading.Thread(target=reader)
    t.start()
    nc.close()
    t.join(10)
    assert not t.is_alive()
    assert isinstance(errors[0], natskit.ConnectionClosedError)


def test_close_releases_blocked_request(nats_server: NatsServer) -> None:
    nc = natskit.connect(nats_server.url)
    nc.subscribe("never")
    errors: list[natskit.NatsError] = []
    started = threading.Event()

    def requester() -> None:
        started.set()
        try:
            nc.request("never", b"", timeout=30)
        except natskit.NatsError as exc:
            errors.append(exc)

    t = threading.Thread(target=requester)
    t.start()
    started.wait(5)
    nc.flush()
    while not len(nc._replies):  # the request is registered before it is published
        nc.flush()
    nc.close()
    t.join(10)
    assert isinstance(errors[0], natskit.ConnectionClosedError)


def test_callback_may_close_the_connection(nats_server: NatsServer) -> None:
    nc = natskit.connect(nats_server.url)
    closed = threading.Event()

    def on_msg(msg: natskit.Msg) -> None:
        nc.close()
        closed.set()

    nc.subscribe("bye", callback=on_msg)
    nc.publish("bye", b"")
    assert closed.wait(5)
    assert nc.status is natskit.Status.CLOSED


def test_pings_answered_while_user_thread_is_busy() -> None:
    answered = threading.Event()

    def handler(client: FakeClient) -> None:
        client.handshake()
        client.send(b"PING\r\n")
        client.read_until(b"PONG", timeout=5)
        answered.set()
        client.read_line(timeout=10)

    with FakeServer(handler) as server:
        nc = natskit.connect(server.url)
        # the user's thread is blocked outside natskit; the reader answers
        assert answered.wait(5)
        nc.close()


def test_request_times_out_in_its_own_thread_while_the_timer_thread_is_busy(
    nats_server: NatsServer,
) -> None:
    # request_future timeouts run on the process's one timer thread; request()
    # waits with its own timeout, so a done callback stuck there does not hold it
    nc = natskit.connect(nats_server.url)
    try:
        nc.subscribe("silent")
        stuck, release, returned = threading.Event(), threading.Event(), threading.Event()
        caller = threading.current_thread()

        def block(_: object) -> None:
            if threading.current_thread() is not caller:
                stuck.set()
                release.wait(10)
                returned.set()

        fut = nc.request_future("silent", b"", timeout=0.5)
        fut.add_done_callback(block)
        assert stuck.wait(5)  # the timer thread is inside the callback
        try:
            start = time.monotonic()
            with pytest.raises(natskit.TimeoutError, match=r"timed out after 0\.2 s"):
                nc.request("silent", b"", timeout=0.2)
            assert time.monotonic() - start >= 0.2
            assert not returned.is_set()  # it timed out while the timer thread was stuck
        finally:
            release.set()
    finally:
        nc.close()
