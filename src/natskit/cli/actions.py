"""Commands with actions (``natskit stream ls``): one JetStream context per run."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from .._sync.jetstream import JetStream
from .settings import add_command, open_connection

Action = Callable[[JetStream, argparse.Namespace], Any]


def group(commands: Any, name: str, help: str) -> Any:
    """A command whose actions are registered with ``action``."""
    parser = add_command(commands, name, help=help)
    parser.set_defaults(run=_run)
    return parser.add_subparsers(dest="action", metavar="ACTION", required=True)


def action(group: Any, name: str, fn: Action, help: str, *positional: str) -> Any:
    """An action of ``group`` run as ``fn(js, args)``; it takes the global options too."""
    parser = add_command(group, name, help=help)
    for arg in positional:
        parser.add_argument(arg)
    parser.set_defaults(action_fn=fn)
    return parser


def _run(args: argparse.Namespace) -> int:
    with open_connection(args) as nc:
        s = args.settings  # the domain or API prefix of a natscli context, if any
        js = nc.jetstream(
            timeout=s.timeout, domain=s.jetstream_domain, api_prefix=s.jetstream_api_prefix
        )
        args.action_fn(js, args)
    return 0
