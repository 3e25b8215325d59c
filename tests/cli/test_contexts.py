"""``natskit --context NAME`` and NATS_CONTEXT: the context is the lowest layer,
the NATS_* variables and the flags override it (as in natscli)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

import natskit
from natskit.cli import main
from natskit.testing import NatsHubLeaf, NatsServer
from natskit.testing.auth import userpass_config


def write_context(name: str, **fields: object) -> Path:
    folder = Path(os.environ["XDG_CONFIG_HOME"]) / "nats" / "context"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(fields), encoding="utf-8")
    return path


def test_context_flag_variable_and_selected_context(
    nats_server_factory: Callable[..., NatsServer],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = nats_server_factory(config=userpass_config("ann", "pw"))
    write_context("dev", url=server.url, user="ann", password="pw")
    assert main(["--context", "dev", "pub", "ctx.1", "x"]) == 0
    assert main(["pub", "ctx.2", "x", "--context", "dev"]) == 0
    monkeypatch.setenv("NATS_CONTEXT", "dev")
    assert main(["pub", "ctx.3", "x"]) == 0
    monkeypatch.setenv("NATS_PASSWORD", "wrong")  # a variable overrides the context
    assert main(["pub", "ctx.4", "x"]) == 1
    assert main(["pub", "ctx.5", "x", "--password", "pw"]) == 0  # a flag overrides both
    monkeypatch.delenv("NATS_PASSWORD")
    monkeypatch.delenv("NATS_CONTEXT")
    (Path(os.environ["XDG_CONFIG_HOME"]) / "nats" / "context.txt").write_text("dev\n")
    assert main(["pub", "ctx.6", "x"]) == 0  # the selected context, as natscli
    out = capsys.readouterr()
    assert out.out.count("published 1 message(s)") == 5
    assert "AuthorizationError" in out.err


def test_a_missing_context_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--context", "nope", "pub", "x", "y"]) == 1
    err = capsys.readouterr().err
    assert "InvalidArgError" in err and "nope.json" in err


def test_the_context_jetstream_domain_is_used(nats_hub_leaf: NatsHubLeaf) -> None:
    write_context("to-hub", url=nats_hub_leaf.leaf.url, jetstream_domain="hub")
    assert main(["--context", "to-hub", "stream", "add", "CTXHUB", "--subjects", "ctxhub.>"]) == 0
    with natskit.connect(nats_hub_leaf.hub.url) as nc:
        assert "CTXHUB" in nc.jetstream().stream_names()
    with natskit.connect(nats_hub_leaf.leaf.url) as nc:
        assert "CTXHUB" not in nc.jetstream().stream_names()
