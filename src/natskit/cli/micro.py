"""``service``: find running services (ADR-32) and show their info and stats.

``--json`` prints the answers as the services sent them, as one list sorted
by name and id (``ping``/``ls``: each answer gains ``rtt``, in seconds, for
``ping`` only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from ..errors import NoRespondersError
from .common import add_json_option, show_fields, show_json
from .settings import add_command, duration, open_connection

VERBS = {"ls": "PING", "ping": "PING", "info": "INFO", "stats": "STATS"}


def register(commands: Any) -> None:
    parser = add_command(commands, "service", help="discover services ($SRV.PING|INFO|STATS)")
    parser.add_argument(
        "action",
        choices=list(VERBS),
        help="ls: one line per instance; ping: with round-trip times; info, stats: details",
    )
    parser.add_argument("name", nargs="?", help="only this service")
    parser.add_argument(
        "--wait",
        type=duration,
        default=0.5,
        metavar="DURATION",
        help="time to collect answers: 500ms, 2s, or seconds (default 500ms)",
    )
    add_json_option(parser)
    parser.set_defaults(run=cmd_service)


def _collect(args: argparse.Namespace, subject: str) -> list[dict[str, Any]]:
    """The JSON objects answered on ``subject`` within ``--wait`` (``rtt`` added)."""
    answers = []
    with open_connection(args) as nc:
        start = time.perf_counter()
        try:
            for msg in nc.iter_request_many(subject, b"", timeout=args.wait, stall=args.wait):
                rtt = time.perf_counter() - start
                try:
                    answer = json.loads(msg.data)
                except ValueError:
                    answer = None
                if isinstance(answer, dict):
                    answers.append((answer, rtt))
                else:
                    print(
                        f"natskit: skipping an answer that is not a JSON object: {msg.data[:60]!r}",
                        file=sys.stderr,
                    )
        except (NoRespondersError, TimeoutError):
            pass  # no service answered
    answers.sort(key=lambda a: (str(a[0].get("name", "")), str(a[0].get("id", ""))))
    if args.action == "ping":
        return [{**answer, "rtt": rtt} for answer, rtt in answers]
    return [answer for answer, _ in answers]


def cmd_service(args: argparse.Namespace) -> int:
    subject = f"$SRV.{VERBS[args.action]}" + (f".{args.name}" if args.name else "")
    answers = _collect(args, subject)
    if args.json:
        show_json(answers)
    elif not answers:
        print("no services found")
    elif args.action == "ls":
        for a in answers:
            print(f"{a.get('name')}\t{a.get('version')}\t{a.get('id')}")
    elif args.action == "ping":
        for a in answers:
            print(f"{a.get('name')} {a.get('version')} {a.get('id')}: {a['rtt'] * 1000:.2f} ms")
    elif args.action == "info":
        for a in answers:
            _show_info(a)
    else:
        for a in answers:
            _show_stats(a)
    return 0


def _show_info(a: dict[str, Any]) -> None:
    rows: list[tuple[str, Any]] = [
        ("description", a.get("description") or None),
        ("metadata", a.get("metadata") or None),
    ]
    for ep in a.get("endpoints") or []:
        queue = f" (queue {ep['queue_group']})" if ep.get("queue_group") else ""
        rows.append((f"endpoint {ep.get('name')}", f"{ep.get('subject')}{queue}"))
    show_fields(f"{a.get('name')} {a.get('version')} {a.get('id')}", rows)


def _show_stats(a: dict[str, Any]) -> None:
    rows: list[tuple[str, Any]] = [("started", a.get("started"))]
    for ep in a.get("endpoints") or []:
        average = (ep.get("average_processing_time") or 0) / 1e6  # nanoseconds
        text = (
            f"{ep.get('num_requests', 0)} requests, {ep.get('num_errors', 0)} errors, "
            f"average {average:.3f} ms"
        )
        if ep.get("last_error"):
            text += f", last error: {ep['last_error']}"
        rows.append((f"endpoint {ep.get('name')}", text))
    show_fields(f"{a.get('name')} {a.get('version')} {a.get('id')}", rows)
