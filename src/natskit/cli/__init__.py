"""``natskit``: the command-line tool (``natskit --help``, or ``python -m natskit``).

Core NATS (``pub``, ``sub``, ``req``, ``reply``, ``bench``), an embedded
``server``, JetStream (``stream``, ``consumer``), ``kv``, ``object`` and
``service`` discovery, all on the blocking API. The server comes from
``--server`` or ``$NATS_URL`` (default ``nats://127.0.0.1:4222``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .._version import __version__
from ..errors import NatsError
from . import core, jetstream, micro
from .common import CliError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="natskit", description="A NATS command-line tool (natskit, blocking API)."
    )
    parser.add_argument("--version", action="version", version=f"natskit {__version__}")
    parser.add_argument(
        "-s",
        "--server",
        default=os.environ.get("NATS_URL"),
        help="server URL(s), comma-separated (default: $NATS_URL or nats://127.0.0.1:4222)",
    )
    parser.add_argument("--user", help="user name")
    parser.add_argument("--password", help="password")
    parser.add_argument("--token", help="authentication token")
    parser.add_argument("--creds", help="a .creds file (JWT and NKey seed)")
    parser.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for replies (default 5)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    core.register(commands)
    jetstream.register(commands)
    micro.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit status: 0 done, 1 an error (printed), 2 a usage error
    (argparse), 130 Ctrl-C, 141 the output pipe closed."""
    args = build_parser().parse_args(argv)
    try:
        result: int = args.run(args)
        return result
    except (NatsError, CliError) as exc:
        print(f"natskit: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `natskit sub x | head`: stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
