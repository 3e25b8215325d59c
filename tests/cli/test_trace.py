"""``natskit trace SUBJECT``: the trace events of one message (ADR-41)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from natskit.cli import main
from natskit.testing import NatsServer


def test_trace_command(
    nats_server_factory: Callable[..., NatsServer], capsys: pytest.CaptureFixture[str]
) -> None:
    server = nats_server_factory()
    assert main(["-s", server.url, "trace", "no.one", "hi", "--wait", "300ms"]) == 0
    out = capsys.readouterr().out
    assert "(version 2." in out and "ingress no.one (client)" in out
    assert (
        main(["-s", server.url, "trace", "no.one", "--no-deliver", "--json", "--wait", "0.3"]) == 0
    )
    events = json.loads(capsys.readouterr().out)
    assert events[0]["events"][0]["type"] == "in"
