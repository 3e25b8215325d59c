"""Several ``nats-server`` processes joined together: a cluster, a hub and a leaf."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from .server import POLL_INTERVAL, NatsServer, started

__all__ = ["NatsCluster", "NatsHubLeaf"]

READY_TIMEOUT = 15.0
"""Seconds :class:`NatsCluster` and :class:`NatsHubLeaf` wait to be formed."""

_T = TypeVar("_T", bound="_Topology")


def _wait_until(not_ready: Callable[[], str | None], timeout: float, what: str) -> None:
    """Poll ``not_ready`` (None when ready, else why not) until ready or ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            reason = not_ready()
        except (OSError, ValueError) as exc:  # a monitoring endpoint not up (yet)
            reason = f"monitoring endpoint failed: {exc!r}"
        if reason is None:
            return
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{what} not ready after {timeout:g} s: {reason}")
        time.sleep(POLL_INTERVAL)


def _free_ports(count: int) -> list[int]:
    """Ports that were free on 127.0.0.1 a moment ago (bound to port 0, then released)."""
    socks = [socket.create_server((NatsServer.host, 0)) for _ in range(count)]
    try:
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


class _Topology:
    """Start, wait for, and close a set of servers; a context manager."""

    def _servers(self) -> list[NatsServer]:
        raise NotImplementedError

    def _start(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        """Start the servers and wait until they are connected (see ``wait_ready``)."""
        if self._servers():
            raise RuntimeError("already started")
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop every server and remove their temporary directories."""
        for server in self._servers():
            server.close()

    def __enter__(self: _T) -> _T:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class NatsCluster(_Topology):
    """``size`` nats-server nodes routed into one cluster on 127.0.0.1.

    Node ``i`` is ``servers[i]``, named ``node-<i>``, with monitoring on and,
    with ``jetstream`` (the default), its own JetStream store. The route
    ports are picked up front (bound to port 0 and released) so that every
    node's configuration lists all routes; client, route and monitoring
    ports stay the same across restarts. ``config`` is added to every
    node's configuration. :meth:`start` returns once :meth:`wait_ready` does.
    """

    def __init__(
        self,
        size: int = 3,
        *,
        name: str = "natskit",
        jetstream: bool = True,
        config: str | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("a cluster needs at least one node")
        self.size = size
        self.name = name
        self.jetstream = jetstream
        self.config = config
        self.servers: list[NatsServer] = []

    def __repr__(self) -> str:
        return f"<NatsCluster {self.name} {self.servers}>"

    @property
    def urls(self) -> list[str]:
        """The client URLs of the nodes, in node order."""
        return [server.url for server in self.servers]

    def _servers(self) -> list[NatsServer]:
        return self.servers

    def _start(self) -> None:
        route_ports = _free_ports(self.size)
        routes = ", ".join(f'"nats://{NatsServer.host}:{port}"' for port in route_ports)
        for i, port in enumerate(route_ports):
            config = (
                f"cluster {{\n  name: {json.dumps(self.name)}\n"
                f'  listen: "{NatsServer.host}:{port}"\n  routes: [{routes}]\n}}\n'
            )
            server = NatsServer(
                jetstream=self.jetstream,
                config=config + (self.config or ""),
                name=f"node-{i}",
                monitor=True,
            )
            self.servers.append(server)
            server.start()
        self.wait_ready()

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Wait until the running nodes form a cluster.

        Ready means: each running node has a route to every other running
        node (``/routez``) and, with JetStream and a majority of the nodes
        running, each is healthy (``/healthz``) and all report the same
        running node as JetStream meta leader (``/jsz``).
        """
        _wait_until(self._not_ready, timeout, "cluster")

    def _not_ready(self) -> str | None:
        running = [server for server in self.servers if server.is_running()]
        names = {server.name for server in running}
        leaders: set[str] = set()
        for server in running:
            routed = {route.get("remote_name") for route in server.monitor("routez")["routes"]}
            missing = names - routed - {server.name}
            if missing:
                return f"{server.name} has no route to {sorted(map(str, missing))}"
            if self.jetstream and len(running) > self.size // 2:
                health = server.monitor("healthz")
                if health.get("status") != "ok":
                    return f"{server.name} not healthy: {health.get('error')}"
                leaders.add(server.monitor("jsz").get("meta_cluster", {}).get("leader") or "")
        if leaders and (len(leaders) > 1 or not leaders <= names):
            return f"no agreed JetStream meta leader among the running nodes: {sorted(leaders)}"
        return None

    def kill(self, i: int) -> None:
        """Kill node ``i`` with SIGKILL."""
        self.servers[i].kill()

    def stop(self, i: int) -> None:
        """Stop node ``i`` (SIGTERM)."""
        self.servers[i].stop()

    def restart(self, i: int) -> None:
        """Stop node ``i`` if running, start it on the same ports, wait until ready."""
        self.servers[i].restart()
        self.wait_ready()


class NatsHubLeaf(_Topology):
    """A hub server and a leaf server joined by a leafnode connection on 127.0.0.1.

    ``hub`` (server name ``hub``) has JetStream domain ``hub_domain`` and
    accepts leafnode connections on :attr:`leafnode_port`; ``leaf`` (server
    name ``leaf``) has JetStream domain ``leaf_domain`` and a leafnode remote
    to the hub. Both use the global account without authentication, so a
    client of either server reaches the other's JetStream API as
    ``$JS.<domain>.API.>``. Ports stay the same across restarts, and the leaf
    reconnects to a restarted hub by itself. :meth:`start` returns once
    :meth:`wait_ready` does.
    """

    def __init__(self, *, hub_domain: str = "hub", leaf_domain: str = "leaf") -> None:
        self.hub_domain = hub_domain
        self.leaf_domain = leaf_domain
        self._hub: NatsServer | None = None
        self._leaf: NatsServer | None = None
        self._leafnode_port: int | None = None

    def __repr__(self) -> str:
        return f"<NatsHubLeaf hub={self._hub} leaf={self._leaf}>"

    @property
    def hub(self) -> NatsServer:
        """The hub server."""
        return started(self._hub, "not started yet")

    @property
    def leaf(self) -> NatsServer:
        """The leaf server."""
        return started(self._leaf, "not started yet")

    @property
    def leafnode_port(self) -> int:
        """The hub's port for leafnode connections."""
        return started(self._leafnode_port, "not started yet")

    def _servers(self) -> list[NatsServer]:
        return [server for server in (self._hub, self._leaf) if server is not None]

    def _hub_config(self, leafnode_port: int) -> str:
        return (
            f"jetstream {{\n  domain: {json.dumps(self.hub_domain)}\n}}\n"
            f'leafnodes {{\n  listen: "{NatsServer.host}:{leafnode_port}"\n}}\n'
        )

    def _start(self) -> None:
        self._hub = hub = NatsServer(
            jetstream=True, config=self._hub_config(-1), name="hub", monitor=True
        )
        hub.start()
        self._leafnode_port = port = int(hub.monitor("varz")["leaf"]["port"])
        hub.config = self._hub_config(port)  # the same port after a restart
        leaf_config = (
            f"jetstream {{\n  domain: {json.dumps(self.leaf_domain)}\n}}\n"
            f'leafnodes {{\n  remotes: [{{url: "nats://{NatsServer.host}:{port}"}}]\n}}\n'
        )
        self._leaf = leaf = NatsServer(
            jetstream=True, config=leaf_config, name="leaf", monitor=True
        )
        leaf.start()
        self.wait_ready()

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Wait until both servers list the leafnode connection (``/leafz``) and are
        healthy (``/healthz``)."""
        _wait_until(self._not_ready, timeout, "hub and leaf")

    def _not_ready(self) -> str | None:
        for server in (self.hub, self.leaf):
            if not server.is_running():
                return f"{server.name} is not running"
            if not server.monitor("leafz").get("leafnodes"):
                return f"{server.name} has no leafnode connection"
            health = server.monitor("healthz")
            if health.get("status") != "ok":
                return f"{server.name} not healthy: {health.get('error')}"
        return None
