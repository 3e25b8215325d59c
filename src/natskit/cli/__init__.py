"""``natskit``: the command-line tool (``natskit --help``, or ``python -m natskit``).

Core NATS (``pub``, ``sub``, ``req``, ``reply``, ``bench``), an embedded
``server``, JetStream (``stream``, ``consumer``), ``kv``, ``object`` and
``service`` discovery, all on the blocking API, with natscli's habits: the
connection options go before or after the command and come from the
environment as natscli reads it (``NATS_URL``, ``NATS_USER``...; see
``settings``), durations read ``5s``/``500ms``, reports take ``--json``,
``rm``/``purge`` ask first (``-f`` does not). docs/cli.md is the guide.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

import natskit

from ..errors import NatsError
from . import core, micro, stores, streams
from .common import CliError
from .settings import GLOBALS, resolve


def version_text() -> str:
    """What ``natskit --version`` prints: the version, and whether the compiled
    accelerator is in use (``natskit.accelerated``)."""
    return f"natskit {natskit.__version__}\naccelerated: {'yes' if natskit.accelerated else 'no'}"


class _Version(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="natskit",
        description="A NATS command-line tool (natskit, blocking API).",
        parents=[GLOBALS],
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    core.register(commands)
    streams.register(commands)
    stores.register(commands)
    micro.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit status: 0 done, 1 an error (one line on standard
    error, no traceback), 2 a usage error (argparse), 130 Ctrl-C, 141 the output
    pipe closed."""
    args = build_parser().parse_args(argv)
    try:
        args.settings = resolve(args)
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
    except OSError as exc:  # a file or terminal problem outside natskit (e.g. stdin)
        print(f"natskit: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
