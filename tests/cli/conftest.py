"""The CLI reads natscli's environment variables and contexts: no test sees
those of the machine (XDG_CONFIG_HOME is a fresh directory)."""

from __future__ import annotations

from pathlib import Path

import pytest

VARIABLES = ("URL", "USER", "PASSWORD", "TOKEN", "CREDS", "NKEY", "CERT", "KEY", "CA", "TIMEOUT")


@pytest.fixture(autouse=True)
def clean_nats_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    for name in (*VARIABLES, "CONTEXT", "JWT", "SEED"):
        monkeypatch.delenv(f"NATS_{name}", raising=False)
