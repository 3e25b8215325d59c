"""Key-Value interoperability with nats-py: the same bucket written and read by both."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import nats
import nats.js
import pytest

import natskit
import natskit.aio
from natskit.testing import NatsServer

Clients = tuple[nats.js.JetStreamContext, natskit.aio.JetStream]


@pytest.fixture
async def clients(jetstream_server: NatsServer) -> AsyncIterator[Clients]:
    theirs = await nats.connect(jetstream_server.url)
    ours = await natskit.aio.connect(jetstream_server.url)
    yield theirs.jetstream(), ours.jetstream(timeout=2)
    await ours.close()
    await theirs.close()


async def test_a_bucket_made_by_nats_py(clients: Clients) -> None:
    their_js, our_js = clients
    theirs = await their_js.create_key_value(bucket="INTEROP", history=5)
    await theirs.put("cfg.a", b"1")
    await theirs.put("cfg.a", b"2")
    await theirs.put("cfg.b", b"x")
    await theirs.delete("cfg.b")
    await theirs.put("cfg.c", b"c")
    await theirs.purge("cfg.c")

    ours = await our_js.key_value("INTEROP")
    entry = await ours.get("cfg.a")
    assert (entry.value, entry.revision, entry.operation) == (b"2", 2, "PUT")
    for deleted in ("cfg.b", "cfg.c"):
        with pytest.raises(natskit.KeyNotFoundError):
            await ours.get(deleted)
    assert await ours.keys() == ["cfg.a"]
    assert [(e.value, e.operation) for e in await ours.history("cfg.>")] == [
        (b"1", "PUT"),
        (b"2", "PUT"),
        (b"x", "PUT"),
        (b"", "DEL"),
        (b"", "PURGE"),
    ]
    status = await ours.status()
    assert (status.history, status.values) == (5, 5)

    got: list[natskit.Entry | None] = []
    all_came = asyncio.Event()

    def on_entry(entry: natskit.Entry | None) -> None:
        got.append(entry)
        if len(got) == 5:
            all_came.set()

    watcher = await ours.watch("cfg.*", callback=on_entry, idle_heartbeat=0.5)
    await theirs.put("cfg.d", b"from nats-py")
    await asyncio.wait_for(all_came.wait(), 5)
    assert [e and (e.key, e.operation) for e in got] == [
        ("cfg.a", "PUT"),
        ("cfg.b", "DEL"),
        ("cfg.c", "PURGE"),
        None,
        ("cfg.d", "PUT"),
    ]
    await watcher.close()


async def test_a_bucket_made_by_natskit(clients: Clients) -> None:
    their_js, our_js = clients
    ours = await our_js.create_key_value("MADE", history=3, ttl=60, description="ours")
    rev = await ours.put("k.1", "v1")
    await ours.create("k.2", b"v2")
    await ours.update("k.1", b"v1b", rev)
    await ours.delete("k.2")

    theirs = await their_js.key_value("MADE")
    entry = await theirs.get("k.1")
    assert (entry.value, entry.revision) == (b"v1b", 3)
    with pytest.raises(nats.js.errors.KeyNotFoundError):
        await theirs.get("k.2")
    assert await theirs.keys() == ["k.1"]
    status = await theirs.status()
    assert (status.history, status.ttl) == (3, 60)
    await theirs.create("k.2", b"recreated by nats-py")
    assert await ours.get_value("k.2") == b"recreated by nats-py"
    await theirs.purge("k.1")
    assert [e.operation for e in await ours.history("k.1")] == ["PURGE"]
