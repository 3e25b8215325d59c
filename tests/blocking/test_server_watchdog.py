"""Servers started by natskit die with their parent, even a SIGKILLed one
(issue: killed test runs left nats-server processes behind)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from natskit.testing import NatsServer
from natskit.testing.watchdog import Watchdog

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: alive as far as we can tell
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``check`` until it holds or ``timeout`` s pass (another process acts)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def start_and_kill(argv: list[str], tmp_path: Path, sig: int = signal.SIGKILL) -> list[int]:
    """Run ``argv`` until it wrote the server pids to ``pids``, then ``sig`` it."""
    pids_file = tmp_path / "pids"
    proc = subprocess.Popen(argv, cwd=tmp_path, env={**os.environ, "PIDS_FILE": str(pids_file)})
    try:
        assert eventually(lambda: pids_file.exists() and pids_file.read_text().endswith("\n"))
        pids = [int(line) for line in pids_file.read_text().split()]
        assert pids and all(running(pid) for pid in pids)
    finally:
        proc.send_signal(sig)
        proc.wait()
    return pids


def test_a_sigkilled_pytest_leaves_no_server_behind(tmp_path: Path) -> None:
    (tmp_path / "test_hang.py").write_text(
        textwrap.dedent(
            """
            import os, threading

            def test_hang(nats_server, jetstream_server):
                with open(os.environ["PIDS_FILE"], "w") as f:
                    f.write(f"{nats_server.pid}\\n{jetstream_server.pid}\\n")
                threading.Event().wait()  # until killed
            """
        )
    )
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_hang.py"]
    pids = start_and_kill(argv, tmp_path)
    assert eventually(lambda: not any(running(pid) for pid in pids)), pids


def test_a_sigkilled_script_leaves_no_server_or_directory(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import os, threading
        from natskit.testing import NatsServer

        server = NatsServer(jetstream=True)
        server.start()
        with open(os.environ["PIDS_FILE"] + ".dir", "w") as f:
            f.write(os.path.dirname(server.log_path))
        with open(os.environ["PIDS_FILE"], "w") as f:
            f.write(f"{server.pid}\\n")
        threading.Event().wait()  # until killed
        """
    )
    pids = start_and_kill([sys.executable, "-c", script], tmp_path)
    workdir = Path((tmp_path / "pids.dir").read_text())
    assert workdir.is_dir() or not running(pids[0])
    assert eventually(lambda: not running(pids[0]))
    assert eventually(lambda: not workdir.exists()), workdir  # its temporary directory


def test_natskit_server_killed_takes_its_server_along(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import os, sys
        from natskit.testing import NatsServer
        from natskit.cli import main

        start = NatsServer.start
        def start_and_tell(self):
            start(self)
            with open(os.environ["PIDS_FILE"], "w") as f:
                f.write(f"{self.pid}\\n")
        NatsServer.start = start_and_tell
        sys.exit(main(["server", "--port", "0"]))
        """
    )
    pids = start_and_kill([sys.executable, "-c", script], tmp_path)
    assert eventually(lambda: not running(pids[0]))


def test_a_normal_stop_lets_the_watchdog_go(nats_server: NatsServer) -> None:
    def watchdog_of(server: NatsServer) -> Watchdog:
        assert server._reap is not None
        state = server._reap.peek()
        assert state is not None
        dog = state[2][2]
        assert isinstance(dog, Watchdog) and dog.pid is not None
        return dog

    watchdog = watchdog_of(nats_server)
    pid = nats_server.pid
    nats_server.stop()
    assert not running(pid)
    assert watchdog.pid is not None and not running(watchdog.pid)  # release() waited for it
    nats_server.start()  # a restart gets a watchdog of its own
    assert watchdog_of(nats_server) is not watchdog
