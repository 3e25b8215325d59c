"""Servers die with the process that started them, however it ends.

Each server started by :class:`~natskit.testing.NatsServer` gets a watchdog: a
small Python process reading a pipe whose write end only the parent holds
(pipes are not inherited by other children). When the parent ends in any way,
SIGKILL included, the kernel closes that end: the watchdog reads EOF, kills
the server and removes its temporary directory. A normal stop writes ``q``
first, and the watchdog exits without acting. This works on every OS with
pipes and ``os.kill``, and does not depend on the thread that started the
server (Linux's ``PR_SET_PDEATHSIG`` fires when that thread ends).
"""

from __future__ import annotations

import os
import subprocess
import sys

# Run as ``python -I -S -c _CODE PID [DIR]``: standard library only.
_CODE = """\
import os, shutil, signal, sys, time
if sys.stdin.buffer.read(1) != b"q":
    pid = int(sys.argv[1])
    try:
        os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.01)
    except OSError:
        pass
    if len(sys.argv) > 2:
        shutil.rmtree(sys.argv[2], ignore_errors=True)
"""


class Watchdog:
    """Kills process ``pid`` (and removes ``workdir``) if this process dies first."""

    def __init__(self, pid: int, workdir: str | None = None) -> None:
        self._write_fd: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        if not sys.executable:  # an embedded interpreter: nothing to run it with
            return
        read_fd, self._write_fd = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-S",
                    "-c",
                    _CODE,
                    str(pid),
                    *([workdir] if workdir else []),
                ],
                stdin=read_fd,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            os.close(self._write_fd)
            self._write_fd = None
        finally:
            os.close(read_fd)

    @property
    def pid(self) -> int | None:
        """The watchdog's own process id (None: none could be started)."""
        return self._proc.pid if self._proc is not None else None

    def release(self) -> None:
        """The server was stopped normally: let the watchdog exit without acting."""
        fd, self._write_fd = self._write_fd, None
        if fd is None:
            return
        try:
            os.write(fd, b"q")
        except OSError:
            pass  # it is gone already
        finally:
            os.close(fd)
        if self._proc is not None:
            self._proc.wait()
