"""Key-Value without a server: keys, operations, entries, status, bucket configurations."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import natskit
from natskit import Entry, Headers, KVOrigin, KVStatus, MsgBase, RePublish, StreamInfo
from natskit._jsapi.kv import (
    aggregate_config,
    bucket_config,
    check_bucket,
    check_key,
    delivered_entry,
    key_prefixes,
    kv_status,
    mirror_config,
    operation,
    stored_entry,
    ttl_header,
)


@pytest.mark.parametrize("key", ["a", "a.b.c", "A-Z_0/9=x", "x._kv", "kv_", "_x"])
def test_valid_keys(key: str) -> None:
    check_key(key)
    check_key(key, pattern=True)


@pytest.mark.parametrize(
    "key", ["", ".a", "a.", "a..b", "a b", "a*", "*", ">", "_kv", "_kvx.y", "ä", "a\n", None, 5]
)
def test_invalid_keys(key: str | int | None) -> None:
    with pytest.raises(natskit.InvalidArgError) as err:
        check_key(key)  # type: ignore[arg-type]  # the error under test
    assert "invalid key" in str(err.value)


@pytest.mark.parametrize("pattern", ["*", ">", "a.*", "a.>", "*.b.>", "a.*.c"])
def test_valid_patterns(pattern: str) -> None:
    check_key(pattern, pattern=True)
    with pytest.raises(natskit.InvalidArgError):
        check_key(pattern)


@pytest.mark.parametrize("pattern", [">.a", "a.>.b", "a*", "a.**", "", "_kv.>", "a..>"])
def test_invalid_patterns(pattern: str) -> None:
    with pytest.raises(natskit.InvalidArgError, match="invalid key pattern"):
        check_key(pattern, pattern=True)


@given(st.text(alphabet="ab.-_*>", max_size=12))
def test_key_check_agrees_with_the_subject_rules(key: str) -> None:
    """A valid key is a valid subject without wildcards; a valid pattern, with them."""
    for pattern in (False, True):
        try:
            check_key(key, pattern=pattern)
        except natskit.InvalidArgError:
            continue
        natskit._protocol.check_subject(f"$KV.B.{key}", wildcards=pattern)


def test_bucket_names() -> None:
    for name in ("a", "A-b_9"):
        check_bucket(name)
    for bad in ("", "a.b", "a b", "a*", "ä", None):
        with pytest.raises(natskit.InvalidArgError, match="invalid bucket name"):
            check_bucket(bad)  # type: ignore[arg-type]  # None: the error under test


def test_operations() -> None:
    assert operation(None) == operation(Headers()) == "PUT"
    assert operation(Headers({"KV-Operation": "DEL"})) == "DEL"
    assert operation(Headers({"KV-Operation": "PURGE", "Nats-Rollup": "sub"})) == "PURGE"
    assert operation(Headers({"Nats-Marker-Reason": "MaxAge"})) == "PURGE"
    assert operation(Headers({"Nats-Marker-Reason": "Purge"})) == "PURGE"
    assert operation(Headers({"Nats-Marker-Reason": "Remove"})) == "DEL"
    assert operation(Headers({"Nats-Marker-Reason": "Later", "X": "1"})) == "PURGE"
    assert operation(Headers({"KV-Operation": "other", "X": "1"})) == "PUT"


def test_ttl_header() -> None:
    assert (ttl_header(1), ttl_header(3600.0), ttl_header(1.5)) == ("1", "3600", "1.5s")
    for bad in (0, 0.5, -1, True, "1s", None):
        with pytest.raises(natskit.InvalidArgError):
            ttl_header(bad)  # type: ignore[arg-type]  # the error under test


def test_entries_from_messages() -> None:
    got = MsgBase(
        "$KV.B.a.b",
        b"v",
        headers={"Nats-Sequence": "7", "Nats-Time-Stamp": "2024-01-02T03:04:05.123456789Z"},
    )
    entry = stored_entry("B", "a.b", got)
    assert (entry.bucket, entry.key, entry.value, entry.revision) == ("B", "a.b", b"v", 7)
    assert entry.created is not None and entry.created.year == 2024
    assert (entry.delta, entry.operation) == (None, "PUT")
    watched = MsgBase(
        "$KV.B.a.b", b"", "$JS.ACK.KV_B.c.1.9.4.1700000000000000000.2", {"KV-Operation": "DEL"}
    )
    entry = delivered_entry("B", "$KV.B", watched)
    assert (entry.key, entry.revision, entry.delta, entry.operation) == ("a.b", 9, 2, "DEL")
    assert entry.created is not None and entry.created.year == 2023
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.value = b"x"  # type: ignore[misc]
    assert isinstance(entry, Entry)


def test_bucket_config_follows_adr8() -> None:
    cfg = bucket_config("B", {})
    assert cfg.to_json() == {
        "name": "KV_B",
        "subjects": ["$KV.B.>"],
        "max_msgs_per_subject": 1,
        "discard": "new",
        "duplicate_window": 120_000_000_000,
        "allow_rollup_hdrs": True,
        "deny_delete": True,
        "allow_direct": True,
    }
    cfg = bucket_config(
        "B",
        {
            "description": "d",
            "max_value_size": 1024,
            "history": 64,
            "ttl": 30,
            "max_bucket_size": 10**8,
            "storage": "memory",
            "num_replicas": 3,
            "compression": True,
            "republish": RePublish("$KV.B.>", "r.>"),
            "metadata": {"k": "v"},
            "placement": {"cluster": "c"},
            "limit_marker_ttl": 2,
        },
    )
    assert (cfg.description, cfg.max_msg_size, cfg.max_msgs_per_subject) == ("d", 1024, 64)
    assert (cfg.max_age, cfg.duplicate_window, cfg.max_bytes) == (30, 30, 10**8)
    assert (cfg.storage, cfg.num_replicas, cfg.compression) == ("memory", 3, "s2")
    assert cfg.republish == RePublish("$KV.B.>", "r.>") and cfg.metadata == {"k": "v"}
    assert cfg.placement == {"cluster": "c"}
    assert cfg.allow_msg_ttl and cfg.subject_delete_marker_ttl == 2
    assert bucket_config("B", {"ttl": 3600}).duplicate_window == 120
    for no_ttl in (None, 0):  # no limit markers (as nats.go)
        assert not bucket_config("B", {"limit_marker_ttl": no_ttl}).allow_msg_ttl
    assert bucket_config("B", {"compression": "s2"}).compression == "s2"
    for off in (False, "none"):
        assert bucket_config("B", {"compression": off}).compression is None


def test_bucket_config_mirror_name() -> None:
    cfg = bucket_config("M", {"mirror_name": "B", "mirror_domain": "hub"})
    assert cfg.subjects is None and cfg.mirror_direct
    assert cfg.mirror is not None and cfg.mirror.to_json() == {
        "name": "KV_B",
        "external": {"api": "$JS.hub.API"},
    }
    cfg = bucket_config("M", {"mirror_name": "B"})
    assert cfg.mirror is not None and cfg.mirror.api is None


@pytest.mark.parametrize(
    "options",
    [
        {"history": 0},
        {"history": 65},
        {"history": True},
        {"history": "5"},
        {"ttl": 0},
        {"ttl": "1h"},
        {"limit_marker_ttl": 0.5},
        {"limit_marker_ttl": "1m"},
        {"compression": "zstd"},
        {"republish": {"src": "a", "dest": "b"}},
        {"mirror_domain": "hub"},
        {"mirror_name": "a.b"},
        {"bogus": 1},
    ],
)
def test_bad_bucket_options(options: dict[str, Any]) -> None:
    with pytest.raises(natskit.InvalidArgError):
        bucket_config("B", options)


def test_origins() -> None:
    origin = KVOrigin("B", keys=["new.>", "x"], domain="hub", deliver="d.hub")
    src = origin._source("AGG")
    assert src.to_json() == {
        "name": "KV_B",
        "subject_transforms": [
            {"src": "$KV.B.new.>", "dest": "$KV.AGG.new.>"},
            {"src": "$KV.B.x", "dest": "$KV.AGG.x"},
        ],
        "external": {"api": "$JS.hub.API", "deliver": "d.hub"},
    }
    src = KVOrigin("B", stream="MIRROR", api="JS.acc.API")._source(None)
    assert (src.name, src.api, src.subject_transforms) == ("MIRROR", "JS.acc.API", None)
    for bad in ({"domain": "hub", "api": "x"}, {"keys": "new.>"}, {"keys": ["a b"]}):
        with pytest.raises(natskit.InvalidArgError):
            KVOrigin("B", **bad)
    with pytest.raises(natskit.InvalidArgError):
        KVOrigin("B.x")


def test_aggregate_config() -> None:
    origins = [KVOrigin("A", keys=["new.>"]), KVOrigin("B", domain="hub")]
    cfg = aggregate_config("AGG", True, origins, {"description": "agg"})
    assert cfg.name == "KV_AGG" and cfg.subjects == ["$KV.AGG.>"] and cfg.description == "agg"
    assert cfg.sources is not None and [s.name for s in cfg.sources] == ["KV_A", "KV_B"]
    assert cfg.sources[1].subject_transforms is not None
    assert cfg.sources[1].subject_transforms[0].to_json() == {"src": "$KV.B.>", "dest": "$KV.AGG.>"}
    read_only = aggregate_config("AGG", False, origins, {})
    assert read_only.subjects is None and read_only.deny_delete
    bad_args: list[tuple[object, object, dict[str, Any]]] = [
        (1, origins, {}),
        (True, [], {}),
        (True, origins[0], {}),
        (True, ["B"], {}),
        (True, origins, {"mirror_name": "X"}),
    ]
    for bad in bad_args:
        with pytest.raises(natskit.InvalidArgError):
            aggregate_config("AGG", *bad)  # type: ignore[arg-type]  # the error under test


def test_mirror_config() -> None:
    cfg = mirror_config("NEAR", KVOrigin("B", keys=["new.>"], domain="hub"), {"history": 5})
    assert cfg.name == "NEAR" and cfg.subjects is None and cfg.mirror_direct
    assert cfg.max_msgs_per_subject == 5 and cfg.allow_direct
    assert cfg.mirror is not None and cfg.mirror.to_json() == {
        "name": "KV_B",
        "subject_transforms": [{"src": "$KV.B.new.>", "dest": "$KV.B.new.>"}],
        "external": {"api": "$JS.hub.API"},
    }
    whole = mirror_config("NEAR", KVOrigin("B"), {})
    assert whole.mirror is not None and whole.mirror.subject_transforms is None
    for name, origin, options in (
        ("KV_X", KVOrigin("B"), {}),
        ("N", "B", {}),
        ("N", KVOrigin("B"), {"mirror_domain": "x"}),
        (5, KVOrigin("B"), {}),
    ):
        with pytest.raises(natskit.InvalidArgError):
            mirror_config(name, origin, options)  # type: ignore[arg-type]


def test_key_prefixes() -> None:
    plain = bucket_config("B", {})
    assert key_prefixes("B", plain, "$JS.API") == ("$KV.B", "$KV.B")
    assert key_prefixes("B", plain, "$JS.hub.API") == ("$KV.B", "$JS.hub.API.$KV.B")
    local = bucket_config("M", {"mirror_name": "B"})
    assert key_prefixes("M", local, "$JS.API") == ("$KV.B", "$KV.B")
    assert key_prefixes("M", local, "$JS.leaf.API") == ("$KV.B", "$JS.leaf.API.$KV.B")
    remote = bucket_config("M", {"mirror_name": "B", "mirror_domain": "hub"})
    assert key_prefixes("M", remote, "$JS.leaf.API") == ("$KV.B", "$JS.hub.API.$KV.B")


def test_status() -> None:
    info = StreamInfo.from_json(
        {
            "config": {
                "name": "KV_M",
                "max_msgs_per_subject": 5,
                "max_age": 60_000_000_000,
                "compression": "s2",
                "subject_delete_marker_ttl": 2_000_000_000,
                "mirror": {"name": "KV_B", "external": {"api": "$JS.hub.API"}},
            },
            "state": {"messages": 3, "bytes": 100},
        }
    )
    status = kv_status("M", info)
    assert isinstance(status, KVStatus)
    assert (status.bucket, status.bytes, status.values, status.history) == ("M", 100, 3, 5)
    assert (status.ttl, status.is_compressed, status.limit_marker_ttl) == (60.0, True, 2.0)
    assert (status.mirror_name, status.mirror_domain) == ("B", "hub")
    assert status.stream_config is info.config and status.stream_state is info.state
    info.config.mirror.api = "JS.other-account.API"  # type: ignore[union-attr]
    assert kv_status("M", info).mirror_domain is None
    plain = kv_status("B", StreamInfo.from_json({"config": {"name": "KV_B"}}))
    assert (plain.ttl, plain.is_compressed, plain.mirror_name, plain.history) == (
        0.0,
        False,
        None,
        0,
    )
