"""Key-Value across JetStream domains (hub and leaf): remote buckets, mirrors, aggregates;
a replicated bucket in a cluster."""

from __future__ import annotations

from collections.abc import (
    AsyncIterator,
    Awaitable,  # unasync: remove
    Callable,
)

import pytest

import natskit.aio
from natskit import KVOrigin, StreamSource
from natskit._io_async import sleep
from natskit.testing import NatsCluster, NatsHubLeaf
from tests.aio.kv_helpers import Entries

ORDERS = {"shipped.1": b"order 1", "new.2": b"order 2", "new.3": b"order 3"}

Check = Callable[[], Awaitable[bool]]  # unasync: sync: Check = Callable[[], bool]


async def eventually(check: Check, timeout: float = 10.0) -> None:
    """Await ``check()`` until it returns true (NATS errors count as false).

    For server state that no event announces (what a mirror or source has copied);
    entries given to a callback are awaited with ``Entries.wait_len``."""
    for _ in range(int(timeout / 0.05)):
        try:
            if await check():
                return
        except natskit.NatsError:
            pass
        await sleep(0.05)
    raise AssertionError("condition not reached")


def has_keys(kv: natskit.aio.KeyValue, keys: list[str]) -> Check:
    """A check for ``eventually``: ``kv.keys()`` is ``keys``."""

    async def check() -> bool:
        return await kv.keys() == keys

    return check


def has_messages(js: natskit.aio.JetStream, stream: str, count: int) -> Check:
    """A check for ``eventually``: ``stream`` holds ``count`` messages."""

    async def check() -> bool:
        return (await js.stream_info(stream)).state.messages == count

    return check


@pytest.fixture
async def hub_nc(nats_hub_leaf: NatsHubLeaf) -> AsyncIterator[natskit.aio.Connection]:
    conn = await natskit.aio.connect(nats_hub_leaf.hub.url)
    yield conn
    await conn.close()


@pytest.fixture
async def leaf_nc(nats_hub_leaf: NatsHubLeaf) -> AsyncIterator[natskit.aio.Connection]:
    conn = await natskit.aio.connect(nats_hub_leaf.leaf.url)
    yield conn
    await conn.close()


@pytest.fixture
def hub(hub_nc: natskit.aio.Connection) -> natskit.aio.JetStream:
    return hub_nc.jetstream(timeout=2)


@pytest.fixture
def leaf(leaf_nc: natskit.aio.Connection) -> natskit.aio.JetStream:
    return leaf_nc.jetstream(timeout=2)


@pytest.fixture
async def kv_hub(hub: natskit.aio.JetStream) -> natskit.aio.KeyValue:
    return await hub.create_key_value("HUB", history=64)


async def test_a_hub_bucket_through_a_leaf_connection(
    leaf_nc: natskit.aio.Connection, leaf: natskit.aio.JetStream, kv_hub: natskit.aio.KeyValue
) -> None:
    to_hub = leaf_nc.jetstream(domain="hub", timeout=2)
    kv = await to_hub.key_value("HUB")
    await kv_hub.put("key1", b"value1")
    entry = await kv.get("key1")
    assert (entry.bucket, entry.key, entry.value, entry.revision) == ("HUB", "key1", b"value1", 1)
    assert await kv.put("key1", b"value2") == 2
    assert (await kv_hub.get("key1")).value == b"value2"
    assert [(e.value, e.revision) for e in await kv.history("key1")] == [
        (b"value1", 1),
        (b"value2", 2),
    ]
    assert await to_hub.kv_buckets() == ["HUB"]
    assert await leaf.kv_buckets() == []
    with pytest.raises(natskit.BucketNotFoundError):
        await leaf.key_value("HUB")
    got = Entries()
    watcher = await kv.watch(callback=got, idle_heartbeat=0.5)
    await kv_hub.put("key2", b"from the hub")
    assert await kv.create("key3", b"from the leaf") == 4
    await kv.delete("key1")
    await got.wait_len(5)
    assert [e and (e.key, e.operation) for e in got] == [
        ("key1", "PUT"),
        None,
        ("key2", "PUT"),
        ("key3", "PUT"),
        ("key1", "DEL"),
    ]
    await watcher.close()
    assert await kv.keys() == ["key2", "key3"]
    assert (await kv.status()).values == 5


async def test_a_mirror_in_the_same_domain(
    hub: natskit.aio.JetStream, kv_hub: natskit.aio.KeyValue
) -> None:
    mirror = await hub.create_key_value("MIRROR", mirror_name="HUB", history=64)
    status = await mirror.status()
    assert (status.mirror_name, status.mirror_domain) == ("HUB", None)
    assert status.stream_config.allow_direct and status.stream_config.mirror_direct
    for i in range(20):
        await kv_hub.put(f"key.{i}", f"value {i}")
    await eventually(has_messages(hub, "KV_MIRROR", 20))
    assert await mirror.get_value("key.3") == b"value 3"  # read from the mirror's stream
    assert await mirror.put("key.x", b"via the mirror") == 21  # written to the origin
    # Direct Gets to HUB are answered by HUB or by its mirror (mirror_direct), which copies
    # asynchronously: read once the mirror has the new entry too.
    await eventually(has_messages(hub, "KV_MIRROR", 21))
    assert await kv_hub.get_value("key.x") == b"via the mirror"
    await hub.delete_key_value("HUB")
    for i in range(20):  # the mirror answers the Direct Gets sent to the deleted bucket
        assert await kv_hub.get_value(f"key.{i}") == f"value {i}".encode()
    msg = await hub.stream_direct_get("KV_HUB", last_by_subj="$KV.HUB.key.1")
    assert msg.headers.get("Nats-Stream") == "KV_MIRROR"


async def test_a_mirror_in_another_domain(
    leaf: natskit.aio.JetStream, kv_hub: natskit.aio.KeyValue
) -> None:
    mirror = await leaf.create_key_value(
        "LEAF_MIRROR", mirror_name="HUB", mirror_domain="hub", history=64
    )
    rev = await kv_hub.put("key2", b"value1")
    await eventually(has_messages(leaf, "KV_LEAF_MIRROR", 1))
    entry = await mirror.get("key2")
    assert (entry.bucket, entry.key, entry.value, entry.revision) == (
        "LEAF_MIRROR",
        "key2",
        b"value1",
        rev,
    )
    rev = await mirror.put("key2", b"value2")  # goes to the hub
    assert (await kv_hub.get("key2")).revision == rev
    await eventually(has_messages(leaf, "KV_LEAF_MIRROR", 2))
    entries = await mirror.history(">")
    assert [(e.bucket, e.key, e.value, e.revision, e.delta) for e in entries] == [
        ("LEAF_MIRROR", "key2", b"value1", 1, 1),
        ("LEAF_MIRROR", "key2", b"value2", 2, 0),
    ]
    status = await mirror.status()
    assert (status.mirror_name, status.mirror_domain) == ("HUB", "hub")


async def test_aggregates(
    leaf_nc: natskit.aio.Connection,
    hub: natskit.aio.JetStream,
    leaf: natskit.aio.JetStream,
    kv_hub: natskit.aio.KeyValue,
) -> None:
    for key, value in ORDERS.items():
        await kv_hub.put(key, value)
    origin = KVOrigin("HUB", keys=["new.>"], domain="hub")
    agg = await leaf.create_kv_aggregate(
        "NEW_ORDERS", True, [origin], description="writable filtered KV aggregate"
    )
    assert isinstance(agg, natskit.aio.KeyValue)
    await eventually(has_keys(agg, ["new.2", "new.3"]))
    assert await agg.get_value("new.2") == b"order 2"
    await agg.put("order.10", b"order 10")
    assert await agg.get_value("order.10") == b"order 10"
    status = await agg.status()
    assert (status.bucket, status.stream_config.description) == (
        "NEW_ORDERS",
        "writable filtered KV aggregate",
    )
    got = Entries()
    watcher = await agg.watch("new.>", callback=got, idle_heartbeat=0.5)
    await kv_hub.put("new.4", b"order 4")  # copied from the hub, seen by the watcher
    await got.wait_len(4)
    assert [e and e.key for e in got] == ["new.2", "new.3", None, "new.4"]
    await watcher.close()

    read_only = await leaf.create_kv_aggregate("ORDERS_RO", False, [KVOrigin("HUB", domain="hub")])
    await eventually(has_keys(read_only, [*ORDERS, "new.4"]))
    assert (await read_only.status()).stream_config.subjects is None
    refusing = await leaf_nc.jetstream(timeout=0.2).key_value("ORDERS_RO")  # no retries
    with pytest.raises(natskit.BucketNotFoundError):
        await refusing.put("order.10", b"order 10")

    await hub.add_stream("MIRROR", allow_direct=True, mirror=StreamSource("KV_HUB"))
    await eventually(has_messages(hub, "MIRROR", 4))
    from_mirror = await leaf.create_kv_aggregate(
        "ALL_ORDERS", False, [KVOrigin("HUB", stream="MIRROR", domain="hub")]
    )
    await eventually(has_messages(leaf, "KV_ALL_ORDERS", 4))
    sources = (await from_mirror.status()).stream_config.sources
    assert sources is not None and sources[0].name == "MIRROR"
    assert await from_mirror.get_value("new.3") == b"order 3"


async def test_kv_mirror_answers_direct_gets_in_its_domain(
    leaf: natskit.aio.JetStream, kv_hub: natskit.aio.KeyValue
) -> None:
    for key, value in ORDERS.items():
        await kv_hub.put(key, value)
    origin = KVOrigin("HUB", keys=["new.>"], domain="hub")
    info = await leaf.create_kv_mirror("LEAF_MIRROR", origin)
    assert isinstance(info, natskit.StreamInfo) and info.config.mirror_direct
    with pytest.raises(natskit.BucketNotFoundError):  # a mirror is no bucket
        await leaf.key_value("LEAF_MIRROR")
    await eventually(has_messages(leaf, "LEAF_MIRROR", 2))

    async def answered() -> bool:  # Direct Gets of the hub's bucket in the leaf's own domain
        msg = await leaf.stream_direct_get("KV_HUB", last_by_subj="$KV.HUB.new.2")
        return msg.data == b"order 2" and msg.headers.get("Nats-Stream") == "LEAF_MIRROR"

    await eventually(answered)
    with pytest.raises(natskit.MsgNotFoundError):  # filtered out of the mirror
        await leaf.stream_direct_get("KV_HUB", last_by_subj="$KV.HUB.shipped.1")
    assert await kv_hub.get_value("shipped.1") == b"order 1"
    await leaf.delete_stream("LEAF_MIRROR")


async def test_a_replicated_bucket(nats_cluster: NatsCluster) -> None:
    nc = await natskit.aio.connect(nats_cluster.urls)
    js = nc.jetstream(timeout=5)
    kv = await js.create_key_value("R3", num_replicas=3, history=2)
    assert (await kv.status()).stream_config.num_replicas == 3
    rev = await kv.create("k", b"1")
    with pytest.raises(natskit.WrongLastSequenceError):  # err_code 10164 on R3 streams
        await kv.create("k", b"2")
    with pytest.raises(natskit.WrongLastSequenceError):
        await kv.update("k", b"2", rev + 1)
    assert await kv.update("k", b"2", rev) == rev + 1
    await kv.delete("k")
    assert await kv.create("k", b"3") == rev + 3

    async def history_is_current() -> bool:
        # history() reads through an R1 ordered consumer, which the server may place on
        # a follower of the R3 stream that has not applied the last write yet.
        return [e.value for e in await kv.history("k")] == [b"", b"3"]

    await eventually(history_is_current)
    await nc.close()
