"""Key-Value of ADR-8 rev 13: bucket updates, multi-filter watches and keys,
streamed keys, resumed watches, get_many, purge_deletes and put with a TTL."""

from __future__ import annotations

import pytest

import natskit.aio


@pytest.fixture
async def kv(js: natskit.aio.JetStream) -> natskit.aio.KeyValue:
    return await js.create_key_value("R", history=5)


async def test_update_and_create_or_update(js: natskit.aio.JetStream) -> None:
    with pytest.raises(natskit.BucketNotFoundError):
        await js.update_key_value("NONE", history=2)
    kv = await js.create_or_update_key_value("U", history=2, description="first")
    assert isinstance(kv, natskit.aio.KeyValue)
    assert (await kv.status()).history == 2
    kv = await js.update_key_value("U", history=7, description="second")
    status = await kv.status()
    assert (status.history, status.stream_config.description) == (7, "second")
    kv = await js.create_or_update_key_value("U", history=3)
    assert (await kv.status()).history == 3
    with pytest.raises(natskit.InvalidArgError):
        await js.update_key_value("U", history=65)
    with pytest.raises(natskit.InvalidArgError):
        await js.update_key_value("U", nonsense=1)


async def test_multi_filter_watch_and_keys(kv: natskit.aio.KeyValue) -> None:
    for key in ("a.1", "a.2", "b.1", "c.1"):
        await kv.put(key, key)
    assert await kv.keys(["a.*", "c.1"]) == ["a.1", "a.2", "c.1"]
    assert await kv.keys("b.>") == ["b.1"]
    watcher = await kv.watch(["b.1", "c.1"])
    try:
        seen = [await watcher.next_entry(5), await watcher.next_entry(5)]
        assert [e.key for e in seen if e] == ["b.1", "c.1"]
        assert await watcher.next_entry(5) is None
        await kv.put("a.1", "x")  # not watched
        await kv.put("c.1", "y")
        entry = await watcher.next_entry(5)
        assert entry is not None and (entry.key, entry.value) == ("c.1", b"y")
    finally:
        await watcher.close()
    with pytest.raises(natskit.InvalidArgError):
        await kv.watch([])
    with pytest.raises(natskit.InvalidArgError):
        await kv.keys(["ok", "bad key"])


async def test_keys_keyword_of_section_8(kv: natskit.aio.KeyValue) -> None:
    """The newer calls read ``watch(keys)`` / ``keys(keys)``: ``keys=`` works as a
    keyword beside the first parameter's own name (``key=``, ``pattern=``)."""
    for key in ("a.1", "b.1", "c.1"):
        await kv.put(key, key)
    assert await kv.keys(keys=["a.1", "c.*"]) == ["a.1", "c.1"]
    assert await kv.keys(pattern="b.*") == ["b.1"]
    watcher = await kv.watch(keys=["b.1"], include_history=True)
    try:
        entry = await watcher.next_entry(5)
        assert entry is not None and entry.key == "b.1"
        assert await watcher.next_entry(5) is None
    finally:
        await watcher.close()
    with pytest.raises(natskit.InvalidArgError, match="not both"):
        await kv.keys("a.1", keys="b.1")
    with pytest.raises(natskit.InvalidArgError, match="not both"):
        await kv.watch(key="a.1", keys=["b.1"])


async def test_iter_keys(kv: natskit.aio.KeyValue) -> None:
    assert [k async for k in kv.iter_keys()] == []
    for i in range(300):
        await kv.put(f"k.{i}", b"v")
    await kv.delete("k.7")
    keys = [k async for k in kv.iter_keys()]
    assert len(keys) == 299 and "k.7" not in keys and keys[0] == "k.0"
    assert [k async for k in kv.iter_keys(["k.1", "k.2"])] == ["k.1", "k.2"]


async def test_watch_resume_from_revision(kv: natskit.aio.KeyValue) -> None:
    for value in ("1", "2", "3"):
        await kv.put("x", value)  # revisions 1, 2, 3
    await kv.put("y", "4")
    watcher = await kv.watch(resume_from_revision=2)
    try:
        got = []
        while (entry := await watcher.next_entry(5)) is not None:
            got.append((entry.key, entry.value, entry.revision))
        assert got == [("x", b"2", 2), ("x", b"3", 3), ("y", b"4", 4)]
        await kv.put("x", "5")
        entry = await watcher.next_entry(5)
        assert entry is not None and entry.revision == 5
    finally:
        await watcher.close()
    for bad in (0, "2", True):
        with pytest.raises(natskit.InvalidArgError, match="resume_from_revision"):
            await kv.watch(resume_from_revision=bad)  # type: ignore[arg-type]
    with pytest.raises(natskit.InvalidArgError):
        await kv.watch(resume_from_revision=1, updates_only=True)


async def test_get_many(js: natskit.aio.JetStream, kv: natskit.aio.KeyValue) -> None:
    await kv.put("a", "1")
    await kv.put("a", "2")
    await kv.put("b", "3")
    await kv.put("gone", "4")
    await kv.delete("gone")
    await kv.put("purged", "5")
    await kv.purge("purged")
    many = await kv.get_many(["a", "b", "gone", "purged", "missing"])
    assert {k: (e.value, e.revision) for k, e in many.items()} == {"a": (b"2", 2), "b": (b"3", 3)}
    assert all(isinstance(e, natskit.Entry) and e.bucket == "R" for e in many.values())
    assert sorted(await kv.get_many("*")) == ["a", "b"]
    before = js.connection.stats.out_msgs
    for bad in ([], ["a", "bad key"], "_kv.x"):
        with pytest.raises(natskit.InvalidArgError):
            await kv.get_many(bad)
    assert js.connection.stats.out_msgs == before
    cfg = (await js.stream_info("KV_R")).config
    cfg.allow_direct = False
    await js.update_stream(cfg)
    with pytest.raises(natskit.JetStreamError, match="allow_direct"):
        await (await js.key_value("R")).get_many("a")
    await js.delete_key_value("R")
    with pytest.raises(natskit.BucketNotFoundError):
        await kv.get_many("a")


async def test_purge_deletes(js: natskit.aio.JetStream, kv: natskit.aio.KeyValue) -> None:
    for key in ("a", "b", "c"):
        await kv.put(key, "v1")
        await kv.put(key, "v2")
    await kv.delete("a")
    await kv.purge("b")
    # markers younger than the default 30 minutes stay, their history goes
    assert await kv.purge_deletes() == 0
    assert [e.operation for e in await kv.history("a")] == ["DEL"]
    assert await kv.purge_deletes(older_than=0) == 2
    with pytest.raises(natskit.KeyNotFoundError):
        await kv.history("a")
    assert (await js.stream_info("KV_R")).state.messages == 2  # c: v1, v2
    with pytest.raises(natskit.InvalidArgError, match="older_than"):
        await kv.purge_deletes(older_than=-1)


async def test_put_with_ttl(js: natskit.aio.JetStream) -> None:
    kv = await js.create_key_value("T", limit_marker_ttl=5)
    rev = await kv.put("k", "short-lived", ttl=1)
    msg = await js.stream_direct_get("KV_T", seq=rev)
    assert msg.headers.get("Nats-TTL") == "1"
    for bad in (0, -1, "1s", True):
        with pytest.raises(natskit.InvalidArgError, match="ttl"):
            await kv.put("k", "x", ttl=bad)  # type: ignore[arg-type]
    plain = await js.create_key_value("P")
    with pytest.raises(natskit.JetStreamError):  # the bucket has no per-message TTLs
        await plain.put("k", "x", ttl=1)
