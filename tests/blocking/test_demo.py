"""The quick start's demo runs its whole tour against a real server."""

from __future__ import annotations

import pytest

from natskit import demo
from natskit.testing import NatsServer


def test_the_demo_tours_every_part(
    jetstream_server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo.main(["--server", jetstream_server.url]) == 0
    out = capsys.readouterr().out
    for expected in (
        "== blocking API (natskit) ==",
        "published order 2: stream DEMO, seq 3",
        "the same msg_id again is a duplicate: True",
        "kv color = b'green'",
        "read back intact: True",
        "demo.add 1 2 3 -> b'6'",
        "$SRV.PING.demo-calc answered: demo-calc 1.0.0",
    ):
        assert expected in out
