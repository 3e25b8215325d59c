"""JetStream without a server: configurations, replies, requests, errors, metadata."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import natskit
from natskit import (
    AccountInfo,
    ConsumerConfig,
    ConsumerInfo,
    MsgBase,
    MsgMetadata,
    PubAck,
    RePublish,
    StreamConfig,
    StreamInfo,
    StreamSource,
    SubjectTransform,
)
from natskit._jsapi import from_ns, to_ns
from natskit._jsapi.api import (
    Pull,
    api_about,
    consumer_create_subject,
    error_from,
    fetch_expiry,
    loads,
    msg_get_request,
    parse_reply,
    pending_counts,
    prefix_for,
    publish_headers,
    pull_request,
    pull_status,
    purge_request,
    stored_msg,
)
from natskit.server_version import at_least

# -- durations and configurations ---------------------------------------------


def test_seconds_nanoseconds() -> None:
    assert to_ns(1.5) == 1_500_000_000
    assert to_ns(2) == 2_000_000_000
    assert from_ns(250_000_000) == 0.25
    with pytest.raises(natskit.InvalidArgError):
        to_ns(True)
    with pytest.raises(natskit.InvalidArgError):
        to_ns("5")  # type: ignore[arg-type]


def test_stream_config_to_json_converts_and_skips_unset() -> None:
    cfg = StreamConfig(
        "ORDERS",
        subjects=["orders.>"],
        max_age=3600,
        duplicate_window=0.5,
        storage="memory",
        mirror=StreamSource("UP", opt_start_seq=5, api="$JS.hub.API", deliver="dlv"),
        sources=[
            StreamSource(
                "A",
                filter_subject="a.>",
                subject_transforms=[SubjectTransform("a.*", "b.{{wildcard(1)}}")],
            )
        ],
        republish=RePublish("orders.>", "copy.>", headers_only=True),
        subject_transform=SubjectTransform("orders.>", "o.>"),
        metadata={"team": "x"},
    )
    assert cfg.to_json() == {
        "name": "ORDERS",
        "subjects": ["orders.>"],
        "max_age": 3_600_000_000_000,
        "duplicate_window": 500_000_000,
        "storage": "memory",
        "mirror": {
            "name": "UP",
            "opt_start_seq": 5,
            "external": {"api": "$JS.hub.API", "deliver": "dlv"},
        },
        "sources": [
            {
                "name": "A",
                "filter_subject": "a.>",
                "subject_transforms": [{"src": "a.*", "dest": "b.{{wildcard(1)}}"}],
            }
        ],
        "republish": {"src": "orders.>", "dest": "copy.>", "headers_only": True},
        "subject_transform": {"src": "orders.>", "dest": "o.>"},
        "metadata": {"team": "x"},
    }


def test_stream_config_round_trip_keeps_unknown_fields() -> None:
    wire = {
        "name": "S",
        "subjects": ["s"],
        "max_age": 2_000_000_000,
        "future_field": {"x": 1},
        "mirror": {"name": "M", "external": {"api": "$JS.leaf.API"}, "new": True},
    }
    cfg = StreamConfig.from_json(wire)
    assert cfg.max_age == 2.0
    assert cfg.mirror is not None and cfg.mirror.api == "$JS.leaf.API"
    assert cfg.raw is wire
    assert cfg.to_json() == wire
    cfg.max_age = None  # unsetting a known field drops it
    assert "max_age" not in cfg.to_json()
    assert "future_field" in cfg.to_json()


def test_config_repr_shows_only_set_fields() -> None:
    assert repr(StreamConfig("S", subjects=["a"])) == "StreamConfig(name='S', subjects=['a'])"


def test_consumer_config_durations_and_times() -> None:
    start = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    cfg = ConsumerConfig(
        durable_name="D",
        ack_wait=30,
        backoff=[1, 2.5],
        idle_heartbeat=5,
        opt_start_time=start,
        deliver_policy="by_start_time",
    )
    wire = cfg.to_json()
    assert wire == {
        "durable_name": "D",
        "deliver_policy": "by_start_time",
        "opt_start_time": "2024-01-02T03:04:05Z",
        "ack_policy": "explicit",
        "ack_wait": 30_000_000_000,
        "backoff": [1_000_000_000, 2_500_000_000],
        "idle_heartbeat": 5_000_000_000,
    }
    back = ConsumerConfig.from_json(wire)
    assert back == cfg
    assert back.opt_start_time == start


def test_build_rejects_unknown_options() -> None:
    with pytest.raises(natskit.InvalidArgError, match="max_agee"):
        StreamConfig.build({"name": "S", "max_agee": 1})


# -- replies --------------------------------------------------------------------


def test_stream_info_from_json() -> None:
    wire = {
        "config": {"name": "S", "subjects": ["s.>"], "max_age": 0, "duplicate_window": 120 * 10**9},
        "created": "2024-05-06T07:08:09.123456789Z",
        "state": {
            "messages": 3,
            "bytes": 99,
            "first_seq": 1,
            "last_seq": 3,
            "first_ts": "2024-05-06T07:08:10Z",
            "last_ts": "0001-01-01T00:00:00Z",
            "consumer_count": 1,
        },
        "cluster": {"leader": "n1"},
        "sources": [{"name": "A", "lag": 0}],
        "ts": "now",
    }
    info = StreamInfo.from_json(wire)
    assert info.name == "S"
    assert info.config.duplicate_window == 120.0
    assert info.state.messages == 3 and info.state.last_seq == 3
    assert info.state.first_ts == datetime(2024, 5, 6, 7, 8, 10, tzinfo=timezone.utc)
    assert info.state.last_ts is None  # Go's zero time
    assert info.created == datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc)
    assert info.cluster == {"leader": "n1"} and info.sources == [{"name": "A", "lag": 0}]
    assert info.raw["ts"] == "now"


def test_consumer_info_from_json() -> None:
    wire = {
        "stream_name": "S",
        "name": "C",
        "config": {"durable_name": "C", "ack_policy": "explicit", "ack_wait": 30 * 10**9},
        "delivered": {"consumer_seq": 5, "stream_seq": 7, "last_active": "2024-01-01T00:00:00Z"},
        "ack_floor": {"consumer_seq": 4, "stream_seq": 6},
        "num_ack_pending": 1,
        "num_redelivered": 2,
        "num_waiting": 3,
        "num_pending": 4,
        "push_bound": True,
    }
    info = ConsumerInfo.from_json(wire)
    assert (info.stream_name, info.name, info.config.ack_wait) == ("S", "C", 30.0)
    assert info.delivered.consumer_seq == 5 and info.delivered.stream_seq == 7
    assert info.delivered.last_active == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert info.ack_floor.stream_seq == 6 and info.ack_floor.last_active is None
    assert (info.num_ack_pending, info.num_redelivered, info.num_waiting, info.num_pending) == (
        1,
        2,
        3,
        4,
    )
    assert info.push_bound


def test_pub_ack_and_account_info() -> None:
    ack = PubAck.from_json({"stream": "S", "seq": 9, "duplicate": True, "domain": "hub"})
    assert (ack.stream, ack.seq, ack.duplicate, ack.domain) == ("S", 9, True, "hub")
    assert PubAck.from_json({"stream": "S", "seq": 1}).domain is None
    acc = AccountInfo.from_json(
        {
            "memory": 1,
            "storage": 2,
            "streams": 3,
            "consumers": 4,
            "limits": {"max_streams": -1},
            "domain": "",
        }
    )
    assert (acc.memory, acc.storage, acc.streams, acc.consumers) == (1, 2, 3, 4)
    assert acc.limits == {"max_streams": -1} and acc.domain is None


@pytest.mark.parametrize(
    ("err_code", "cls"),
    [
        (10059, natskit.StreamNotFoundError),
        (10014, natskit.ConsumerNotFoundError),
        (10037, natskit.MsgNotFoundError),
        (10071, natskit.WrongLastSequenceError),
        (10164, natskit.WrongLastSequenceError),
        (10039, natskit.JetStreamNotEnabledForAccountError),
        (10076, natskit.JetStreamNotEnabledError),
        (10058, natskit.JetStreamError),
    ],
)
def test_errors_by_err_code(err_code: int, cls: type[natskit.JetStreamError]) -> None:
    reply = {"type": "t", "error": {"code": 404, "err_code": err_code, "description": "boom"}}
    with pytest.raises(cls) as info:
        parse_reply(json.dumps(reply).encode())
    err = info.value
    assert type(err) is cls
    assert (err.status, err.err_code, err.description, str(err)) == (404, err_code, "boom", "boom")
    assert err.code == cls.code  # the Tcl name: ErrStreamNotFound, ... (ErrJSResponse: any other)
    assert err.raw == reply


def test_error_without_err_code() -> None:
    err = error_from({"code": 503, "description": "x"})
    assert type(err) is natskit.JetStreamError and err.status == 503 and err.err_code is None


def test_parse_reply_rejects_garbage() -> None:
    with pytest.raises(natskit.JetStreamError, match="invalid JSON"):
        parse_reply(b"{nope")
    with pytest.raises(natskit.JetStreamError, match="not a JSON object"):
        parse_reply(b"[1]")
    assert parse_reply(b'{"success": true}') == {"success": True}


def test_loads() -> None:
    assert loads('{"a": 1}') == {"a": 1}
    assert loads({"b": 2}) == {"b": 2}
    with pytest.raises(natskit.InvalidArgError):
        loads("[]")
    with pytest.raises(natskit.InvalidArgError):
        loads("{")


# -- requests -------------------------------------------------------------------


def test_prefix_for() -> None:
    assert prefix_for(None, None) == "$JS.API"
    assert prefix_for("hub", None) == "$JS.hub.API"
    assert prefix_for(None, "JS.acc.") == "JS.acc"
    assert prefix_for("", None) == "$JS.API"
    with pytest.raises(natskit.InvalidArgError, match="mutually exclusive"):
        prefix_for("hub", "JS.x")
    with pytest.raises(natskit.InvalidArgError):
        prefix_for("a.b", None)


def test_publish_headers() -> None:
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
    user = natskit.Headers({"X": "1"})
    h = publish_headers(
        user,
        stream="S",
        msg_id="m1",
        expected_last_seq=0,
        expected_last_subject_seq=4,
        expected_last_msg_id="m0",
    )
    assert h is not None and h is not user
    assert dict(h.items()) == {
        "X": "1",
        "Nats-Msg-Id": "m1",
        "Nats-Expected-Stream": "S",
        "Nats-Expected-Last-Sequence": "0",
        "Nats-Expected-Last-Subject-Sequence": "4",
        "Nats-Expected-Last-Msg-Id": "m0",
    }
    assert "Nats-Msg-Id" not in user


def test_pull_request() -> None:
    assert pull_request(5, no_wait=True) == {"batch": 5, "no_wait": True}
    assert pull_request(1, expires=0.99, max_bytes=100, heartbeat=0.25) == {
        "batch": 1,
        "expires": 990_000_000,
        "max_bytes": 100,
        "idle_heartbeat": 250_000_000,
    }
    for bad in (0, -1, True, 1.5):
        with pytest.raises(natskit.InvalidArgError):
            pull_request(bad)  # type: ignore[arg-type]
    assert fetch_expiry(1.0) == pytest.approx(0.99)
    assert fetch_expiry(0.015) == 0.015


def test_purge_and_get_requests() -> None:
    assert purge_request(None, None, None) is None
    assert purge_request("a.>", 2, None) == {"filter": "a.>", "keep": 2}
    assert purge_request(None, None, 10) == {"seq": 10}
    with pytest.raises(natskit.InvalidArgError):
        purge_request(None, 1, 2)
    assert msg_get_request(3, None, None) == {"seq": 3}
    assert msg_get_request(None, "a", None) == {"last_by_subj": "a"}
    assert msg_get_request(4, None, "a") == {"seq": 4, "next_by_subj": "a"}
    for args in ((None, None, None), (1, "a", None), (None, "a", "b")):
        with pytest.raises(natskit.InvalidArgError):
            msg_get_request(*args)


def test_stored_msg() -> None:
    hdrs = base64.b64encode(b"NATS/1.0\r\nX: 1\r\n\r\n").decode()
    reply = {
        "message": {
            "subject": "s.a",
            "seq": 7,
            "hdrs": hdrs,
            "data": base64.b64encode(b"hi").decode(),
            "time": "2024-01-01T00:00:00.000000001Z",
        }
    }
    subject, data, headers = stored_msg(reply, "S")
    assert (subject, data) == ("s.a", b"hi")
    assert headers.get("X") == "1" and headers.get("Nats-Stream") == "S"
    msg = MsgBase(subject, data, None, headers)
    assert msg.seq == 7
    assert msg.time == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert msg.time_ns == 1_704_067_200_000_000_001
    subject, data, headers = stored_msg({"message": {"subject": "e", "seq": 1, "time": "t"}}, "S")
    assert data == b"" and headers.get("Nats-Sequence") == "1"


def test_consumer_create_subject_and_action() -> None:
    assert consumer_create_subject("S", {}) == "CONSUMER.CREATE.S"
    assert consumer_create_subject("S", {"durable_name": "D"}) == "CONSUMER.CREATE.S.D"
    assert consumer_create_subject("S", {"name": "N", "filter_subject": "a.b"}) == (
        "CONSUMER.CREATE.S.N.a.b"
    )
    assert consumer_create_subject("S", {"name": "N", "filter_subject": "a.*"}) == (
        "CONSUMER.CREATE.S.N"
    )
    with pytest.raises(natskit.InvalidArgError):
        consumer_create_subject("S", {"name": "A", "durable_name": "B"})
    with pytest.raises(natskit.InvalidArgError):
        consumer_create_subject("S.x", {})
    assert at_least({"version": "2.10.0"}, (2, 10)) and at_least(
        {"version": "2.15.1-beta"}, (2, 10)
    )
    assert not at_least({"version": "2.9.25"}, (2, 10)) and not at_least({}, (2, 10))


@pytest.mark.parametrize(
    ("status", "description", "kind", "cls"),
    [
        (404, "No Messages", Pull.END, None),
        (408, "Request Timeout", Pull.END, None),
        (409, "Message Size Exceeds MaxBytes", Pull.END, None),
        (409, "Leadership Change", Pull.END, None),
        (409, "Consumer Deleted", Pull.FATAL, natskit.ConsumerNotFoundError),
        (409, "Consumer is push based", Pull.FATAL, natskit.JetStreamError),
        (409, "Exceeded MaxWaiting", Pull.WARN, natskit.JetStreamError),
        (400, "Bad Request", Pull.FATAL, natskit.JetStreamError),
        (503, "", Pull.FATAL, natskit.JetStreamNotEnabledError),
    ],
)
def test_pull_status(
    status: int, description: str, kind: Pull, cls: type[natskit.JetStreamError] | None
) -> None:
    got_kind, err = pull_status(status, description)
    assert got_kind is kind
    assert (err is None) if cls is None else type(err) is cls


def test_pending_counts() -> None:
    h = natskit.Headers({"Nats-Pending-Messages": "3", "Nats-Pending-Bytes": "40"})
    assert pending_counts(h) == (3, 40)
    assert pending_counts(natskit.Headers({"Nats-Pending-Messages": "x"})) == (0, 0)


# -- message metadata -------------------------------------------------------------

TS = 1_626_818_873_482_533_123


def test_metadata_v1() -> None:
    meta = MsgBase("s", reply=f"$JS.ACK.ORDERS.C1.2.10.7.{TS}.4").metadata
    assert meta == MsgMetadata("ORDERS", "C1", 2, 10, 7, meta.timestamp, 4, None, TS)
    assert meta.timestamp == datetime.fromtimestamp(TS // 10**9, timezone.utc).replace(
        microsecond=482533
    )


@pytest.mark.parametrize(("domain", "expected"), [("hub", "hub"), ("_", None)])
def test_metadata_v2(domain: str, expected: str | None) -> None:
    reply = f"$JS.ACK.{domain}.ACCHASH.S.C.1.2.3.{TS}.0.RANDOM"
    meta = MsgBase("s", reply=reply).metadata
    assert (meta.stream, meta.consumer, meta.stream_seq, meta.consumer_seq) == ("S", "C", 2, 3)
    assert meta.domain == expected
    assert MsgBase("s", reply=reply.rsplit(".", 1)[0]).metadata == meta  # 11 tokens


@pytest.mark.parametrize(
    "reply",
    [
        None,
        "",
        "_INBOX.x",
        "$JS.ACK.S.C.1.2.3.4",
        "$JS.ACK.S.C.1.2.3.4.5.6",
        "$JS.ACK.S.C.x.2.3.4.5",
        "$JS.API.S.C.1.2.3.4.5",
    ],
)
def test_metadata_rejects_other_replies(reply: str | None) -> None:
    with pytest.raises(natskit.NotJSMessageError):
        _ = MsgBase("s", reply=reply).metadata


@given(
    name=st.text("ABCxyz09_-", min_size=1, max_size=8),
    nums=st.lists(st.integers(0, 2**63 - 1), min_size=5, max_size=5),
)
def test_metadata_round_trip(name: str, nums: list[int]) -> None:
    delivered, sseq, cseq, ts, pending = nums
    meta = MsgBase(
        "s", reply=f"$JS.ACK.{name}.{name}.{delivered}.{sseq}.{cseq}.{ts}.{pending}"
    ).metadata
    assert (
        meta.stream,
        meta.num_delivered,
        meta.stream_seq,
        meta.consumer_seq,
        meta.timestamp_ns,
        meta.num_pending,
    ) == (name, delivered, sseq, cseq, ts, pending)


def test_seq_and_time_of_direct_get_headers() -> None:
    msg = MsgBase(
        "s",
        headers={
            "Nats-Sequence": "12",
            "Nats-Time-Stamp": "2022-08-06 00:29:27.587861324 +0000 UTC",
        },
    )
    assert msg.seq == 12
    assert msg.time == datetime(2022, 8, 6, 0, 29, 27, 587861, tzinfo=timezone.utc)
    assert msg.time_ns is not None and msg.time_ns % 10**9 == 587861324
    plain = MsgBase("s")
    assert (plain.seq, plain.time, plain.time_ns) == (None, None, None)


@pytest.mark.parametrize(
    ("suffix", "about"),
    [
        ("STREAM.INFO.S", "stream 'S'"),
        ("STREAM.MSG.GET.S", "stream 'S'"),
        ("CONSUMER.INFO.S.C", "consumer 'C' of stream 'S'"),
        ("CONSUMER.CREATE.S.C.s.>", "consumer 'C' of stream 'S'"),
        ("CONSUMER.DURABLE.CREATE.S.D", "consumer 'D' of stream 'S'"),
        ("CONSUMER.NAMES.S", "stream 'S'"),
        ("INFO", ""),
        ("STREAM.NAMES", ""),
    ],
)
def test_api_errors_say_what_they_are_about(suffix: str, about: str) -> None:
    assert api_about(suffix) == about
