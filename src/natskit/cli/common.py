"""What every command shares: payloads, headers, printing, confirmation."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from .._sync.msg import Msg
from ..headers import Headers


class CliError(Exception):
    """A usage problem found after parsing (printed, exit status 1)."""


def payload(data: str | None) -> bytes:
    """The message body: the argument, or standard input for ``-``."""
    if data == "-":
        return sys.stdin.buffer.read()
    return (data or "").encode()


def headers_of(pairs: Sequence[str] | None) -> Headers | None:
    """``--header Key:Value`` options as ``Headers``."""
    if not pairs:
        return None
    headers = Headers()
    for pair in pairs:
        key, sep, value = pair.partition(":")
        if not sep or not key.strip():
            raise CliError(f"a header is Key:Value, not {pair!r}")
        headers.add(key.strip(), value.strip())
    return headers


def add_header_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-H", "--header", action="append", metavar="KEY:VALUE", help="a header (repeatable)"
    )


def show_msg(msg: Msg, number: int | None = None, *, raw: bool = False) -> None:
    """Print a received message: a header line, its headers, then its data."""
    if raw:
        sys.stdout.buffer.write(msg.data + b"\n")
    else:
        prefix = f"[#{number}] " if number is not None else ""
        reply = f" (reply: {msg.reply})" if msg.reply else ""
        print(f"{prefix}{msg.subject}{reply}: {len(msg.data)} bytes")
        if msg.has_headers:
            for key, value in msg.headers.items():
                print(f"  {key}: {value}")
        print(msg.data.decode(errors="replace"))
    sys.stdout.flush()


def show_json(value: Any) -> None:
    """Print ``value`` as indented JSON (``--json``)."""
    print(json.dumps(value, indent=2, default=str))
    sys.stdout.flush()


ENVELOPE = ("type", "total", "offset", "limit")  # of JetStream API responses, not the info


def api_json(raw: dict[str, Any]) -> dict[str, Any]:
    """A JetStream API response as the server sent it, less its envelope fields."""
    return {key: value for key, value in raw.items() if key not in ENVELOPE}


def add_json_option(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("-j", "--json", action="store_true", help="print JSON")
    return parser


def done(text: str) -> None:
    """Report that a command did what it was asked (every command, the same way)."""
    print(text)
    sys.stdout.flush()


def is_tty(stream: Any) -> bool:
    """Whether ``stream`` is a terminal (False for anything that cannot tell)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # closed, or not a file at all
        return False


def add_force_option(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "-f", "--force", action="store_true", help="act without asking for confirmation"
    )
    return parser


def confirm(args: argparse.Namespace, question: str) -> None:
    """Ask ``question`` on a terminal unless ``--force``; ``CliError`` unless answered yes.

    Without a terminal on standard input there is no one to ask: the command
    is refused (as natscli does), so that a script never deletes by accident.
    """
    if getattr(args, "force", False):
        return
    if not is_tty(sys.stdin):
        raise CliError(f"{question}: refusing without a terminal to confirm; pass -f/--force")
    sys.stderr.write(f"Really {question}? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise CliError("not confirmed: nothing was changed")


def show_fields(title: str, rows: Sequence[tuple[str, Any]]) -> None:
    """Print ``title`` then one aligned ``label: value`` line per row (None skipped)."""
    print(title)
    shown = [(label, value) for label, value in rows if value is not None]
    width = max((len(label) for label, _ in shown), default=0)
    for label, value in shown:
        print(f"  {label + ':':<{width + 1}} {value}")
    sys.stdout.flush()
