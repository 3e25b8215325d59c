"""natscli contexts: where they are looked up, how they are read, and how
connect()'s options merge with them; a temporary XDG_CONFIG_HOME, never the home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import natskit
from natskit.contexts import config_dir, load_context, selected_context


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("NATS_CONTEXT", raising=False)
    (tmp_path / "nats" / "context").mkdir(parents=True)
    return tmp_path / "nats"


def write(config: Path, name: str, **fields: object) -> Path:
    path = config / "context" / f"{name}.json"
    path.write_text(json.dumps(fields), encoding="utf-8")
    return path


def test_the_lookup_honours_xdg_config_home(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert config_dir() == config
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(config.parent / "home"))
    assert config_dir() == config.parent / "home" / ".config" / "nats"


def test_a_context_is_read_with_home_and_variables_expanded(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", "/home/ann")
    monkeypatch.setenv("CREDS_DIR", "/vault")
    write(
        config,
        "dev",
        url="nats://a:4222, nats://b:4222",
        creds="$CREDS_DIR/u.creds",
        nkey="~/u.nk",
        password="pw-secret",
        jetstream_domain="hub",
        inbox_prefix="_I.dev",
        description="",
    )
    ctx = load_context("dev")
    assert ctx.servers == ["nats://a:4222", "nats://b:4222"]
    assert ctx.creds == "/vault/u.creds" and ctx.nkey == "/home/ann/u.nk"
    assert ctx.jetstream_domain == "hub" and ctx.description is None
    assert "pw-secret" not in repr(ctx)


def test_the_selected_context(config: Path) -> None:
    assert selected_context() is None
    with pytest.raises(natskit.InvalidArgError, match="no context is selected"):
        load_context(True)
    write(config, "prod", url="nats://p:4222")
    (config / "context.txt").write_text("prod\n")
    assert selected_context() == "prod"
    assert load_context(True).url == "nats://p:4222"


def test_missing_bad_and_unsafe_contexts_are_clear_errors(config: Path) -> None:
    with pytest.raises(
        natskit.InvalidArgError, match=r"cannot read the NATS context file .*nope\.json"
    ):
        load_context("nope")
    (config / "context" / "broken.json").write_text("{not json")
    with pytest.raises(natskit.InvalidArgError, match=r"broken\.json' is not a JSON object"):
        load_context("broken")
    (config / "context" / "list.json").write_text("[1]")
    with pytest.raises(natskit.InvalidArgError, match="not a JSON object"):
        load_context("list")
    write(config, "typed", url=5)
    with pytest.raises(natskit.InvalidArgError, match="url must be a string"):
        load_context("typed")
    for name in ("../x", "a/b"):
        with pytest.raises(natskit.InvalidArgError, match="invalid context name"):
            load_context(name)
    write(config, "win", url="tls://h:4222", windows_cert_store="windowscurrentuser")
    with pytest.raises(natskit.InvalidArgError, match="Windows certificate store: not supported"):
        load_context("win")
    write(config, "nsc", nsc="nsc://op/acct/user")
    with pytest.raises(natskit.InvalidArgError, match="nsc lookups"):
        load_context("nsc")
    write(config, "nsc2", nsc="nsc://op", creds="/c.creds", url="nats://h:4222")
    assert load_context("nsc2").creds == "/c.creds"  # both set: nsc would be overridden


def test_an_empty_name_or_a_path_and_user_jwt(config: Path, tmp_path: Path) -> None:
    """ADR-21: an empty name is the selected context; a file anywhere by its
    absolute path; ``user_jwt`` signed with the seed of ``nkey``."""
    with pytest.raises(natskit.InvalidArgError, match="no context is selected"):
        load_context("")
    write(config, "sel", url="nats://sel:4222")
    (config / "context.txt").write_text("sel")
    assert load_context("").url == "nats://sel:4222"
    elsewhere = tmp_path / "team.json"
    elsewhere.write_text(
        json.dumps({"url": "nats://team:4222", "user_jwt": "eyJ-jwt", "nkey": "/k.nk"})
    )
    ctx = load_context(str(elsewhere))
    assert (ctx.name, ctx.path, ctx.url) == ("team", str(elsewhere), "nats://team:4222")
    assert "eyJ-jwt" not in repr(ctx)
    nc = natskit.Connection(context=str(elsewhere))
    assert (nc.options.jwt, nc.options.nkey_seed) == ("eyJ-jwt", "/k.nk")
    write(config, "jwtonly", user_jwt="eyJ-jwt")
    with pytest.raises(natskit.InvalidArgError, match="user_jwt needs nkey"):
        natskit.Connection(context="jwtonly")


def test_connect_options_win_over_the_context(config: Path) -> None:
    write(config, "dev", url="nats://ctx:4222", user="ann", password="pw", inbox_prefix="_CTX")
    nc = natskit.Connection(context="dev")
    assert nc.options.servers == ["nats://ctx:4222"]
    assert (nc.options.user, nc.options.password) == ("ann", "pw")
    assert nc.options.inbox_prefix == "_CTX"
    assert nc.options.context_settings is not None
    assert nc.options.context_settings.name == "dev"
    nc = natskit.Connection("nats://mine:4222", context="dev", token="t", inbox_prefix="_ME")
    assert nc.options.servers == ["nats://mine:4222"]
    assert nc.options.user is None and nc.options.token == "t"  # a credential replaces them all
    assert nc.options.inbox_prefix == "_ME"


def test_nats_context_variable_and_context_false(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config, "env", url="nats://env:4222", token="tok")
    monkeypatch.setenv("NATS_CONTEXT", "env")
    nc = natskit.Connection()
    assert nc.options.servers == ["nats://env:4222"] and nc.options.token == "tok"
    assert natskit.Connection(context=False).options.context_settings is None
    monkeypatch.setenv("NATS_CONTEXT", "missing")
    with pytest.raises(natskit.InvalidArgError, match=r"missing\.json"):
        natskit.Connection()
    with pytest.raises(natskit.InvalidArgError, match="context must be a context name"):
        natskit.Connection(context=3)


def test_context_tls_files_are_loaded_or_named(config: Path) -> None:
    write(config, "tls", url="tls://h:4222", ca=str(config / "none.pem"))
    with pytest.raises(
        natskit.InvalidArgError, match=r"NATS context 'tls': cannot load the CA file"
    ):
        natskit.Connection(context="tls")
