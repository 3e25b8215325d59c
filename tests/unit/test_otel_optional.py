"""natskit without OpenTelemetry: it imports and runs, and ``natskit.otel``
says what to install; the instrumentor is found by its entry point."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

from natskit.testing import NatsServer

# Run where importing "opentelemetry" fails, as when it is not installed.
WITHOUT_OTEL = """
import sys
sys.modules["opentelemetry"] = None
import natskit, natskit.aio
nc = natskit.connect(sys.argv[1])
sub = nc.subscribe("x")
nc.publish("x", b"hi")
assert sub.next_msg(5).data == b"hi"
nc.close()
try:
    import natskit.otel
except ImportError as exc:
    print(exc)
"""


def test_natskit_runs_without_opentelemetry_and_otel_names_the_extra(
    nats_server: NatsServer,
) -> None:
    out = subprocess.run(
        [sys.executable, "-c", WITHOUT_OTEL, nats_server.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "natskit.otel needs the OpenTelemetry API: pip install natskit[otel]" in out


def test_importing_natskit_does_not_import_opentelemetry() -> None:
    code = (
        "import sys, natskit, natskit.aio\n"
        "print(any(m.startswith('opentelemetry') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.strip() == "False"


def test_opentelemetry_instrument_finds_the_instrumentor() -> None:
    from natskit.otel import NatskitInstrumentor

    found = [e for e in entry_points(group="opentelemetry_instrumentor") if e.name == "natskit"]
    assert [e.load() for e in found] == [NatskitInstrumentor]
