"""Object Store (ADR-20): chunks, digests, metadata, deletes, links, list, watch, buckets."""

from __future__ import annotations

import base64
import hashlib
import io
from datetime import datetime, timedelta, timezone

import pytest

import natskit.aio
from natskit import ObjectInfo

EMPTY_DIGEST = "SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU="  # nats.go's vectors
ABC_DIGEST = "SHA-256=ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0="


def digest(data: bytes) -> str:
    return "SHA-256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode()


async def next_object(watcher: natskit.aio.ObjectWatcher) -> ObjectInfo:
    """The next entry of ``watcher`` within 2 s, which is an object, not the ``None`` mark."""
    info = await watcher.next_info(2)
    assert info is not None
    return info


@pytest.fixture
async def js(nc: natskit.aio.Connection) -> natskit.aio.JetStream:
    return nc.jetstream(timeout=5)


@pytest.fixture
async def store(js: natskit.aio.JetStream) -> natskit.aio.ObjectStore:
    return await js.create_object_store("files", storage="memory")


async def test_put_get_and_info(store: natskit.aio.ObjectStore) -> None:
    info = await store.put("a.txt", b"hello", description="greeting", metadata={"k": "v"})
    assert (info.name, info.bucket, info.size, info.chunks) == ("a.txt", "files", 5, 1)
    assert info.digest == digest(b"hello") and info.nuid
    assert await store.get("a.txt") == b"hello"
    stored = await store.info("a.txt")
    assert (stored.description, stored.metadata, stored.digest) == (
        "greeting",
        {"k": "v"},
        info.digest,
    )
    assert stored.mtime is not None
    assert abs(stored.mtime - datetime.now(timezone.utc)) < timedelta(seconds=30)
    assert (await store.put("abc", "abc")).digest == ABC_DIGEST
    empty = await store.put("empty", b"")
    assert (empty.size, empty.chunks, empty.digest) == (0, 0, EMPTY_DIGEST)
    assert await store.get("empty") == b""
    with pytest.raises(natskit.ObjectNotFoundError):
        await store.get("missing")
    with pytest.raises(natskit.InvalidArgError):
        await store.put("", b"x")


async def test_large_objects_in_chunks_and_files(store: natskit.aio.ObjectStore) -> None:
    data = bytes(range(256)) * 4096 + b"1234567"  # 1 MiB + 7
    info = await store.put("big", io.BytesIO(data), chunk_size=64 * 1024)
    assert (info.size, info.chunks, info.max_chunk_size) == (len(data), 17, 64 * 1024)
    assert await store.get("big") == data
    out = io.BytesIO()
    assert (await store.get_to("big", out)).digest == digest(data)
    assert out.getvalue() == data
    with pytest.raises(natskit.InvalidArgError):
        await store.put("text", io.StringIO("not binary"))
    for name in ("foo bar", '.*<>:"/\\|?&', "dir/file.txt"):
        await store.put(name, name)
        assert await store.get(name) == name.encode()


async def test_replacing_and_deleting_leave_no_chunks(
    js: natskit.aio.JetStream, store: natskit.aio.ObjectStore
) -> None:
    await store.put("x", b"one" * 1000, chunk_size=1000)
    await store.put("x", b"two")
    assert (await js.stream_info("OBJ_files")).state.messages == 2  # a chunk and the meta
    assert await store.get("x") == b"two"
    await store.delete("x")
    assert (await js.stream_info("OBJ_files")).state.messages == 1  # the delete marker
    with pytest.raises(natskit.ObjectNotFoundError):
        await store.info("x")
    with pytest.raises(natskit.ObjectNotFoundError):
        await store.get("x")
    gone = await store.info("x", show_deleted=True)
    assert (gone.deleted, gone.size, gone.chunks, gone.digest) == (True, 0, 0, "")
    await store.delete("x")  # again: nothing to do
    assert (await js.stream_info("OBJ_files")).state.messages == 1
    with pytest.raises(natskit.ObjectNotFoundError):
        await store.delete("never-was")


async def test_a_corrupt_object_is_refused(
    js: natskit.aio.JetStream, store: natskit.aio.ObjectStore
) -> None:
    info = await store.put("abc", b"abc")
    await js.publish(f"$O.files.C.{info.nuid}", b"extra")
    with pytest.raises(natskit.DigestMismatchError):
        await store.get("abc")


async def test_list_and_watch(store: natskit.aio.ObjectStore) -> None:
    assert await store.list() == []
    watcher = await store.watch()
    assert await watcher.next_info(2) is None  # nothing stored yet
    for name in ("A", "B", "C", "B"):
        await store.put(name, name)
    await store.delete("C")
    assert [i.name for i in await store.list()] == ["A", "B"]
    assert [(i.name, i.deleted) for i in await store.list(show_deleted=True)] == [
        ("A", False),
        ("B", False),
        ("C", True),
    ]
    seen = [(i.name, i.deleted) for i in [await next_object(watcher) for _ in range(5)]]
    assert seen == [("A", False), ("B", False), ("C", False), ("B", False), ("C", True)]
    await watcher.close()

    current = await store.watch(ignore_deletes=True)
    assert [(await next_object(current)).name for _ in range(2)] == ["A", "B"]
    assert await current.next_info(2) is None
    await store.put("D", b"d")
    assert (await next_object(current)).name == "D"
    await current.close()
    updates = await store.watch(updates_only=True)
    assert await updates.next_info(2) is None  # at once, as KV watchers do
    await store.put("E", b"e")
    assert (await next_object(updates)).name == "E"
    await updates.close()


async def test_update_meta_and_rename(store: natskit.aio.ObjectStore) -> None:
    await store.put("A", b"a")
    await store.put("C", b"c")
    info = await store.update_meta("A", description="first", metadata={"x": "1"})
    assert (info.description, info.metadata) == ("first", {"x": "1"})
    await store.update_meta("A", new_name="B")
    with pytest.raises(natskit.ObjectNotFoundError):
        await store.info("A")
    renamed = await store.info("B")
    assert (renamed.description, await store.get("B")) == ("first", b"a")
    with pytest.raises(natskit.InvalidArgError):
        await store.update_meta("B", new_name="C")
    await store.delete("C")
    await store.update_meta("B", new_name="C")  # a deleted name is free
    with pytest.raises(natskit.ObjectNotFoundError):
        await store.update_meta("B", description="gone")


async def test_links_to_objects_and_buckets(
    js: natskit.aio.JetStream, store: natskit.aio.ObjectStore
) -> None:
    other = await js.create_object_store("other", storage="memory")
    target = await store.put("target", b"content")
    remote = await other.put("remote", b"far away")
    link = await store.add_link("here", target)
    assert link.link is not None
    assert (link.is_link, link.link.bucket, link.link.name) == (True, "files", "target")
    assert await store.get("here") == b"content"
    await store.add_link("there", remote)
    assert await store.get("there") == b"far away"
    with pytest.raises(natskit.InvalidArgError):
        await store.add_link("loop", await store.info("here"))  # no link to a link
    with pytest.raises(natskit.InvalidArgError):
        await store.add_link("target", remote)  # an object of that name exists
    bucket_link = await store.add_bucket_link("all-of-other", other)
    assert bucket_link.link is not None
    assert (bucket_link.link.bucket, bucket_link.link.name) == ("other", None)
    with pytest.raises(natskit.InvalidArgError):
        await store.get("all-of-other")
    await store.delete("target")
    with pytest.raises(natskit.ObjectNotFoundError):
        await store.get("here")
    with pytest.raises(natskit.InvalidArgError):
        await store.add_link("again", await store.info("target", show_deleted=True))


async def test_buckets(js: natskit.aio.JetStream) -> None:
    store = await js.create_object_store(
        "conf",
        description="configs",
        metadata={"team": "a"},
        compression=True,
        ttl=3600,
        max_bytes=1 << 20,
        storage="memory",
    )
    await store.put("f", b"x" * 100)
    status = await store.status()
    assert (status.bucket, status.description, status.ttl, status.storage) == (
        "conf",
        "configs",
        3600,
        "memory",
    )
    assert status.metadata is not None
    assert (status.is_compressed, status.sealed, status.metadata["team"]) == (True, False, "a")
    assert status.size > 100 and status.backing_store == "JetStream"
    cfg = status.stream_info.config
    assert (cfg.subjects, cfg.discard, cfg.allow_rollup_hdrs, cfg.allow_direct) == (
        ["$O.conf.C.>", "$O.conf.M.>"],
        "new",
        True,
        True,
    )
    assert "conf" in await js.object_store_names()
    bound = await js.object_store("conf")
    assert await bound.get("f") == b"x" * 100
    await bound.seal()
    assert (await bound.status()).sealed
    with pytest.raises(natskit.JetStreamError):
        await bound.put("g", b"y")
    await js.delete_object_store("conf")
    with pytest.raises(natskit.BucketNotFoundError):
        await js.object_store("conf")
    for bad in ("bad.name", "notok!", ""):
        with pytest.raises(natskit.InvalidArgError):
            await js.create_object_store(bad)
    with pytest.raises(natskit.InvalidArgError):
        await js.create_object_store("ok", history=5)


async def test_put_waits_for_its_own_acks_only(
    nc: natskit.aio.Connection, js: natskit.aio.JetStream, store: natskit.aio.ObjectStore
) -> None:
    await nc.subscribe("never.acked")  # a "stream" that never answers
    await nc.flush()
    stuck = await js.publish_future("never.acked", b"x", timeout=30)
    info = await store.put("doc", b"y" * 1000, chunk_size=100)
    assert (info.chunks, await store.get("doc")) == (10, b"y" * 1000)
    assert not stuck.done()


async def test_a_failed_put_stops_and_leaves_the_old_object(js: natskit.aio.JetStream) -> None:
    small = await js.create_object_store("small", storage="memory", max_bytes=20_000)
    await small.put("doc", b"old")
    with pytest.raises(natskit.JetStreamError):
        await small.put("doc", b"z" * 100_000, chunk_size=1000)
    assert await small.get("doc") == b"old"
    state = (await js.stream_info("OBJ_small")).state
    assert state.messages == 2  # the old chunk and its metadata: the new chunks were purged


async def test_headers_async_files_and_bad_metadata(
    js: natskit.aio.JetStream, store: natskit.aio.ObjectStore
) -> None:
    # ignored: ObjectStore.put's headers annotation has dicts where it takes lists of str
    info = await store.put("h", b"x", headers={"One": "1", "Two": ["2", "3"]})
    assert (await store.info("h")).headers == info.headers == {"One": ["1"], "Two": ["2", "3"]}
    with pytest.raises(natskit.InvalidArgError):
        await store.put("bad", b"x", headers={"k": 1})  # type: ignore[dict-item]  # the error under test

    class Sink:
        def __init__(self) -> None:
            self.parts: list[bytes] = []

        async def write(self, data: bytes) -> None:
            self.parts.append(data)

    sink = Sink()
    await store.get_to("h", sink)
    assert sink.parts == [b"x"]

    await js.publish("$O.files.M.bm90LWpzb24=", b"not json")
    assert [i.name for i in await store.list()] == ["h"]
