"""Shared fixtures: ``nc`` here is a connection to a JetStream server whose
reconnects can be awaited (``reconnected``), ``js`` its JetStream context;
modules that need another connection define their own ``nc``, which takes
precedence."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import natskit.aio
from natskit._io_async import Event
from natskit.testing import NatsServer


class Reconnected(Event):
    """Set by ``on_status`` when the connection is back after a loss."""

    lost = False

    def on_status(self, status: natskit.Status) -> None:
        if status is natskit.Status.RECONNECTING:
            self.lost = True
        elif status is natskit.Status.CONNECTED and self.lost:
            self.set()


@pytest.fixture
def reconnected() -> Reconnected:
    return Reconnected()


@pytest.fixture
async def nc(
    jetstream_server: NatsServer, reconnected: Reconnected
) -> AsyncIterator[natskit.aio.Connection]:
    conn = await natskit.aio.connect(
        jetstream_server.url, reconnect_time_wait=0.1, status_cb=reconnected.on_status
    )
    yield conn
    await conn.close()


@pytest.fixture
def js(nc: natskit.aio.Connection) -> natskit.aio.JetStream:
    return nc.jetstream(timeout=5)
