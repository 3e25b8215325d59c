"""natscli's habits (issue 15, points 9-13): global options anywhere, durations,
``--version``, the NATS_* environment, ``--json``, confirmation, exit codes, progress."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import natskit
from natskit import nkeys
from natskit.cli import main
from natskit.cli.settings import parse_duration
from natskit.testing import NatsServer
from natskit.testing.auth import JwtSetup, nkey_config, token_config, userpass_config
from natskit.testing.tls import Certs, TlsServer

from .test_cli import poll, run, subscribed


class FakeTty(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def server(nats_server_factory: Callable[..., NatsServer]) -> NatsServer:
    return nats_server_factory(jetstream=True, monitor=True)


def stream_names(url: str) -> list[str]:
    with natskit.connect(url) as nc:
        return nc.jetstream().stream_names()


# -- 9: global options, durations, --version ----------------------------------


def test_global_options_work_after_the_command(
    server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stream", "add", "G", "--subjects", "g.>", "-s", server.url]) == 0
    assert main(["pub", "g.1", "x", "--server", server.url, "--timeout", "2s"]) == 0
    assert main(["--timeout", "1", "stream", "ls", "--json", "-s", server.url]) == 0
    out = capsys.readouterr().out
    assert "created stream G" in out and "published 1 message(s) to g.1" in out
    assert json.loads(out[out.index("[") :]) == ["G"]
    # the value after the command wins over the one before it
    assert main(["-s", "nats://127.0.0.1:1", "stream", "ls", "-s", server.url]) == 0


def test_durations(server: NatsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = {"1s": 1, "500ms": 0.5, "2m": 120, "1h": 3600, "1m30s": 90, "1.5s": 1.5, "2": 2}
    for text, seconds in {**cases, "250us": 250e-6, "0.25": 0.25}.items():
        assert parse_duration(text) == pytest.approx(seconds), text
    for bad in ("", "1x", "-1s", "s", "1s2", "nan", "inf"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert run(server.url, "--timeout", "500ms", "stream", "ls") == 0
    with pytest.raises(SystemExit) as exit_info:
        main(["--timeout", "5x", "stream", "ls"])
    assert exit_info.value.code == 2
    monkeypatch.setenv("NATS_TIMEOUT", "1500ms")
    assert main(["-s", server.url, "service", "ls", "--wait", "100ms"]) == 0
    monkeypatch.setenv("NATS_TIMEOUT", "soon")
    assert main(["-s", server.url, "stream", "ls"]) == 1


def test_version(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for accelerated, state in ((True, "yes"), (False, "no")):
        monkeypatch.setattr(natskit, "accelerated", accelerated)
        with pytest.raises(SystemExit) as exit_info:
            main(["--version"])
        assert exit_info.value.code == 0
        assert capsys.readouterr().out == f"natskit {natskit.__version__}\naccelerated: {state}\n"


# -- 10: the environment, as natscli reads it ---------------------------------


def test_user_and_password_from_the_environment(
    nats_server_factory: Callable[..., NatsServer],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "s3cret-Pa55"
    server = nats_server_factory(config=userpass_config("alice", secret))
    monkeypatch.setenv("NATS_URL", server.url)
    monkeypatch.setenv("NATS_USER", "alice")
    monkeypatch.setenv("NATS_PASSWORD", secret)
    assert main(["pub", "env.t", "x"]) == 0
    assert "published 1 message(s)" in capsys.readouterr().out
    monkeypatch.setenv("NATS_PASSWORD", "wrong-" + secret)
    assert main(["pub", "env.t", "x"]) == 1
    err = capsys.readouterr().err
    assert "Authorization" in err and secret not in err and "Traceback" not in err
    assert main(["pub", "env.t", "x", "--password", secret]) == 0  # the flag wins
    monkeypatch.setenv("NATS_URL", "nats://127.0.0.1:1")
    assert main(["-s", server.url, "pub", "env.t", "x", "--password", secret]) == 0


def test_token_from_the_environment_and_flags(
    nats_server_factory: Callable[..., NatsServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = nats_server_factory(config=token_config("tok-123"))
    monkeypatch.setenv("NATS_URL", server.url)
    monkeypatch.setenv("NATS_TOKEN", "tok-123")
    assert main(["pub", "env.t", "x"]) == 0
    monkeypatch.setenv("NATS_TOKEN", "other")
    assert main(["pub", "env.t", "x"]) == 1
    assert main(["pub", "env.t", "x", "--token", "tok-123"]) == 0
    monkeypatch.delenv("NATS_TOKEN")
    monkeypatch.setenv("NATS_USER", "tok-123")  # as natscli: a user without password
    assert main(["pub", "env.t", "x"]) == 0
    # a credential flag replaces the environment's (NATS_USER + NATS_PASSWORD here)
    monkeypatch.setenv("NATS_USER", "bob")
    monkeypatch.setenv("NATS_PASSWORD", "pw")
    assert main(["pub", "env.t", "x", "--token", "tok-123"]) == 0


def test_nkey_and_creds_from_the_environment(
    nats_server_factory: Callable[..., NatsServer],
    jwt_server: NatsServer,
    operator_setup: JwtSetup,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    user = nkeys.create("user")
    server = nats_server_factory(config=nkey_config(user.public_key))
    seed = tmp_path / "user.nk"
    seed.write_text(user.seed)
    monkeypatch.setenv("NATS_URL", server.url)
    assert main(["pub", "nk.t", "x"]) == 1
    assert main(["pub", "nk.t", "x", "--nkey", str(seed)]) == 0
    monkeypatch.setenv("NATS_NKEY", str(seed))
    assert main(["pub", "nk.t", "x"]) == 0

    creds = tmp_path / "user.creds"
    creds.write_text(operator_setup.creds)
    monkeypatch.delenv("NATS_NKEY")
    monkeypatch.setenv("NATS_URL", jwt_server.url)
    monkeypatch.setenv("NATS_CREDS", str(creds))
    assert main(["pub", "jwt.t", "x"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("NATS_CREDS", str(tmp_path / "missing.creds"))
    assert main(["pub", "jwt.t", "x"]) == 1
    assert "SEED" not in capsys.readouterr().err


def test_tls_from_flags_and_the_environment(
    tls_certs: Certs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with TlsServer(tls_certs, verify_clients=True, handshake_first=True) as server:
        tls = ["--tlsca", tls_certs.ca_file, "--tlscert", tls_certs.client_cert]
        tls += ["--tlskey", tls_certs.client_key, "--tlsfirst"]
        assert main(["pub", "tls.t", "x", "-s", server.url, *tls]) == 0
        monkeypatch.setenv("NATS_URL", server.url)
        monkeypatch.setenv("NATS_CA", tls_certs.ca_file)
        monkeypatch.setenv("NATS_CERT", tls_certs.client_cert)
        monkeypatch.setenv("NATS_KEY", tls_certs.client_key)
        assert main(["pub", "tls.t", "x", "--tlsfirst"]) == 0
        capsys.readouterr()
        assert main(["pub", "tls.t", "x", "--tlsfirst", "--tlsca", "/no/such/ca.pem"]) == 1
        err = capsys.readouterr().err
        assert "cannot load the TLS CA file /no/such/ca.pem" in err
        monkeypatch.delenv("NATS_CERT")
        assert main(["pub", "tls.t", "x", "--tlsfirst"]) == 1
        assert "needs its certificate" in capsys.readouterr().err


# -- 11: --json ---------------------------------------------------------------


def json_of(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_json_output(
    server: NatsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    u = ["-s", server.url]
    assert run(server.url, "stream", "add", "J", "--subjects", "j.>") == 0
    assert run(server.url, "pub", "j.1", "one") == 0
    assert run(server.url, "consumer", "add", "J", "c1") == 0
    assert json_of(capsys, "stream", "ls", "--json", *u) == ["J"]
    info = json_of(capsys, "stream", "info", "J", "-j", *u)
    assert isinstance(info, dict)
    assert info["config"]["subjects"] == ["j.>"] and info["state"]["messages"] == 1
    assert "type" not in info  # the API envelope is left out
    assert json_of(capsys, "consumer", "ls", "J", "--json", *u) == ["c1"]
    cinfo = json_of(capsys, "consumer", "info", "J", "c1", "--json", *u)
    assert isinstance(cinfo, dict) and cinfo["name"] == "c1" and cinfo["num_pending"] == 1

    assert run(server.url, "kv", "add", "cfg") == 0
    assert run(server.url, "kv", "put", "cfg", "k", "v") == 0
    assert json_of(capsys, "kv", "ls", "--json", *u) == ["cfg"]
    kinfo = json_of(capsys, "kv", "info", "cfg", "--json", *u)
    assert isinstance(kinfo, dict) and kinfo["config"]["name"] == "KV_cfg"
    assert json_of(capsys, "kv", "keys", "cfg", "--json", *u) == ["k"]

    source = tmp_path / "o.bin"
    source.write_bytes(b"z" * 1000)
    assert run(server.url, "object", "add", "ob") == 0
    assert run(server.url, "object", "put", "ob", str(source)) == 0
    assert json_of(capsys, "object", "ls", "--json", *u) == ["ob"]
    [meta] = json_of(capsys, "object", "ls", "ob", "--json", *u)
    assert meta["name"] == "o.bin" and meta["size"] == 1000
    assert json_of(capsys, "object", "info", "ob", "o.bin", "--json", *u) == meta
    binfo = json_of(capsys, "object", "info", "ob", "--json", *u)
    assert isinstance(binfo, dict) and binfo["config"]["name"] == "OBJ_ob"

    with natskit.connect(server.url) as nc:
        svc = nc.service("calc", "1.0.0")
        svc.add_endpoint("add", lambda req: req.respond(b"0"))
        nc.flush()
        [ping] = json_of(capsys, "service", "ping", "--json", *u)
        assert ping["id"] == svc.id and ping["rtt"] > 0
        [ls] = json_of(capsys, "service", "ls", "calc", "--json", *u)
        assert ls["name"] == "calc" and "rtt" not in ls
        [sinfo] = json_of(capsys, "service", "info", "--json", *u)
        assert sinfo["endpoints"][0]["subject"] == "add"
        capsys.readouterr()
        assert run(server.url, "service", "stats", "calc") == 0  # plain text without --json
        out = capsys.readouterr().out
        assert f"calc 1.0.0 {svc.id}" in out and "endpoint add:" in out and "{" not in out
    bench = json_of(capsys, "bench", "--msgs", "500", "--size", "8", "--json", *u)
    assert isinstance(bench, dict) and bench["msgs"] == 500 and bench["size"] == 8
    assert bench["publish"]["msgs_per_sec"] > 0 and bench["pubsub"]["msgs_per_sec"] > 0
    pub_only = json_of(capsys, "bench", "--msgs", "50", "--pub-only", "--json", *u)
    assert isinstance(pub_only, dict) and pub_only["pubsub"] is None


# -- 12: confirmation, req, exit codes ------------------------------------------


def test_rm_and_purge_refuse_without_a_terminal(
    server: NatsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(server.url, "stream", "add", "R", "--subjects", "r.>") == 0
    assert run(server.url, "pub", "r.1", "x") == 0
    assert run(server.url, "consumer", "add", "R", "c") == 0
    assert (
        run(server.url, "kv", "add", "b") == 0 and run(server.url, "kv", "put", "b", "k", "v") == 0
    )
    assert run(server.url, "object", "add", "o") == 0
    capsys.readouterr()
    refused = [
        ("stream", "purge", "R"),
        ("consumer", "rm", "R", "c"),
        ("stream", "rm", "R"),
        ("kv", "del", "b", "k"),
        ("kv", "rm", "b"),
        ("object", "rm", "o"),
    ]
    for argv in refused:
        assert run(server.url, *argv) == 1, argv
        err = capsys.readouterr().err
        assert "refusing without a terminal" in err and "-f/--force" in err, argv
    with natskit.connect(server.url) as nc:
        js = nc.jetstream()
        assert js.stream_info("R").state.messages == 1
        assert js.consumer_names("R") == ["c"]
        assert js.key_value("b").get("k").value == b"v"
        assert js.object_store_names() == ["o"]
    done = [
        (("stream", "purge", "R", "-f"), "purged stream R: 1 message(s)"),
        (("consumer", "rm", "R", "c", "--force"), "deleted consumer c of stream R"),
        (("stream", "rm", "R", "-f"), "deleted stream R"),
        (("kv", "del", "b", "k", "-f"), "deleted k in bucket b"),
        (("kv", "rm", "b", "-f"), "deleted bucket b"),
        (("object", "rm", "o", "-f"), "deleted object store o"),
    ]
    for argv, said in done:
        assert run(server.url, *argv) == 0, argv
        assert capsys.readouterr().out == said + "\n"
    assert stream_names(server.url) == []


def test_rm_asks_on_a_terminal(
    server: NatsServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(server.url, "stream", "add", "T", "--subjects", "t.>") == 0
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", FakeTty("n\n"))
    assert run(server.url, "stream", "rm", "T") == 1
    captured = capsys.readouterr()
    assert "Really delete stream T? [y/N]" in captured.err and "not confirmed" in captured.err
    assert stream_names(server.url) == ["T"]
    monkeypatch.setattr(sys, "stdin", FakeTty("y\n"))
    assert run(server.url, "stream", "rm", "T") == 0
    assert capsys.readouterr().out == "deleted stream T\n"
    assert stream_names(server.url) == []


def test_req_prints_the_reply_and_its_headers(
    server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with natskit.connect(server.url) as nc:
        nc.subscribe(
            "cli.echo",
            callback=lambda m: m.respond(b"re: " + m.data, headers={"X-Seen": m.headers["X-Id"]}),
        )
        nc.flush()
        assert run(server.url, "req", "cli.echo", "hello", "-H", "X-Id:7") == 0
        out = capsys.readouterr().out
        assert out.startswith("reply to cli.echo: 9 bytes in ")
        assert "  X-Seen: 7\n" in out and out.endswith("\nre: hello\n")
        assert "_INBOX" not in out
        assert run(server.url, "req", "cli.echo", "hi", "-H", "X-Id:1", "--raw") == 0
        assert capsys.readouterr().out == "re: hi\n"


def natskit_process(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NATS_")}
    return subprocess.run(
        [sys.executable, "-m", "natskit", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_exit_codes(server: NatsServer) -> None:
    done = natskit_process("stream", "add", "E", "--subjects", "e", "-s", server.url)
    assert (done.returncode, done.stdout, done.stderr) == (0, "created stream E\n", "")
    for argv in (
        ("stream", "info", "NOPE", "-s", server.url),  # an error from the server
        ("stream", "rm", "E", "-s", server.url),  # not confirmed (no terminal)
        ("pub", "x", "y", "-s", server.url, "--tlsca", "/no/such.pem"),  # a local error
    ):
        failed = natskit_process(*argv)
        assert failed.returncode == 1, argv
        assert failed.stderr.startswith("natskit: ") and failed.stderr.count("\n") == 1, argv
        assert "Traceback" not in failed.stderr
    for bad in (("stream",), ("--timeout", "soon", "stream", "ls"), ("stream", "ls", "--bogus")):
        usage = natskit_process(*bad)
        assert usage.returncode == 2 and "usage:" in usage.stderr, bad


# -- 13: progress on a terminal, none when piped ---------------------------------


def test_no_progress_when_piped(
    server: NatsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(600_000))
    assert run(server.url, "object", "add", "p") == 0
    assert run(server.url, "object", "put", "p", str(source)) == 0
    assert run(server.url, "object", "get", "p", "big.bin", "-o", str(tmp_path / "c.bin")) == 0
    assert run(server.url, "bench", "--msgs", "3000", "--size", "8") == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # standard error is not a terminal: not a byte of progress
    assert "wrote big.bin from p to " in captured.out


def test_progress_on_a_terminal(
    server: NatsServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(600_000))
    assert run(server.url, "object", "add", "p") == 0
    terminal = FakeTty()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert run(server.url, "object", "put", "p", str(source)) == 0
    assert run(server.url, "object", "get", "p", "big.bin", "-o", str(tmp_path / "c.bin")) == 0
    assert run(server.url, "bench", "--msgs", "3000", "--size", "8") == 0
    shown = terminal.getvalue()
    assert "\rputting big.bin: 585.9 KiB / 585.9 KiB (100%)" in shown
    assert "\rgetting big.bin: 585.9 KiB / 585.9 KiB (100%)" in shown
    assert "\rpublished: 3,000 / 3,000 msgs (100%)" in shown
    assert "\rreceived: 3,000 / 3,000 msgs (100%)" in shown
    terminal.truncate(0)
    assert run(server.url, "object", "put", "p", str(source), "--no-progress") == 0
    assert terminal.getvalue() == ""
    assert (tmp_path / "c.bin").read_bytes() == source.read_bytes()
    assert "stored big.bin in p" in capsys.readouterr().out


def test_sub_with_options_after_the_command(
    server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    done = threading.Thread(
        target=main, args=(["sub", "late.t", "--count", "1", "-s", server.url],)
    )
    done.start()
    poll(lambda: subscribed(server, "late.t"))
    assert main(["pub", "late.t", "hi", "-s", server.url]) == 0
    done.join(10)
    assert not done.is_alive() and "late.t: 2 bytes" in capsys.readouterr().out
