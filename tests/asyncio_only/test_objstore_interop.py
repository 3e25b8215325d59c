"""Object Store interoperability with nats-py: one bucket, objects written and read by both."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nats
import nats.js.object_store
import pytest

import natskit.aio
from natskit.testing import NatsServer

Stores = tuple[nats.js.object_store.ObjectStore, natskit.aio.ObjectStore]


@pytest.fixture
async def stores(jetstream_server: NatsServer) -> AsyncIterator[Stores]:
    theirs = await nats.connect(jetstream_server.url)
    ours = await natskit.aio.connect(jetstream_server.url)
    their_store = await theirs.jetstream().create_object_store("SHARED")
    our_store = await ours.jetstream(timeout=5).object_store("SHARED")
    yield their_store, our_store
    await ours.close()
    await theirs.close()


async def test_objects_cross_both_ways(stores: Stores) -> None:
    theirs, ours = stores
    big = bytes(range(256)) * 1200  # several chunks of 128 KiB
    their_info = await theirs.put("from nats-py", big)
    info = await ours.info("from nats-py")
    assert (info.size, info.chunks, info.digest) == (len(big), their_info.chunks, their_info.digest)
    assert await ours.get("from nats-py") == big

    mine = await ours.put("from natskit", big, description="ours")
    result = await theirs.get("from natskit")
    assert result.data == big
    assert (result.info.digest, result.info.size, result.info.description) == (
        mine.digest,
        len(big),
        "ours",
    )

    await ours.delete("from nats-py")
    with pytest.raises(nats.js.errors.ObjectNotFoundError):
        await theirs.get("from nats-py")
    assert [i.name for i in await ours.list()] == ["from natskit"]
