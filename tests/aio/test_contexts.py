"""connect(context=...) against real servers: the URL, credentials and
JetStream domain of a natscli context (a temporary XDG_CONFIG_HOME)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

import natskit.aio
from natskit.testing import NatsHubLeaf, NatsServer
from natskit.testing.auth import userpass_config


@pytest.fixture
def contexts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("NATS_CONTEXT", raising=False)
    folder = tmp_path / "nats" / "context"
    folder.mkdir(parents=True)

    def write(name: str, **fields: object) -> Path:
        path = folder / f"{name}.json"
        path.write_text(json.dumps(fields), encoding="utf-8")
        return path

    return write


async def test_a_context_gives_the_url_and_credentials(
    nats_server_factory: Callable[..., NatsServer],
    contexts: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = nats_server_factory(config=userpass_config("ann", "s3cret"))
    contexts("dev", url=server.url, user="ann", password="s3cret")
    async with natskit.aio.connect(context="dev") as nc:
        assert nc.current_server is not None and nc.current_server.port == server.port
    monkeypatch.setenv("NATS_CONTEXT", "dev")
    async with natskit.aio.connect() as nc:
        assert nc.is_connected
    with pytest.raises(natskit.AuthorizationError):  # the explicit password wins
        await natskit.aio.connect(user="ann", password="wrong")
    (Path(os.environ["XDG_CONFIG_HOME"]) / "nats" / "context.txt").write_text("dev\n")
    monkeypatch.delenv("NATS_CONTEXT")
    async with natskit.aio.connect(context=True) as nc:
        assert nc.options.context_settings is not None
        assert nc.options.context_settings.name == "dev"


async def test_the_context_jetstream_domain_is_the_default(
    nats_hub_leaf: NatsHubLeaf, contexts: Callable[..., Path]
) -> None:
    contexts("leaf-to-hub", url=nats_hub_leaf.leaf.url, jetstream_domain="hub")
    async with natskit.aio.connect(context="leaf-to-hub") as nc:
        assert (await nc.jetstream().account_info()).domain == "hub"
        assert (await nc.jetstream(domain="leaf").account_info()).domain == "leaf"


async def test_a_missing_context_fails_before_connecting(contexts: Callable[..., Path]) -> None:
    with pytest.raises(natskit.InvalidArgError, match=r"nope\.json"):
        await natskit.aio.connect(context="nope")
