"""The CLI reads natscli's environment variables: no test sees those of the machine."""

from __future__ import annotations

import pytest

VARIABLES = ("URL", "USER", "PASSWORD", "TOKEN", "CREDS", "NKEY", "CERT", "KEY", "CA", "TIMEOUT")


@pytest.fixture(autouse=True)
def clean_nats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*VARIABLES, "CONTEXT", "JWT", "SEED"):
        monkeypatch.delenv(f"NATS_{name}", raising=False)
