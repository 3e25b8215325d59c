"""The cases of bench/run.py: what each runs, its metric, message counts and target."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from common import SCALE_SUBJECT


@dataclass
class Case:
    """One row of the table (``kind`` is the worker case it runs)."""

    name: str
    kind: str
    metric: str  # "rate", "p50_us", "ns_per_msg", "rss_peak_mb" or "import_ms"
    n: tuple[int, int]  # messages or operations: (full, --quick)
    params: dict[str, Any] = field(default_factory=dict)
    target: tuple[str, float] | None = None  # (">=" or "<=", ratio natskit / nats-py)
    setup: str | None = None  # "responder", "js_pub", "js_batch", "js_pull" or "kv"
    raw: bool = True
    doc: str = ""
    unit: str = "msgs/s"  # of the "rate" metric
    min_n: int = 100  # the least n that --scale leaves

    @property
    def lower_is_better(self) -> bool:
        return self.metric != "rate"


CASES = [
    Case(
        "pub_16",
        "pub",
        "rate",
        (2_000_000, 200_000),
        {"size": 16},
        (">=", 4.0),
        doc="publish 16 B payloads, then flush",
    ),
    Case(
        "pub_128",
        "pub",
        "rate",
        (2_000_000, 200_000),
        {"size": 128},
        (">=", 4.0),
        doc="publish 128 B payloads, then flush",
    ),
    Case(
        "pub_1k",
        "pub",
        "rate",
        (1_000_000, 100_000),
        {"size": 1024},
        (">=", 2.0),
        doc="publish 1 KiB payloads, then flush",
    ),
    Case(
        "pub_64k",
        "pub",
        "rate",
        (20_000, 2_000),
        {"size": 64 * 1024},
        doc="publish 64 KiB payloads, then flush",
    ),
    Case(
        "pub_1m",
        "pub",
        "rate",
        (2_000, 200),
        {"size": 1024 * 1024},
        doc="publish 1 MiB payloads (the server's max_payload), then flush",
    ),
    Case(
        "pubsub_1p",
        "pubsub_1p",
        "rate",
        (500_000, 100_000),
        {"size": 16},
        (">=", 5.0),
        doc="publisher and callback subscriber on one connection, 16 B",
    ),
    Case(
        "pubsub_2p",
        "pubsub_2p",
        "rate",
        (500_000, 100_000),
        {"size": 16},
        (">=", 5.0),
        doc="callback subscriber in its own process (same client), 16 B",
    ),
    Case(
        "req_seq",
        "req_seq",
        "p50_us",
        (10_000, 2_000),
        {"size": 16, "warmup": 200},
        ("<=", 0.5),
        "responder",
        doc="sequential request/reply, 16 B (latency)",
    ),
    Case(
        "req_conc",
        "req_conc",
        "rate",
        (100_000, 20_000),
        {"size": 16, "window": 1000},
        setup="responder",
        doc="1,000 concurrent requests in flight, 16 B",
        unit="req/s",
    ),
    Case(
        "js_pub_sync",
        "js_pub_sync",
        "rate",
        (10_000, 1_000),
        {"size": 16},
        (">=", 1.5),
        "js_pub",
        doc="JetStream publish, one at a time with ack",
    ),
    Case(
        "js_pub_async",
        "js_pub_async",
        "rate",
        (100_000, 10_000),
        {"size": 16, "window": 256},
        (">=", 4.0),
        "js_pub",
        doc="JetStream publish, at most 256 acks in flight",
    ),
    Case(
        "js_batch",
        "js_batch",
        "rate",
        (100_000, 10_000),
        {"size": 16, "batch": 100},
        None,
        "js_batch",
        raw=False,
        doc="JetStream atomic batches of 100 (ADR-50), one ack per batch",
    ),
    Case(
        "js_fetch",
        "js_fetch",
        "rate",
        (100_000, 5_000),
        {"size": 16, "batch": 100},
        (">=", 4.0),
        "js_pull",
        doc="fetch batches of 100 + ack each, durable pull consumer",
    ),
    Case(
        "js_consume",
        "js_consume",
        "rate",
        (100_000, 5_000),
        {"size": 16},
        None,
        "js_pull",
        raw=False,
        doc="consume() with a callback that acks",
    ),
    Case(
        "kv_put",
        "kv_put",
        "rate",
        (5_000, 1_000),
        {"size": 16},
        (">=", 2.0),
        "kv",
        doc="KV put, 100 keys in turn",
        unit="ops/s",
    ),
    Case(
        "kv_get",
        "kv_get",
        "rate",
        (10_000, 2_000),
        {"size": 16},
        (">=", 2.0),
        "kv",
        doc="KV get, 100 keys in turn",
        unit="ops/s",
    ),
    Case(
        "kv_get_many",
        "kv_get_many",
        "rate",
        (2_000, 400),
        {"size": 16},
        None,
        "kv",
        raw=False,
        doc="KV get_many of the 100 keys: one batched direct get per call",
        unit="calls/s",
    ),
    Case(
        "scale_1",
        "pubsub_1p",
        "ns_per_msg",
        (300_000, 30_000),
        {"size": 16, "subject": SCALE_SUBJECT, "extra_subs": 0},
        raw=False,
        doc="pub+sub cost per message, 1 subscription on the connection",
    ),
    Case(
        "scale_100",
        "pubsub_1p",
        "ns_per_msg",
        (300_000, 30_000),
        {"size": 16, "subject": SCALE_SUBJECT, "extra_subs": 99},
        raw=False,
        doc="the same with 99 idle subscriptions on other subjects",
    ),
    Case(
        "scale_10k",
        "pubsub_1p",
        "ns_per_msg",
        (300_000, 30_000),
        {"size": 16, "subject": SCALE_SUBJECT, "extra_subs": 9_999},
        raw=False,
        doc="the same with 9,999 idle subscriptions on other subjects",
    ),
    Case(
        "rss_1m",
        "rss",
        "rss_peak_mb",
        (1_000_000, 200_000),
        {"size": 16},
        ("<=", 1.0),
        raw=False,
        doc="peak RSS of a process receiving N messages (raw publisher)",
    ),
    Case(
        "import",
        "import",
        "import_ms",
        (10, 5),
        {},
        ("<=", 1.0),
        raw=False,
        doc="import time (python -X importtime), N fresh interpreters (bench/importtime.py)",
        min_n=1,
    ),
]
GROUPS = {
    "core": [
        "pub_16",
        "pub_128",
        "pub_1k",
        "pub_64k",
        "pub_1m",
        "pubsub_1p",
        "pubsub_2p",
        "req_seq",
        "req_conc",
    ],
    "pub": ["pub_16", "pub_128", "pub_1k", "pub_64k", "pub_1m"],
    "pubsub": ["pubsub_1p", "pubsub_2p"],
    "req": ["req_seq", "req_conc"],
    "js": ["js_pub_sync", "js_pub_async", "js_batch", "js_fetch", "js_consume"],
    "kv": ["kv_put", "kv_get", "kv_get_many"],
    "scale": ["scale_1", "scale_100", "scale_10k"],
    "rss": ["rss_1m"],
    "import": ["import"],
}
UNITS = {
    "rate": "msgs/s",
    "p50_us": "p50 us",
    "p90_us": "p90 us",
    "p99_us": "p99 us",
    "ns_per_msg": "ns/msg",
    "rss_peak_mb": "MiB",
    "import_ms": "ms",
}


def select_cases(spec: str | None) -> list[Case]:
    if not spec:
        return list(CASES)
    names: list[str] = []
    by_name = {c.name: c for c in CASES}
    for item in spec.split(","):
        item = item.strip()
        if item in GROUPS:
            names += GROUPS[item]
        elif item in by_name:
            names.append(item)
        elif item:
            raise SystemExit(f"unknown case {item!r}; see --list")
    return [by_name[n] for n in dict.fromkeys(names)]
