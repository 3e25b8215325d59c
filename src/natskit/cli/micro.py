"""``service``: find running services (ADR-32) and show their info and stats."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import NoRespondersError
from .common import show_json
from .settings import add_command, duration, open_connection


def register(commands: Any) -> None:
    parser = add_command(commands, "service", help="discover services ($SRV.PING|INFO|STATS)")
    parser.add_argument(
        "action",
        choices=["ls", "info", "stats"],
        help="ls: one line per instance; info, stats: their JSON",
    )
    parser.add_argument("name", nargs="?", help="only this service")
    parser.add_argument(
        "--wait",
        type=duration,
        default=0.5,
        metavar="DURATION",
        help="time to collect answers: 500ms, 2s, or seconds (default 500ms)",
    )
    parser.set_defaults(run=cmd_service)


def cmd_service(args: argparse.Namespace) -> int:
    verb = {"ls": "PING", "info": "INFO", "stats": "STATS"}[args.action]
    subject = f"$SRV.{verb}" + (f".{args.name}" if args.name else "")
    with open_connection(args) as nc:
        try:
            replies = nc.request_many(subject, b"", timeout=args.wait, stall=args.wait)
        except NoRespondersError:
            replies = []
    answers = []
    for msg in replies:
        try:
            answer = json.loads(msg.data)
        except ValueError:
            answer = None
        if isinstance(answer, dict):
            answers.append(answer)
        else:
            print(
                f"natskit: skipping an answer that is not a JSON object: {msg.data[:60]!r}",
                file=sys.stderr,
            )
    answers.sort(key=lambda a: (str(a.get("name", "")), str(a.get("id", ""))))
    if args.action == "ls":
        for a in answers:
            print(f"{a.get('name')}\t{a.get('version')}\t{a.get('id')}")
        if not answers:
            print("no services found")
    else:
        show_json(answers)
    return 0
