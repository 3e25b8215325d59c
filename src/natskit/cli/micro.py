"""``service``: find running services (ADR-32) and show their info and stats."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import NoRespondersError
from .common import open_connection, show_json


def register(commands: Any) -> None:
    parser = commands.add_parser("service", help="discover services ($SRV.PING|INFO|STATS)")
    parser.add_argument(
        "action",
        choices=["ls", "info", "stats"],
        help="ls: one line per instance; info, stats: their JSON",
    )
    parser.add_argument("name", nargs="?", help="only this service")
    parser.add_argument(
        "--wait", type=float, default=0.5, help="seconds to collect answers (default 0.5)"
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
