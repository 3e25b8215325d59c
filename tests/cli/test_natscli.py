"""natscli's habits (issue 15, points 9-13): global options anywhere, durations,
``--version``, the NATS_* environment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import natskit
from natskit import nkeys
from natskit.cli import main
from natskit.cli.settings import parse_duration
from natskit.testing import NatsServer
from natskit.testing.auth import JwtSetup, nkey_config, token_config, userpass_config
from natskit.testing.tls import Certs, TlsServer

from .test_cli import poll, run, subscribed


@pytest.fixture
def server(nats_server_factory: Callable[..., NatsServer]) -> NatsServer:
    return nats_server_factory(jetstream=True, monitor=True)


def test_global_options_work_after_the_command(
    server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stream", "add", "G", "--subjects", "g.>", "-s", server.url]) == 0
    assert main(["pub", "g.1", "x", "--server", server.url, "--timeout", "2s"]) == 0
    assert main(["--timeout", "1", "stream", "ls", "-s", server.url]) == 0
    out = capsys.readouterr().out
    assert "created stream G" in out and "published 1 message(s) to g.1" in out
    assert "G\tg.>\t1 msgs" in out
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
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"natskit {natskit.__version__}\n"
    # once the compiled accelerator lands, natskit.accelerated says whether it is used
    monkeypatch.setattr(natskit, "accelerated", False, raising=False)
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out == f"natskit {natskit.__version__}\naccelerated: no\n"


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
