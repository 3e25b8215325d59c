"""The pure logic of bench/: the report table with n/a columns, finding a Python for
the peers, the peers' uvloop pin (no server, no network)."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


@pytest.fixture(scope="module")
def bench() -> Iterator[SimpleNamespace]:
    """bench/'s modules, imported as run.py imports them (bench/ on sys.path)."""
    sys.path.insert(0, str(BENCH))
    before = set(sys.modules)
    try:
        yield SimpleNamespace(
            report=importlib.import_module("report"),
            cases=importlib.import_module("cases"),
            peers=importlib.import_module("peers"),
        )
    finally:
        sys.path.remove(str(BENCH))
        for name in set(sys.modules) - before:
            del sys.modules[name]


def _result(medians: dict[str, float | None], na: dict[str, str]) -> dict[str, Any]:
    return {
        "median": {c: (None if v is None else {"rate": v}) for c, v in medians.items()},
        "status": {c: (f"n/a: {na[c]}" if c in na else None) for c in medians},
    }


def test_table_shows_na_columns_ratios_and_one_note_per_reason(bench: SimpleNamespace) -> None:
    report: ModuleType = bench.report
    by_name = {c.name: c for c in bench.cases.CASES}
    cases = [by_name["pub_16"], by_name["js_pub_async"]]
    clients = ["natskit.aio", "nats", "nats-core", "nats.go"]
    no_peers = "no Python >= 3.13 found"
    results = {
        "pub_16": _result(
            {"natskit.aio": 2e6, "nats": 5e5, "nats-core": None, "nats.go": 4e6},
            {"nats-core": no_peers},
        ),
        "js_pub_async": _result(
            {"natskit.aio": 1e5, "nats": 5e4, "nats-core": None, "nats.go": 2e5},
            {"nats-core": no_peers},
        ),
    }
    results["js_pub_async"]["runs"] = {"nats.go": [{"rate": 2e5, "note": "PublishAsync"}]}
    lines = report.table(cases, results, clients).splitlines()
    head = lines[0].split()
    assert head == [
        "case",
        "unit",
        "natskit.aio",
        "nats-py",
        "nats-core",
        "nats.go",
        "aio/nats",
        "aio/core",
        "aio/go",
        "target",
    ]
    pub, js = lines[2].split(), lines[3].split()
    assert pub[:6] == ["pub_16", "msgs/s", "2.00M", "500.0k", "n/a", "4.00M"]
    assert pub[6:] == ["4.00x", "-", "0.50x", ">=", "4x"]
    assert js[:6] == ["js_pub_async", "msgs/s", "100.0k", "50.0k", "n/a", "200.0k"]
    assert js[6:9] == ["2.00x", "-", "0.50x"]
    notes = [line.strip() for line in lines if line.startswith("  ")]
    assert notes == [
        f"nats-core: n/a: {no_peers} (every case)",
        "nats.go: js_pub_async: PublishAsync",
    ]


def test_table_drops_ratio_columns_of_clients_not_run(bench: SimpleNamespace) -> None:
    case = next(c for c in bench.cases.CASES if c.name == "pub_16")
    results = {"pub_16": _result({"natskit": 1e6, "nats": 5e5}, {})}
    text = bench.report.table([case], results, ["natskit", "nats"])
    head = text.splitlines()[0].split()
    assert head == ["case", "unit", "natskit", "nats-py", "natskit/nats", "target"]
    assert "ratios of the medians: natskit / nats-py;" in text


def test_ratios_are_named_by_column(bench: SimpleNamespace) -> None:
    res = _result({"natskit": 3.0, "natskit.aio": 4.0, "nats": 2.0, "nats-core": 8.0}, {})
    assert bench.report.ratios(res, "rate") == {
        "natskit/nats": 1.5,
        "aio/nats": 2.0,
        "aio/core": 0.5,
        "aio/go": None,
    }


def _fake_python(path: Path, version: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)


@pytest.mark.skipif(sys.platform == "win32", reason="shell-script interpreters")
def test_find_python_takes_the_oldest_at_least_3_13(bench: SimpleNamespace, tmp_path: Path) -> None:
    bin_dir, pyenv = tmp_path / "bin", tmp_path / "pyenv"
    _fake_python(bin_dir / "python3.12", "3 12")
    _fake_python(bin_dir / "python3.14", "3 14")
    _fake_python(pyenv / "versions" / "3.13.0" / "bin" / "python3", "3 13")
    _fake_python(pyenv / "versions" / "3.11.7" / "bin" / "python3", "3 11")
    peers = bench.peers
    found = peers.find_python(str(bin_dir), str(pyenv))
    assert found == (str(pyenv / "versions" / "3.13.0" / "bin" / "python3"), (3, 13))
    assert peers.find_python(str(bin_dir), str(tmp_path / "none")) == (
        str(bin_dir / "python3.14"),
        (3, 14),
    )
    (bin_dir / "python3.14").unlink()
    assert peers.find_python(str(bin_dir), str(tmp_path / "none")) is None
    assert peers.ensure_peer_venv(str(bin_dir / "python3.12"))[0] is None


def test_peer_uvloop_pin_is_the_dev_extras(bench: SimpleNamespace) -> None:
    dev = re.search(r'"uvloop==([^;"]+)', (ROOT / "pyproject.toml").read_text())
    assert dev is not None
    assert f"uvloop=={dev.group(1)}" in bench.peers.PEER_PACKAGES
