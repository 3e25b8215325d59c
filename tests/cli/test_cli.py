"""``natskit`` commands run in-process (``main``) or as a process, against real servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import natskit
from natskit.cli import main
from natskit.testing import NatsServer


def poll(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``condition()`` is true (a polled state, not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def subscribed(server: NatsServer, subject: str) -> bool:
    """Whether a client of ``server`` has a subscription on ``subject`` (monitoring)."""
    conns = server.monitor("connz?subs=1")["connections"] or []
    return any(subject in (c.get("subscriptions_list") or []) for c in conns)


def run(url: str, *argv: str) -> int:
    return main(["-s", url, "--timeout", "5", *argv])


@pytest.fixture
def server(nats_server_factory: Callable[..., NatsServer]) -> NatsServer:
    return nats_server_factory(jetstream=True, monitor=True)


def test_pub_and_sub(server: NatsServer, capsys: pytest.CaptureFixture[str]) -> None:
    done = threading.Thread(target=run, args=(server.url, "sub", "cli.t", "--count", "2"))
    done.start()
    poll(lambda: subscribed(server, "cli.t"))
    assert run(server.url, "pub", "cli.t", "hello", "-H", "X-Id: 7", "--count", "2") == 0
    done.join(10)
    assert not done.is_alive()
    out = capsys.readouterr().out
    assert out.count("cli.t: 5 bytes") == 2 and "X-Id: 7" in out and "hello" in out
    assert "published 2 message(s) to cli.t" in out


def test_req_and_reply(server: NatsServer, capsys: pytest.CaptureFixture[str]) -> None:
    done = threading.Thread(
        target=run, args=(server.url, "reply", "cli.svc", "pong", "--count", "1")
    )
    done.start()
    with natskit.connect(server.url) as nc:

        def answered() -> bool:
            try:
                return nc.request("cli.svc", b"ping", timeout=2).data == b"pong"
            except natskit.NoRespondersError:
                return False  # the replier is not subscribed yet

        poll(answered)
    done.join(10)
    assert run(server.url, "req", "cli.nobody", "x") == 1
    captured = capsys.readouterr()
    assert "cli.svc" in captured.out and "ping" in captured.out
    assert "NoRespondersError: no responders on 'cli.nobody'" in captured.err


def test_streams_consumers_and_kv(server: NatsServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(server.url, "stream", "add", "S", "--subjects", "s.a,s.b", "--storage", "memory") == 0
    )
    assert run(server.url, "pub", "s.a", "one") == 0
    assert run(server.url, "consumer", "add", "S", "w") == 0
    assert run(server.url, "consumer", "next", "S", "w") == 0
    assert run(server.url, "stream", "ls") == 0
    assert run(server.url, "consumer", "ls", "S") == 0
    assert run(server.url, "stream", "info", "S", "--json") == 0
    out = capsys.readouterr().out
    assert "created stream S" in out and "[#1] s.a" in out and "one" in out
    assert "S\ts.a,s.b\t1 msgs" in out
    assert "w\t0 pending\t0 unacked" in out  # fetched and acked
    assert '"subjects": [' in out

    assert run(server.url, "kv", "add", "cfg", "--history", "3") == 0
    assert run(server.url, "kv", "put", "cfg", "color", "blue") == 0
    assert run(server.url, "kv", "put", "cfg", "color", "red") == 0
    capsys.readouterr()
    assert run(server.url, "kv", "get", "cfg", "color") == 0
    assert capsys.readouterr().out == "red\n"
    assert run(server.url, "kv", "history", "cfg", "color") == 0
    assert capsys.readouterr().out == "1\tPUT\tblue\n2\tPUT\tred\n"
    assert run(server.url, "kv", "del", "cfg", "color", "-f") == 0
    assert run(server.url, "kv", "get", "cfg", "color") == 1
    assert "KeyNotFoundError" in capsys.readouterr().err
    assert run(server.url, "stream", "rm", "S", "-f") == 0
    assert run(server.url, "kv", "rm", "cfg", "--force") == 0


def test_objects(server: NatsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "data.bin"
    source.write_bytes(os.urandom(300_000))
    assert run(server.url, "object", "add", "files") == 0
    assert run(server.url, "object", "put", "files", str(source)) == 0
    assert "stored data.bin in files: 300000 B in 3 chunk(s)" in capsys.readouterr().out
    copy = tmp_path / "copy.bin"
    assert run(server.url, "object", "get", "files", "data.bin", "-o", str(copy)) == 0
    assert copy.read_bytes() == source.read_bytes()
    assert run(server.url, "object", "ls") == 0
    assert run(server.url, "object", "ls", "files") == 0
    assert run(server.url, "object", "info", "files", "data.bin", "--json") == 0
    out = capsys.readouterr().out
    assert "files\n" in out and "data.bin\t300000 B" in out and '"chunks": 3' in out
    assert run(server.url, "object", "rm", "files", "data.bin", "-f") == 0
    assert run(server.url, "object", "get", "files", "data.bin") == 1
    assert "ObjectNotFoundError" in capsys.readouterr().err
    assert run(server.url, "object", "rm", "files", "-f") == 0


def test_service_discovery_and_bench(
    server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with natskit.connect(server.url) as nc:
        svc = nc.service("calc", "1.0.0")
        svc.add_endpoint("add", lambda req: req.respond(b"0"))
        nc.flush()
        assert run(server.url, "service", "ls") == 0
        assert f"calc\t1.0.0\t{svc.id}" in capsys.readouterr().out
        assert run(server.url, "service", "stats", "calc", "--json") == 0
        [stats] = json.loads(capsys.readouterr().out)
        assert stats["endpoints"][0]["name"] == "add"
    assert run(server.url, "service", "ls") == 0
    assert "no services found" in capsys.readouterr().out
    assert run(server.url, "bench", "--msgs", "2000", "--size", "16") == 0
    assert "published and received:" in capsys.readouterr().out


def test_bad_input_is_a_clear_error(server: NatsServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(server.url, "pub", "bad subject", "x") == 1
    assert "BadSubjectError" in capsys.readouterr().err
    assert run(server.url, "pub", "ok", "x", "-H", "no colon") == 1
    assert "a header is Key:Value" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["stream"])  # an action is required: argparse's usage error


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    state = "yes" if natskit.accelerated else "no"
    assert capsys.readouterr().out == f"natskit {natskit.__version__}\naccelerated: {state}\n"


def test_server_command_runs_until_terminated() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "natskit", "server", "--port", "0", "--jetstream"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("nats://127.0.0.1:")
        with natskit.connect(url) as nc:
            assert nc.jetstream().account_info() is not None
        proc.terminate()
        assert proc.wait(15) == 143
        with pytest.raises(natskit.NatsError):
            natskit.connect(url, connect_timeout=1, max_reconnect_attempts=0)
    finally:
        proc.kill()
        proc.wait()


def test_sub_ends_with_an_error_when_the_server_goes(
    server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    result: list[int] = []
    done = threading.Thread(target=lambda: result.append(run(server.url, "sub", "gone")))
    done.start()
    poll(lambda: subscribed(server, "gone"))
    server.stop()
    done.join(15)
    assert result == [1]
    assert "natskit:" in capsys.readouterr().err


def test_failures_keep_files_and_skip_bad_answers(
    server: NatsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keep = tmp_path / "keep.txt"
    keep.write_bytes(b"precious")
    assert run(server.url, "object", "add", "b") == 0
    assert run(server.url, "object", "get", "b", "missing", "-o", str(keep)) == 1
    assert keep.read_bytes() == b"precious" and not (tmp_path / "keep.txt.part").exists()
    with natskit.connect(server.url) as nc:
        nc.subscribe("$SRV.PING", callback=lambda m: m.respond(b"not json"))
        nc.flush()
        capsys.readouterr()
        assert run(server.url, "service", "ls") == 0
    captured = capsys.readouterr()
    assert "no services found" in captured.out and "not a JSON object" in captured.err
    with pytest.raises(SystemExit):
        main(["bench", "--msgs", "0"])


def test_server_command_refuses_a_taken_port(
    server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["server", "--port", str(server.port)]) == 1
    assert "is not free" in capsys.readouterr().err
