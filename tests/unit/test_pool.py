"""``ServerPool``: the server pool and reconnect policy, without a server or a clock."""

from __future__ import annotations

import random

import pytest

from natskit.errors import (
    AuthorizationError,
    AuthRevokedError,
    BrokenSocketError,
    InvalidArgError,
)
from natskit.options import ServerAddress
from natskit.pool import MAX_JITTER, ServerPool


def pool(*urls: str, **options: object) -> ServerPool:
    options.setdefault("randomize", False)
    return ServerPool(list(urls), **options)  # type: ignore[arg-type]


def addr(host: str, port: int = 4222, scheme: str = "nats") -> ServerAddress:
    return ServerAddress(host, port, scheme)


def test_urls_are_parsed_deduplicated_and_kept_in_order() -> None:
    p = pool("nats://a:1", "a:1", "tls://b:2", "c")
    assert p.addresses == [addr("a", 1), addr("b", 2, "tls"), addr("c")]
    assert len(p) == 3
    with pytest.raises(InvalidArgError):
        pool()


def test_randomize_shuffles_once_with_the_given_random() -> None:
    urls = [f"nats://h{i}:4222" for i in range(8)]
    shuffled = ServerPool(urls, randomize=True, rng=random.Random(7)).addresses
    again = ServerPool(urls, randomize=True, rng=random.Random(7)).addresses
    assert shuffled == again
    assert sorted(shuffled) == sorted(addr(f"h{i}") for i in range(8))
    assert shuffled != [addr(f"h{i}") for i in range(8)]


def test_learn_adds_new_servers_with_the_current_scheme() -> None:
    p = pool("tls://a:4222")
    p.connected(p.servers[0])
    added = p.learn(["b:4222", "a:4222", "nats://c:5", "not a url:x"])
    assert added == [addr("b", 4222, "tls"), addr("c", 5)]
    assert [s.discovered for s in p.servers] == [False, True, True]
    assert p.learn(["b:4222"]) == []  # known already


def test_learned_servers_are_shuffled_unless_randomize_is_off() -> None:
    p = ServerPool(["nats://a"], randomize=True, rng=random.Random(1))
    added = p.learn([f"h{i}:4222" for i in range(8)])
    assert sorted(added) == sorted(addr(f"h{i}") for i in range(8))
    assert added != [addr(f"h{i}") for i in range(8)]


def test_tls_name_keeps_the_host_name_the_user_gave() -> None:
    p = pool("nats://demo.example:4222")
    p.learn(["10.0.0.2:4222", "other.example:4222"])
    first, ip, name = p.servers
    assert p.tls_name(first) == "demo.example"
    assert p.tls_name(ip) == "demo.example"  # a discovered IP: the name given
    assert p.tls_name(name) == "other.example"
    assert pool("nats://10.0.0.1", tls_hostname="srv").tls_name(first) == "srv"


def test_after_a_loss_the_others_come_first_round_robin() -> None:
    p = pool("nats://a", "nats://b", "nats://c")
    a, b, c = p.servers
    p.connected(a)
    p.lost()
    order = []
    for _ in range(4):
        step = p.next_attempt(now=100.0)
        assert step is not None
        order.append(step[0])
    assert order == [b, c, a, b]


def test_wait_is_measured_from_the_last_attempt_plus_jitter() -> None:
    p = pool("nats://a", reconnect_time_wait=2.0, rng=random.Random(3))
    server = p.servers[0]
    p.attempting(server, now=10.0)
    step = p.next_attempt(now=10.5)
    assert step is not None
    wait = step[1]
    assert 1.5 <= wait <= 1.5 + MAX_JITTER
    step = p.next_attempt(now=20.0)  # long enough ago: no wait, no jitter
    assert step == (server, 0.0)


def test_jitter_is_the_option_and_the_tls_one_for_tls_servers() -> None:
    p = pool("nats://a", reconnect_time_wait=0.05, jitter=0.2, jitter_tls=3.0)
    p.attempting(p.servers[0], now=0.0)
    waits = [step[1] for step in (p.next_attempt(now=0.0) for _ in range(200)) if step]
    assert all(0.05 <= w <= 0.25 for w in waits) and max(waits) > 0.1
    t = pool("tls://a", reconnect_time_wait=0.05, jitter=0.2, jitter_tls=3.0)
    t.attempting(t.servers[0], now=0.0)
    waits = [step[1] for step in (t.next_attempt(now=0.0) for _ in range(200)) if step]
    assert all(0.05 <= w <= 3.05 for w in waits) and max(waits) > 1.0
    none = pool("nats://a", reconnect_time_wait=0.05, jitter=0.0)
    none.attempting(none.servers[0], now=0.0)
    assert none.next_attempt(now=0.0) == (none.servers[0], 0.05)


def test_reconnect_delay_cb_replaces_the_wait_and_counts_attempts() -> None:
    asked: list[int] = []

    def delay(attempt: int) -> float:
        asked.append(attempt)
        return 0.5 * attempt

    p = pool("nats://a", reconnect_time_wait=2.0, delay_cb=delay)
    server = p.servers[0]
    p.attempting(server, now=0.0)
    assert p.next_attempt(now=0.0) == (server, 0.5)
    assert p.next_attempt(now=0.0) == (server, 1.0)
    p.attempting(server, now=0.0)
    assert p.next_attempt(now=100.0) == (server, 0.0)  # no wait needed: not asked
    p.connected(server)
    p.attempting(server, now=0.0)
    assert p.next_attempt(now=0.0) == (server, 0.5)  # counting starts over
    assert asked == [1, 2, 1]


def test_a_failing_reconnect_delay_cb_is_reported_and_the_default_used() -> None:
    def delay(attempt: int) -> float:
        raise ValueError("no delay")

    failed: list[Exception] = []
    p = pool("nats://a", reconnect_time_wait=2.0, delay_cb=delay, jitter=0.0)
    p.delay_failed = failed.append
    p.attempting(p.servers[0], now=0.0)
    assert p.next_attempt(now=0.5) == (p.servers[0], 1.5)
    assert [str(e) for e in failed] == ["no delay"]


def test_ignore_discovered_servers_and_replace() -> None:
    p = pool("nats://a", ignore_discovered=True)
    assert p.learn(["b:4222"]) == []
    assert [s.address.host for s in p.servers] == ["a"]
    p.replace(["nats://c", "nats://d"])
    assert [s.address.host for s in p.servers] == ["c", "d"]
    assert not p.tls_required
    p.replace("tls://e")
    assert p.tls_required


def test_a_forced_loss_does_not_wait() -> None:
    p = pool("nats://a", reconnect_time_wait=2.0)
    server = p.servers[0]
    p.attempting(server, now=10.0)
    p.connected(server)
    p.lost(forced=True)
    assert p.next_attempt(now=10.1) == (server, 0.0)


def test_a_server_leaves_after_max_reconnect_attempts() -> None:
    p = pool("nats://a", "nats://b", max_reconnect_attempts=2)
    a, b = p.servers
    err = BrokenSocketError("refused")
    assert not p.failed(a, err)
    assert not p.failed(a, err)
    assert p.servers == [a, b]
    assert not p.failed(a, err)  # the third failure in a row
    assert p.servers == [b]
    p.connected(b)
    assert b.failures == 0


def test_unlimited_attempts_never_remove_a_server() -> None:
    p = pool("nats://a", max_reconnect_attempts=-1)
    a = p.servers[0]
    for _ in range(1000):
        assert not p.failed(a, BrokenSocketError("refused"))
    assert p.servers == [a]


def test_the_same_authorization_error_twice_gives_up() -> None:
    p = pool("nats://a", "nats://b")
    a, b = p.servers
    assert not p.failed(a, AuthorizationError("Authorization Violation"))
    assert not p.failed(b, AuthorizationError("Authorization Violation"))  # another server
    assert not p.failed(a, AuthRevokedError("revoked"))  # another error on a
    assert p.failed(a, AuthRevokedError("revoked"))  # the same one again
    p.connected(a)
    assert a.last_auth_error is None
    assert not p.failed(a, AuthRevokedError("revoked"))


def test_an_empty_pool_has_no_next_attempt() -> None:
    p = pool("nats://a", max_reconnect_attempts=0)
    a = p.servers[0]
    p.failed(a, BrokenSocketError("x"))
    assert p.servers == []
    assert p.next_attempt(now=0.0) is None
