"""Key-Value buckets on one JetStream server: entries, buckets, history, keys, watchers."""

from __future__ import annotations

from collections.abc import (
    Awaitable,  # unasync: remove
    Callable,
)
from datetime import datetime, timedelta, timezone

import pytest

import natskit.aio
from natskit import Entry, RePublish
from natskit._io_async import sleep
from tests.aio.kv_helpers import Entries, summary

UTF8 = "Mężny bądź, chroń pułk twój i sześć flag"

Call = Callable[[], Awaitable[object]]  # unasync: sync: Call = Callable[[], object]


@pytest.fixture
async def kv(js: natskit.aio.JetStream) -> natskit.aio.KeyValue:
    return await js.create_key_value("B", history=64)


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``check()`` is true (every 10 ms, up to ``timeout`` s).

    Only for conditions without an event, such as a ``values`` mapping that a watcher
    keeps current; entries given to a callback are awaited with ``Entries.wait_for``."""
    for _ in range(int(timeout / 0.01)):
        if check():
            return
        await sleep(0.01)
    raise AssertionError("condition not reached")


async def test_bind(js: natskit.aio.JetStream) -> None:
    with pytest.raises(natskit.BucketNotFoundError):
        await js.key_value("non-existing-bucket")
    with pytest.raises(natskit.InvalidArgError):
        await js.key_value("bad.name")
    await js.add_stream("KV_FAKE", subjects=["fake.>"])  # not a bucket: no history limit
    with pytest.raises(natskit.BucketNotFoundError):
        await js.key_value("FAKE")
    created = await js.create_key_value("B")
    bound = await js.key_value("B")
    assert isinstance(bound, natskit.aio.KeyValue) and isinstance(created, natskit.aio.KeyValue)
    assert (bound.bucket, bound.stream) == ("B", "KV_B")


async def test_put_and_get(js: natskit.aio.JetStream, kv: natskit.aio.KeyValue) -> None:
    assert await kv.put("key1", b"value1") == 1
    entry = await (await js.key_value("B")).get("key1")
    assert isinstance(entry, natskit.Entry)
    assert (entry.bucket, entry.key, entry.value, entry.revision, entry.operation, entry.delta) == (
        "B",
        "key1",
        b"value1",
        1,
        "PUT",
        None,
    )
    assert entry.created is not None
    assert abs(datetime.now(timezone.utc) - entry.created) < timedelta(minutes=1)
    for value in (b"value2", b"target", b"value4"):
        await kv.put("key1", value)
    assert (await kv.get("key1", 3)).value == b"target"
    assert (await kv.get("key1")).value == b"value4"
    with pytest.raises(natskit.KeyNotFoundError):
        await kv.get("key2")
    rev = await kv.put("key2", "value2")
    assert await kv.get_value("key2") == b"value2"
    with pytest.raises(natskit.KeyNotFoundError):
        await kv.get("key2", rev + 1)  # no such revision
    with pytest.raises(natskit.KeyNotFoundError):
        await kv.get("key2", 1)  # a revision of another key
    await kv.put("a.b.c", UTF8)
    assert (await kv.get_value("a.b.c")).decode() == UTF8
    for bad in ("???", "_kv.x", ".a", "a.*", ""):
        with pytest.raises(natskit.InvalidArgError):
            await kv.get(bad)
        with pytest.raises(natskit.InvalidArgError):
            await kv.put(bad, b"x")
    with pytest.raises(natskit.InvalidArgError):
        await kv.get("key1", 0)


async def test_create_update_delete_purge_revert(kv: natskit.aio.KeyValue) -> None:
    rev = await kv.create("key3", b"value3")
    assert await kv.get_value("key3") == b"value3"
    with pytest.raises(natskit.WrongLastSequenceError) as err:
        await kv.create("key3", b"again")
    assert "already exists" in str(err.value)
    await kv.delete("key3")
    with pytest.raises(natskit.KeyNotFoundError):
        await kv.get("key3")
    with pytest.raises(natskit.KeyNotFoundError):
        await kv.get("key3", rev + 1)  # the DEL marker is not a value
    assert await kv.create("key3", b"value1") == rev + 2
    await kv.purge("key3")
    assert await kv.create("key3", b"after purge") == rev + 4

    rev = await kv.put("key1", b"v")
    assert await kv.update("key1", b"v2", rev) == rev + 1
    with pytest.raises(natskit.WrongLastSequenceError):
        await kv.update("key1", b"v3", rev)

    rev = await kv.put("key2", b"value2")
    await kv.delete("key2", rev)
    with pytest.raises(natskit.KeyNotFoundError):
        await kv.get("key2")
    rev = await kv.put("key2", b"value2")
    with pytest.raises(natskit.WrongLastSequenceError):
        await kv.delete("key2", rev + 1)
    await kv.put("key2", b"new value")
    assert await kv.revert("key2", rev) == rev + 2
    assert await kv.get_value("key2") == b"value2"
    with pytest.raises(natskit.InvalidArgError):
        await kv.update("key2", b"x", -1)


async def test_a_deleted_bucket_fails_clearly(
    nc: natskit.aio.Connection, js: natskit.aio.JetStream
) -> None:
    await js.create_key_value("GONE")
    kv = await nc.jetstream(timeout=0.2).key_value("GONE")  # no publish retries
    await kv.put("k", b"v")
    await js.delete_key_value("GONE")
    calls: list[Call] = [
        lambda: kv.put("k", b"v"),
        lambda: kv.create("k", b"v"),
        lambda: kv.update("k", b"v", 1),
        lambda: kv.delete("k"),
        lambda: kv.purge("k"),
        lambda: kv.get("k"),
        kv.status,
        lambda: kv.history("k"),
        kv.keys,
        kv.watch,
        lambda: js.key_value("GONE"),
        lambda: js.delete_key_value("GONE"),
        lambda: js.empty_key_value("GONE"),
    ]
    for call in calls:  # coroutines in asyncio, blocking calls in the blocking API
        with pytest.raises(natskit.BucketNotFoundError):
            await call()


async def test_bucket_options_and_status(
    nc: natskit.aio.Connection, js: natskit.aio.JetStream
) -> None:
    large = await js.create_key_value(
        "large",
        history=64,
        storage="memory",
        ttl=3600,
        max_value_size=1024,
        max_bucket_size=100 * 1024 * 1024,
        compression="s2",
        description="big",
        metadata={"team": "kv"},
        republish=RePublish("$KV.large.>", "rep.>"),
    )
    status = await large.status()
    assert isinstance(status, natskit.KVStatus)
    assert (
        status.bucket,
        status.bytes,
        status.history,
        status.ttl,
        status.values,
        status.is_compressed,
    ) == ("large", 0, 64, 3600.0, 0, True)
    assert (status.mirror_name, status.mirror_domain, status.limit_marker_ttl) == (None, None, 0.0)
    cfg = status.stream_config
    assert (cfg.name, cfg.subjects, cfg.storage, cfg.description) == (
        "KV_large",
        ["$KV.large.>"],
        "memory",
        "big",
    )
    assert (cfg.max_bytes, cfg.max_msg_size, cfg.max_msgs_per_subject) == (
        100 * 1024 * 1024,
        1024,
        64,
    )
    assert cfg.allow_direct and cfg.allow_rollup_hdrs and cfg.deny_delete
    assert (cfg.discard, cfg.duplicate_window, cfg.max_age) == ("new", 120.0, 3600.0)
    assert cfg.metadata is not None and cfg.metadata["team"] == "kv"
    sub = await nc.subscribe("rep.>")
    await large.put("k", b"v")
    assert (await sub.next_msg(timeout=2)).subject == "rep.k"
    short = await (await js.create_key_value("short", ttl=10, compression=True)).status()
    assert (short.stream_config.duplicate_window, short.is_compressed) == (10.0, True)
    plain = await (await js.create_key_value("plain", compression=False)).status()
    assert (plain.history, plain.ttl, plain.is_compressed) == (1, 0.0, False)
    for bad in ({"history": 65}, {"compression": "zstd"}, {"max_size": 1}):
        with pytest.raises(natskit.InvalidArgError):
            await js.create_key_value("bad", **bad)
    with pytest.raises(natskit.JetStreamError):  # the name is taken, another configuration
        await js.create_key_value("short", ttl=20)


async def test_empty_list_and_delete_buckets(
    js: natskit.aio.JetStream, kv: natskit.aio.KeyValue
) -> None:
    for i in range(3):
        await kv.put(f"key{i}", b"v")
    assert (await kv.status()).values == 3
    assert await js.empty_key_value("B") == 3
    assert (await kv.status()).values == 0
    assert await kv.put("key1", b"v") == 4  # the revision counter goes on
    await js.create_key_value("A")
    await js.add_stream("OTHER", subjects=["other"])
    assert await js.kv_buckets() == ["A", "B"]
    await js.delete_key_value("A")
    assert await js.kv_buckets() == ["B"]
    await js.delete_key_value("B")
    assert await js.kv_buckets() == []
    with pytest.raises(natskit.BucketNotFoundError):
        await js.key_value("B")


async def test_history_and_keys(kv: natskit.aio.KeyValue) -> None:
    with pytest.raises(natskit.KeyNotFoundError):
        await kv.history(">")
    assert await kv.keys() == []
    for value in (b"value1_1", b"value1_2"):
        await kv.put("key1", value)
    await kv.delete("key1")
    await kv.put("key1", b"value1_3")
    entries = await kv.history("key1")
    assert summary(entries) == [
        ("key1", b"value1_1", "PUT"),
        ("key1", b"value1_2", "PUT"),
        ("key1", b"", "DEL"),
        ("key1", b"value1_3", "PUT"),
    ]
    assert [(e.revision, e.delta, e.bucket) for e in entries] == [
        (1, 3, "B"),
        (2, 2, "B"),
        (3, 1, "B"),
        (4, 0, "B"),
    ]
    with pytest.raises(natskit.KeyNotFoundError):
        await kv.history("key2")
    await kv.purge("key1")
    await kv.put("key1", b"value1_4")
    entries = await kv.history("key1")
    assert [(e.revision, e.operation, e.value) for e in entries] == [
        (5, "PURGE", b""),
        (6, "PUT", b"value1_4"),
    ]
    await kv.delete("key1")
    await kv.put("key2", b"value2")
    await kv.put("dot.key3", b"value3")
    assert await kv.keys() == ["key2", "dot.key3"]
    assert await kv.keys("dot.*") == ["dot.key3"]
    assert await kv.keys("nothing.>") == []
    assert [e.key for e in await kv.history(">")] == ["key1"] * 3 + ["key2", "dot.key3"]
    with pytest.raises(natskit.InvalidArgError):
        await kv.keys("a.>.b")


async def test_watch_one_key(kv: natskit.aio.KeyValue) -> None:
    await kv.put("key2", b"value2")
    got = Entries()
    watcher = await kv.watch("key2", callback=got, idle_heartbeat=0.5)
    assert isinstance(watcher, natskit.aio.KVWatcher)
    assert isinstance(watcher.consumer, natskit.aio.OrderedConsumer)
    await kv.put("other", b"x")
    await kv.put("key2", b"value3")
    await kv.delete("key2")
    await got.wait_len(4)
    assert summary(got) == [
        ("key2", b"value2", "PUT"),
        None,
        ("key2", b"value3", "PUT"),
        ("key2", b"", "DEL"),
    ]
    assert [e.revision for e in got if e] == [1, 3, 4]
    assert got[0] is not None and got[0].delta == 0
    with pytest.raises(natskit.BadSubscriptionError):  # it feeds its callback
        await watcher.next_entry(0.1)
    await watcher.close()
    await kv.put("key2", b"unseen")
    # A check that something does not happen: the time given to it is the scenario.
    await sleep(0.1)
    assert len(got) == 4
    await watcher.close()  # twice is fine


async def test_watch_a_wildcard_without_deletes(kv: natskit.aio.KeyValue) -> None:
    got = Entries()
    watcher = await kv.watch("keys.*", callback=got, ignore_deletes=True, idle_heartbeat=0.5)
    await kv.put("keys.1", b"value1")
    await kv.delete("keys.1")
    await kv.put("keys.2", b"value2")
    await kv.put("keys.2.deeper", b"no")
    await got.wait_len(3)
    assert summary(got) == [None, ("keys.1", b"value1", "PUT"), ("keys.2", b"value2", "PUT")]
    await watcher.close()


async def test_watch_keeps_a_mapping_current(kv: natskit.aio.KeyValue) -> None:
    await kv.put("params.P0", b"VAL0")
    await kv.put("params.P9", b"gone")
    await kv.delete("params.P9")
    values = {"stale": b"kept"}
    watcher = await kv.watch("params.*", values=values, idle_heartbeat=0.5)
    await until(lambda: "params.P0" in values)
    for i in (1, 2, 3):
        await kv.put(f"params.P{i}", f"VAL{i}")
    await kv.delete("params.P1")
    await kv.purge("params.P0")
    # The blocking API's own thread only sleeps here: the watcher's thread updates `values`.
    expected = {"stale": b"kept", "params.P2": b"VAL2", "params.P3": b"VAL3"}
    await until(lambda: values == expected)
    with pytest.raises(natskit.BadSubscriptionError):
        watcher.__aiter__()
    await watcher.close()
    both = Entries()
    values = {}
    with_cb = await kv.watch(
        "params.*", callback=both, values=values, ignore_deletes=True, idle_heartbeat=0.5
    )
    await kv.put("params.P4", b"VAL4")
    await both.wait_len(4)  # the mapping is updated before the callback is called
    assert values == {"params.P2": b"VAL2", "params.P3": b"VAL3", "params.P4": b"VAL4"}
    assert summary(both)[2:] == [None, ("params.P4", b"VAL4", "PUT")]
    await with_cb.close()


async def test_watch_updates_only(kv: natskit.aio.KeyValue) -> None:
    await kv.put("params.P0", b"old")
    got = Entries()
    watcher = await kv.watch("params.*", updates_only=True, callback=got, idle_heartbeat=0.5)
    await kv.put("params.P4", b"VAL4")
    await kv.put("params.P5", b"VAL5")
    await kv.delete("params.P4")
    await got.wait_len(4)
    assert summary(got) == [
        None,
        ("params.P4", b"VAL4", "PUT"),
        ("params.P5", b"VAL5", "PUT"),
        ("params.P4", b"", "DEL"),
    ]
    await watcher.close()
    with pytest.raises(natskit.InvalidArgError):
        await kv.watch(updates_only=True, include_history=True)


async def test_watch_by_iteration(kv: natskit.aio.KeyValue) -> None:
    await kv.put("a", b"1")
    await kv.put("a", b"2")
    await kv.put("b", b"1")
    await kv.delete("b")
    history = await kv.watch(include_history=True, idle_heartbeat=0.5)
    entries = [await history.next_entry(2) for _ in range(5)]
    assert summary(entries) == [
        ("a", b"1", "PUT"),
        ("a", b"2", "PUT"),
        ("b", b"1", "PUT"),
        ("b", b"", "DEL"),
        None,
    ]
    await history.close()
    with pytest.raises(natskit.BadSubscriptionError):
        await history.next_entry(0.1)

    latest = await kv.watch(meta_only=True, idle_heartbeat=0.5)
    got: list[Entry | None] = []
    async for entry in latest:
        got.append(entry)
        if entry is None:
            await kv.put("c", b"3")
        elif entry.key == "c":
            await latest.close()
    assert summary(got) == [("a", b"", "PUT"), ("b", b"", "DEL"), None, ("c", b"", "PUT")]
    with pytest.raises(natskit.InvalidArgError):
        await kv.watch("bad key")


async def test_watch_an_empty_bucket(kv: natskit.aio.KeyValue) -> None:
    got = Entries()
    watcher = await kv.watch(callback=got, idle_heartbeat=0.5)
    await got.wait_len(1)
    assert got == [None]
    await kv.put("k", b"v")
    await got.wait_len(2)
    assert summary(got) == [None, ("k", b"v", "PUT")]
    await watcher.close()
    iterated = await kv.watch("nothing.>", idle_heartbeat=0.5)
    assert await iterated.next_entry(2) is None
    with pytest.raises(natskit.TimeoutError):
        await iterated.next_entry(0.1)
    await iterated.close()


async def test_a_callback_may_close_its_watcher(kv: natskit.aio.KeyValue) -> None:
    seen = Entries()
    watchers: list[natskit.aio.KVWatcher] = []

    # a coroutine in asyncio, a plain function when blocking
    async def close_on_put(entry: Entry | None) -> None:
        seen(entry)
        if entry is not None:
            await watchers[0].close()

    watchers.append(await kv.watch("closing.*", callback=close_on_put, idle_heartbeat=0.5))
    await kv.put("closing.1", b"1")
    await kv.put("closing.2", b"2")
    await seen.wait_len(2)
    # A check that something does not happen: the time given to it is the scenario.
    await sleep(0.1)
    assert summary(seen) == [None, ("closing.1", b"1", "PUT")]


async def test_a_watch_ends_when_its_bucket_is_deleted(
    js: natskit.aio.JetStream, kv: natskit.aio.KeyValue
) -> None:
    watcher = await kv.watch(idle_heartbeat=0.1)
    assert await watcher.next_entry(2) is None
    await js.delete_key_value("B")
    with pytest.raises(natskit.BucketNotFoundError):
        await watcher.next_entry(5)
    assert isinstance(watcher.consumer.last_error, natskit.StreamNotFoundError)
    await watcher.close()


async def test_reads_without_direct_get(
    js: natskit.aio.JetStream, kv: natskit.aio.KeyValue
) -> None:
    await kv.put("k", b"v1")
    await kv.put("k", b"v2")
    cfg = (await js.stream_info("KV_B")).config
    cfg.allow_direct = False
    await js.update_stream(cfg)
    kv = await js.key_value("B")
    assert (await kv.get("k")).value == b"v2"
    assert (await kv.get("k", 1)).value == b"v1"
    await kv.delete("k")
    with pytest.raises(natskit.KeyNotFoundError):
        await kv.get("k")
    with pytest.raises(natskit.KeyNotFoundError):
        await kv.get("nothing")
    await js.delete_key_value("B")
    with pytest.raises(natskit.BucketNotFoundError):
        await kv.get("k")


async def test_limit_markers_and_per_key_ttl(
    js: natskit.aio.JetStream, kv: natskit.aio.KeyValue
) -> None:
    with pytest.raises(natskit.JetStreamError):  # the bucket has no limit markers
        await kv.create("k", b"v", ttl=1)
    ttl_kv = await js.create_key_value("T", limit_marker_ttl=1)
    assert (await ttl_kv.status()).limit_marker_ttl == 1.0
    got = Entries()
    watcher = await ttl_kv.watch(callback=got, idle_heartbeat=0.5)
    await ttl_kv.create("short", b"lived", ttl=1)
    await ttl_kv.put("kept", b"v")
    # A purge rolls up the key's earlier entries: a watcher that has not been sent the PUT
    # yet never sees it. Purge once it has.
    await got.wait_for(lambda entries: ("kept", b"v", "PUT") in summary(entries))
    await ttl_kv.purge("kept", ttl=1)
    # the server purges "short" after its TTL of 1 s: waiting for that is the scenario
    await got.wait_for(lambda entries: ("short", b"", "PURGE") in summary(entries), timeout=10)
    with pytest.raises(natskit.KeyNotFoundError):
        await ttl_kv.get("short")
    assert await ttl_kv.create("short", b"again")
    assert summary(got)[:4] == [
        None,
        ("short", b"lived", "PUT"),
        ("kept", b"v", "PUT"),
        ("kept", b"", "PURGE"),
    ]
    await watcher.close()
    with pytest.raises(natskit.InvalidArgError):
        await ttl_kv.create("x", b"v", ttl=0)
