"""What bench/run.py prints and draws: medians, ratios, the table and the chart."""

from __future__ import annotations

import statistics
from typing import Any

import pngchart
from cases import UNITS, Case

CLIENTS = ["natskit", "natskit.aio", "nats", "nats-core", "natsio", "nats.go", "raw"]
LABELS = {
    "natskit": "natskit",
    "natskit.aio": "natskit.aio",
    "nats": "nats-py",
    "nats-core": "nats-core",
    "natsio": "natsio",
    "nats.go": "nats.go",
    "raw": "raw",
}
# The ratio columns of the table: (heading, client, reference client).
RATIOS = [
    ("natskit/nats", "natskit", "nats"),
    ("aio/nats", "natskit.aio", "nats"),
    ("aio/core", "natskit.aio", "nats-core"),
    ("aio/go", "natskit.aio", "nats.go"),
]


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Median of every numeric field over the successful runs; None if none was."""
    ok = [r for r in runs if "na" not in r and "error" not in r]
    if not ok:
        return None
    keys = [k for k, v in ok[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    out: dict[str, Any] = {k: statistics.median(r[k] for r in ok if k in r) for k in keys}
    out["rounds"] = len(ok)
    return out


def status_of(runs: list[dict[str, Any]]) -> str | None:
    """ "n/a: ..." or "error: ..." when no run succeeded."""
    if not runs or median_of(runs) is not None:
        return None
    first = runs[0]
    return f"n/a: {first['na']}" if "na" in first else f"error: {first.get('error')}"


def fmt(value: float | None, metric: str) -> str:
    if value is None:
        return "-"
    if metric == "rate":
        if value >= 1e6:
            return f"{value / 1e6:.2f}M"
        if value >= 1e3:
            return f"{value / 1e3:.1f}k"
        return f"{value:.0f}"
    return f"{value:.1f}" if value < 1000 else f"{value:,.0f}"


def ratio(case_result: dict[str, Any], client: str, metric: str, ref: str = "nats") -> float | None:
    """Median of ``client`` / median of ``ref`` (None when either is missing)."""
    mine = (case_result["median"].get(client) or {}).get(metric)
    theirs = (case_result["median"].get(ref) or {}).get(metric)
    if not mine or not theirs:
        return None
    return float(mine) / float(theirs)


def ratios(case_result: dict[str, Any], metric: str) -> dict[str, float | None]:
    """Every ratio column of ``RATIOS`` for one case: heading -> value."""
    return {head: ratio(case_result, c, metric, ref) for head, c, ref in RATIOS}


def table(cases: list[Case], results: dict[str, Any], clients: list[str]) -> str:
    """The plain-text table of medians and ratios, with the reasons for n/a and errors."""
    shown = [c for c in CLIENTS if c in clients]
    rel_cols = [(h, c, ref) for h, c, ref in RATIOS if c in shown and ref in shown]
    head = ["case", "unit"] + [LABELS[c] for c in shown] + [h for h, _, _ in rel_cols] + ["target"]
    rows: list[list[str]] = []
    notes: dict[tuple[str, str], list[str]] = {}  # (client, status) -> cases
    variants: list[str] = []  # what a client ran instead, from its results' "note"
    for case in cases:
        res = results[case.name]
        for client in shown:
            note = next((r["note"] for r in res.get("runs", {}).get(client, []) if "note" in r), "")
            if note:
                variants.append(f"  {LABELS[client]}: {case.name}: {note}")
        metrics = [(case.metric, case.name)]
        if case.metric == "p50_us":
            metrics += [
                ("p90_us", f"{case.name} p90"),
                ("p99_us", f"{case.name} p99"),
                ("rate", f"{case.name} req/s"),
            ]
        for metric, label in metrics:
            unit = case.unit if metric == "rate" else UNITS.get(metric, metric)
            if case.metric == "p50_us" and metric == "rate":
                unit = "req/s"
            row = [label, unit]
            for client in shown:
                med = res["median"].get(client)
                st = res["status"].get(client)
                if med is None:
                    row.append("n/a" if st and st.startswith("n/a") else ("err" if st else "-"))
                    if st and client != "raw" and metric == case.metric:
                        notes.setdefault((client, st), []).append(case.name)
                else:
                    row.append(fmt(med.get(metric), metric))
            for _, client, ref in rel_cols:
                rel = ratio(res, client, metric, ref)
                row.append("-" if rel is None else f"{rel:.2f}x")
            tgt = case.target if metric == case.metric else None
            row.append(f"{tgt[0]} {tgt[1]:g}x" if tgt else "")
            rows.append(row)
    flat = [c for c in cases if c.name in ("scale_1", "scale_10k")]
    if len(flat) == 2:
        row = ["scale 10k/1", "ratio"]
        for client in shown:
            lo = (results["scale_1"]["median"].get(client) or {}).get("ns_per_msg")
            hi = (results["scale_10k"]["median"].get(client) or {}).get("ns_per_msg")
            row.append(f"{hi / lo:.2f}" if lo and hi else "-")
        rows.append([*row, *([""] * len(rel_cols)), "flat"])
    widths = [
        max(len(line[i]) for line in [head, *rows] if i < len(line)) for i in range(len(head))
    ]
    lines = [
        "  ".join(
            h.ljust(w) if i < 2 else h.rjust(w)
            for i, (h, w) in enumerate(zip(head, widths, strict=False))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append(
            "  ".join(
                v.ljust(w) if i < 2 else v.rjust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=False))
            ).rstrip()
        )
    named = ", ".join(f"{LABELS[c]} / {LABELS[ref]}" for _, c, ref in rel_cols)
    lines.append(
        (f"ratios of the medians: {named}; " if named else "")
        + "msgs/s: higher is better; us, ns/msg, MiB, ms: lower is better"
    )
    everything = [c.name for c in cases]
    for (client, note), where in notes.items():
        which = "every case" if where == everything else ", ".join(where)
        lines.append(f"  {LABELS[client]}: {note} ({which})")
    return "\n".join(lines + variants)


def chart(path: str, cases: list[Case], results: dict[str, Any]) -> None:
    """Bars of natskit's speed-up over nats-py per case (inverted for lower-is-better)."""
    groups = []
    targets: list[float | None] = []
    for case in cases:
        values = []
        for client in ("natskit", "natskit.aio"):
            r = ratio(results[case.name], client, case.metric)
            values.append(None if r is None else (1 / r if case.lower_is_better else r))
        if any(v is not None for v in values):
            groups.append((case.name, values))
            target = case.target[1] if case.target else None
            targets.append(1 / target if target and case.lower_is_better else target)
    title = "natskit speed-up over nats-py (median; latency, ns/msg and RSS inverted)"
    pngchart.bar_chart(
        path, title, groups, ["natskit (blocking)", "natskit.aio"], reference=1.0, targets=targets
    )
