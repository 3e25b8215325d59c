"""``import natskit.aio`` leaves the blocking API unloaded; ``natskit`` loads it on first use.

Each check runs in a fresh interpreter, since this one has imported both APIs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

import natskit
from natskit.testing import NatsServer

# The blocking half: the generated package and the primitives only it uses.
BLOCKING = ("natskit._sync", "natskit._io_sync", "natskit._transport_sync")
# natskit.aio.Msg derives from natskit.Msg, so that module (and its package) may load.
SHARED = ["natskit._sync", "natskit._sync.msg"]


def run_fresh(code: str) -> Any:
    """Run ``code`` in a new interpreter; return the JSON it printed last."""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_aio_import_loads_no_blocking_module() -> None:
    loaded = run_fresh(
        "import json, sys, natskit.aio\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({BLOCKING!r}))))"
    )
    assert loaded == SHARED


def test_blocking_names_load_on_first_use() -> None:
    result = run_fresh(
        "import json, sys, natskit.aio\n"
        "import natskit\n"
        "before = 'natskit._sync.connection' in sys.modules\n"
        "cls = natskit.Connection\n"
        "print(json.dumps([before, cls.__module__, natskit.connect.__module__,"
        " 'natskit._sync.connection' in sys.modules]))"
    )
    assert result == [False, "natskit", "natskit", True]  # named by the public path


def test_every_public_name_resolves() -> None:
    for name in natskit.__all__:
        assert getattr(natskit, name) is not None, name
    assert set(natskit.__all__) <= set(dir(natskit))
    namespace: dict[str, Any] = {}
    exec("from natskit import *", namespace)
    assert namespace["Service"] is natskit.Service
    assert natskit.Subscription.__module__ == "natskit"


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="'natskit' has no attribute 'conect'"):
        natskit.conect  # type: ignore[attr-defined]  # noqa: B018


OPENSSL = ("ssl", "_ssl", "hashlib", "_hashlib")


def test_plaintext_client_loads_no_openssl(nats_server: NatsServer) -> None:
    """OpenSSL (ssl, hashlib: about 5 MiB resident) loads only for TLS, WebSocket
    and object-store digests; a plaintext blocking client never loads it."""
    loaded = run_fresh(
        "import json, sys, natskit\n"
        "before = [m for m in sys.modules if m in " + repr(OPENSSL) + "]\n"
        f"nc = natskit.connect({nats_server.url!r})\n"
        "nc.request_future('nobody.listens', b'').exception(5)\n"
        "nc.close()\n"
        "print(json.dumps([before, [m for m in sys.modules if m in " + repr(OPENSSL) + "]]))"
    )
    assert loaded == [[], []]
