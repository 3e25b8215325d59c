"""One benchmark measurement in a fresh process; started by ``run.py``.

    worker.py run CLIENT CASE PARAMS-JSON   run a case, print ``RESULT {json}``
    worker.py sub CLIENT PARAMS-JSON        pubsub_2p subscriber: ``READY``, then ``RESULT``
    worker.py responder URL                 raw-socket responder on the request subject
    worker.py blast PARAMS-JSON             raw-socket publisher (for the RSS case)

CLIENT is ``natskit``, ``natskit.aio``, ``nats`` (nats-py), ``nats-core``,
``natsio`` (these two from the peers' virtualenv) or ``raw``; nats.go has a
worker of its own (bench/go/worker.go) that speaks the same protocol.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import subprocess
import sys
import traceback
from importlib.util import find_spec
from types import ModuleType
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = {
    "natskit": "client_natskit",
    "natskit.aio": "client_natskit_aio",
    "nats": "client_natspy",
    "nats-core": "client_natscore",
    "natsio": "client_natsio",
    "raw": "rawnats",
}
ASYNCIO = {"natskit.aio", "nats", "nats-core", "natsio"}  # the clients --loop applies to


def _load(client: str) -> ModuleType:
    try:
        import natskit  # noqa: F401
    except ImportError:  # run with a python that lacks the editable install
        sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))
    return importlib.import_module(MODULES[client])


def emit(tag: str, value: Any = None) -> None:
    """Print one line for the parent process."""
    text = tag if value is None else f"{tag} {json.dumps(value)}"
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The next stdout line of ``proc`` within ``timeout`` seconds ("" at EOF or timeout)."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline() if ready else ""


def pubsub_2p(client: str, mod: ModuleType, p: dict[str, Any]) -> dict[str, Any]:
    """Subscriber in a child process, publisher here; rate from first publish to last receipt."""
    cmd = [sys.executable, os.path.join(HERE, "worker.py"), "sub", client, json.dumps(p)]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        line = _read_line(child, 30.0)
        if line.strip() != "READY":
            return {"error": f"subscriber did not start: {line.strip()!r}"}
        t0 = mod.publish_for_2p(p)
        result: dict[str, Any] = {}
        while True:
            line = _read_line(child, float(p["max_seconds"]) + 30.0)
            if not line:
                return {"error": "subscriber gave no result"}
            if line.startswith("RESULT "):
                result = json.loads(line[7:])
                break
        if "error" in result:
            return result
        elapsed = result["last"] - t0
        count = result["count"]
        return {"count": count, "elapsed": elapsed, "rate": count / elapsed if elapsed else 0.0}
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()


def main(argv: list[str]) -> int:
    mode = argv[0]
    if mode == "responder":
        _load("raw").responder(argv[1])
        return 0
    if mode == "blast":
        args = json.loads(argv[1])
        _load("raw").blast(args["url"], args["subject"], args["size"], args["n"])
        return 0
    client = argv[1]
    if mode == "run" and argv[2] == "import":  # fresh interpreters of its own
        import importtime

        if client not in importtime.STATEMENTS:
            emit("RESULT", {"na": f"no {client} variant"})
        else:
            emit("RESULT", importtime.measure([client], json.loads(argv[3])["n"])[client])
        return 0
    params = json.loads(argv[2] if mode == "sub" else argv[3])
    if params.get("loop") == "uvloop" and client in ASYNCIO and not find_spec("uvloop"):
        emit("RESULT", {"na": f"uvloop is not installed for {sys.executable}"})
        return 0
    try:
        mod = _load(client)
    except ImportError as exc:
        emit("RESULT", {"na": f"cannot import {client}: {exc}"})
        return 0
    try:
        if mode == "sub":
            result = mod.sub_process(params, lambda: emit("READY"))
        else:
            case = argv[2]
            if case == "pubsub_2p":
                result = pubsub_2p(client, mod, params)
            elif case in mod.CASES:
                result = mod.CASES[case](params)
            else:
                result = {"na": f"no {client} variant"}
    except Exception as exc:
        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"}
    emit("RESULT", result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
