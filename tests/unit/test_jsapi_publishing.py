"""The publishing features of current servers without a server: stream config
fields, PubAck fields, TTL and schedule headers, batch limits, version checks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import natskit
from natskit import ConsumerLimits, PubAck, StreamConfig
from natskit._jsapi.api import error_from, publish_headers
from natskit._jsapi.publishing import (
    batch_limit_of,
    check_batch_size,
    counter_value,
    increment_text,
    require_server,
    schedule_headers,
    ttl_text,
)
from natskit.headers import Headers


def test_stream_config_new_fields_round_trip() -> None:
    cfg = StreamConfig(
        "S",
        persist_mode="async",
        consumer_limits=ConsumerLimits(inactive_threshold=30, max_ack_pending=100),
        allow_batched=True,
        allow_msg_ttl=True,
        subject_delete_marker_ttl=5,
        allow_msg_counter=True,
        allow_atomic=True,
        allow_msg_schedules=True,
    )
    wire = cfg.to_json()
    assert wire == {
        "name": "S",
        "persist_mode": "async",
        "consumer_limits": {"inactive_threshold": 30_000_000_000, "max_ack_pending": 100},
        "allow_batched": True,
        "allow_msg_ttl": True,
        "subject_delete_marker_ttl": 5_000_000_000,
        "allow_msg_counter": True,
        "allow_atomic": True,
        "allow_msg_schedules": True,
    }
    back = StreamConfig.from_json(wire)
    assert back == cfg
    assert isinstance(back.consumer_limits, ConsumerLimits)
    assert back.consumer_limits.inactive_threshold == 30.0
    assert StreamConfig.from_json({"name": "S", "consumer_limits": {}}).consumer_limits == (
        ConsumerLimits()
    )
    assert StreamConfig("S").to_json() == {"name": "S"}


def test_persist_mode_choices() -> None:
    with pytest.raises(natskit.InvalidArgError, match="persist_mode"):
        StreamConfig("S", persist_mode="sync").to_json()
    assert StreamConfig.build({"name": "S", "persist_mode": "default"}).to_json() == {
        "name": "S",
        "persist_mode": "default",
    }


def test_pub_ack_value_and_batch() -> None:
    big = 2**70
    ack = PubAck.from_json({"stream": "C", "seq": 3, "val": str(big)})
    assert ack.value == big and ack.batch_id is None and ack.batch_size is None
    assert PubAck.from_json({"stream": "C", "seq": 3, "val": "-5"}).value == -5
    ack = PubAck.from_json({"stream": "B", "seq": 9, "batch": "abc", "count": 4})
    assert (ack.value, ack.batch_id, ack.batch_size) == (None, "abc", 4)
    with pytest.raises(natskit.ProtocolError):
        PubAck.from_json({"stream": "C", "seq": 1, "val": "x1"})


@pytest.mark.parametrize(
    ("ttl", "text"), [(1, "1"), (60, "60"), (2.0, "2"), (1.5, "1.5s"), ("never", "never")]
)
def test_ttl_text(ttl: float | str, text: str) -> None:
    assert ttl_text(ttl) == text


@pytest.mark.parametrize("bad", [0, 0.999, -3, True, "1h", "", None, float("inf"), [1]])
def test_bad_ttl(bad: object) -> None:
    with pytest.raises(natskit.InvalidArgError, match="ttl"):
        ttl_text(bad)  # type: ignore[arg-type]  # the error under test


def test_publish_headers_ttl_and_subject_filter() -> None:
    assert (
        publish_headers(
            None,
            stream=None,
            msg_id=None,
            expected_last_seq=None,
            expected_last_subject_seq=None,
            expected_last_msg_id=None,
        )
        is None
    )
    hdrs = publish_headers(
        {"A": "b"},
        stream=None,
        msg_id=None,
        expected_last_seq=None,
        expected_last_subject_seq=4,
        expected_last_msg_id=None,
        ttl=10,
        expected_last_subject_seq_subject="o.*",
    )
    assert hdrs is not None
    assert hdrs.get("Nats-TTL") == "10" and hdrs.get("A") == "b"
    assert hdrs.get("Nats-Expected-Last-Subject-Sequence") == "4"
    assert hdrs.get("Nats-Expected-Last-Subject-Sequence-Subject") == "o.*"
    with pytest.raises(natskit.InvalidArgError, match="expected_last_subject_seq"):
        publish_headers(
            None,
            stream=None,
            msg_id=None,
            expected_last_seq=None,
            expected_last_subject_seq=None,
            expected_last_msg_id=None,
            expected_last_subject_seq_subject="o.*",
        )


def test_server_version_needed() -> None:
    require_server({"version": "2.11.0"}, "per-message TTL")
    require_server({"version": "2.15.1"}, "atomic batch publish")
    require_server({}, "counters")  # unknown: let the server answer
    with pytest.raises(natskit.JetStreamError, match=r"counters needs nats-server 2\.12"):
        require_server({"version": "2.11.4"}, "counters")
    with pytest.raises(natskit.JetStreamError, match=r"per-message TTL needs nats-server 2\.11"):
        require_server({"version": "2.10.22-beta"}, "per-message TTL")


def test_batch_limit_helpers() -> None:
    assert batch_limit_of("atomic publish batch is too large: 1000") == 1000
    assert batch_limit_of("something else") is None
    check_batch_size(1000, 1000)
    with pytest.raises(natskit.InvalidArgError, match="at most 1000"):
        check_batch_size(1001, 1000)


def test_errors_of_disabled_features_say_what_the_stream_needs() -> None:
    for code, flag in (
        (10166, "allow_msg_ttl"),
        (10168, "allow_msg_counter"),
        (10174, "allow_atomic"),
        (10188, "allow_msg_schedules"),
    ):
        err = error_from({"code": 400, "err_code": code, "description": "disabled"})
        assert flag in str(err) and err.description == "disabled"
        about = error_from({"code": 400, "err_code": code, "description": "off"}, about="x")
        assert str(about).startswith("x: off") and flag in str(about)


def test_counter_values() -> None:
    assert counter_value(b'{"val":"12"}', "c") == 12
    assert counter_value(b'{"val":"-%d"}' % 2**80, "c") == -(2**80)
    for bad in (b"", b"{}", b'{"val":"x"}', b"[1]"):
        with pytest.raises(natskit.JetStreamError, match="'c'"):
            counter_value(bad, "c")
    assert increment_text(5) == "+5" and increment_text(-(2**65)) == f"-{2**65}"
    assert increment_text(0) == "+0"
    for wrong in (1.5, "1", True, None):
        with pytest.raises(natskit.InvalidArgError, match="delta"):
            increment_text(wrong)  # type: ignore[arg-type]  # the error under test


def test_schedule_headers() -> None:
    now = datetime(2030, 1, 1, tzinfo=timezone.utc)

    def sched(**kw: object) -> Headers:
        args: dict[str, object] = {
            "target": "t",
            "at": None,
            "every": None,
            "cron": None,
            "ttl": None,
        }
        args.update(kw)
        return schedule_headers(Headers(), now=now, **args)  # type: ignore[arg-type]

    at = sched(at=now + timedelta(minutes=5))
    assert at.get("Nats-Schedule") == "@at 2030-01-01T00:05:00Z"
    assert at.get("Nats-Schedule-Target") == "t"
    naive = sched(at=datetime(2030, 1, 1, 1, 0))  # naive: UTC
    assert naive.get("Nats-Schedule") == "@at 2030-01-01T01:00:00Z"
    assert sched(every=5).get("Nats-Schedule") == "@every 5s"
    assert sched(every=1.5).get("Nats-Schedule") == "@every 1.5s"
    assert sched(cron="0 */5 * * * *").get("Nats-Schedule") == "0 */5 * * * *"
    assert sched(cron="@hourly", ttl=60).get("Nats-Schedule-TTL") == "60"
    with pytest.raises(natskit.InvalidArgError, match="in the past"):
        sched(at=now - timedelta(seconds=1))
    with pytest.raises(natskit.InvalidArgError, match="every and cron"):
        sched(every=5, cron="@hourly")
    with pytest.raises(natskit.InvalidArgError, match="none"):
        sched()
    with pytest.raises(natskit.InvalidArgError, match="at must be a datetime"):
        sched(at="2030-01-01T00:00:00Z")
    with pytest.raises(natskit.InvalidArgError, match="every"):
        sched(every=0.5)
    with pytest.raises(natskit.InvalidArgError, match="cron"):
        sched(cron=" ")
    with pytest.raises(natskit.InvalidArgError, match="6 fields, seconds first"):
        sched(cron="*/5 * * * *")  # a crontab's 5 fields
    with pytest.raises(natskit.InvalidArgError, match="target"):
        sched(target="a b", every=5)
    with pytest.raises(natskit.InvalidArgError, match="ttl"):
        sched(every=5, ttl=0)


def test_plain_acks_parse_fast_and_still_strictly() -> None:
    """The common ack skips the generic type check; anything unusual takes it."""
    plain = {"stream": "S", "seq": 7, "duplicate": True, "domain": "hub"}
    ack = PubAck.from_json(plain)
    assert (ack.stream, ack.seq, ack.duplicate, ack.domain, ack.raw) == ("S", 7, True, "hub", plain)
    assert PubAck.from_json({"stream": "S", "seq": 1, "domain": ""}).domain is None
    assert PubAck.from_json({"stream": "S", "seq": 2, "duplicate": 1}).duplicate  # as before
    for bad in (
        {"stream": 5, "seq": 1},
        {"stream": "S", "seq": 1, "domain": 3},
    ):
        with pytest.raises(natskit.ProtocolError, match="PubAck"):
            PubAck.from_json(bad)
