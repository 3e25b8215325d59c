"""Connection settings: the global options, durations, and where each value comes from.

Values are merged from layers, lowest first: the built-in defaults, a
natscli context (``--context NAME`` or ``NATS_CONTEXT``, else the selected
one of ``context.txt``), the environment (the variables natscli reads), then
the command-line flags: as in natscli, the variables act as flags and
override the context (see ``LAYERS``).
"""

from __future__ import annotations

import argparse
import os
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from .._sync.connecting import connect
from .._sync.connection import Connection
from ..contexts import ENV_VAR, load_context, selected_context
from .common import CliError

# Go's time.ParseDuration units, as natscli accepts them ("1m30s", "500ms", "1.5h").
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Seconds from ``5s``, ``500ms``, ``2m``, ``1h``, ``1m30s`` or a bare number of
    seconds; ``ValueError`` otherwise (negative values included)."""
    value = text.strip()
    try:
        seconds = float(value)
    except ValueError:
        pos, seconds = 0, 0.0
        while pos < len(value):
            match = _PART.match(value, pos)
            if match is None:
                break
            seconds += float(match[1]) * _UNITS[match[2]]
            pos = match.end()
        if not value or pos != len(value):
            raise ValueError(
                f"invalid duration {text!r} (e.g. 5s, 500ms, 2m, 1h, or seconds)"
            ) from None
    if not seconds >= 0 or seconds == float("inf"):  # NaN, negative, inf
        raise ValueError(f"invalid duration {text!r}: must be a finite, non-negative time")
    return seconds


def duration(text: str) -> float:
    """``parse_duration`` as an argparse ``type`` (a bad value is a usage error)."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


@dataclass(frozen=True)
class Settings:
    """The merged connection settings of one run (``resolve``)."""

    server: str | None = None
    user: str | None = None
    password: str | None = None
    token: str | None = None
    creds: str | None = None
    nkey: str | None = None
    tlscert: str | None = None
    tlskey: str | None = None
    tlsca: str | None = None
    tlsfirst: bool = False
    timeout: float = 5.0
    # from a natscli context only
    inbox_prefix: str | None = None
    jetstream_domain: str | None = None
    jetstream_api_prefix: str | None = None

    def __repr__(self) -> str:  # never show a secret
        return f"Settings(server={self.server!r}, timeout={self.timeout!r})"


# The environment variables natscli reads, by setting.
ENVIRONMENT = {
    "server": "NATS_URL",
    "user": "NATS_USER",
    "password": "NATS_PASSWORD",
    "token": "NATS_TOKEN",
    "creds": "NATS_CREDS",
    "nkey": "NATS_NKEY",
    "tlscert": "NATS_CERT",
    "tlskey": "NATS_KEY",
    "tlsca": "NATS_CA",
    "timeout": "NATS_TIMEOUT",
}
# Naming one of these in a layer replaces the credentials of the layers below it
# (``--token`` beats ``NATS_USER``/``NATS_PASSWORD``); ``password`` alone adds to them.
_IDENTITY = ("user", "token", "creds", "nkey")
_CREDENTIALS = ("user", "password", "token", "creds", "nkey")


def env_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings given by the environment (empty variables count as unset)."""
    layer: dict[str, Any] = {}
    for name, var in ENVIRONMENT.items():
        value = environ.get(var)
        if not value:
            continue
        if name == "timeout":
            try:
                layer[name] = parse_duration(value)
            except ValueError as exc:
                raise CliError(f"${var}: {exc}") from None
        else:
            layer[name] = value
    return layer


def flag_layer(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given as global flags (before or after the command)."""
    return {f.name: getattr(args, f.name) for f in fields(Settings) if hasattr(args, f.name)}


# A context's fields, by setting.
CONTEXT_FIELDS = {
    "server": "url",
    "user": "user",
    "password": "password",
    "token": "token",
    "creds": "creds",
    "nkey": "nkey",
    "tlscert": "cert",
    "tlskey": "key",
    "tlsca": "ca",
    "tlsfirst": "tls_first",
    "inbox_prefix": "inbox_prefix",
    "jetstream_domain": "jetstream_domain",
    "jetstream_api_prefix": "jetstream_api_prefix",
}


def context_layer(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings of the natscli context: ``--context``, else ``NATS_CONTEXT``,
    else the selected one (none selected: no layer)."""
    name = getattr(args, "context", None) or environ.get(ENV_VAR) or selected_context()
    if not name:
        return {}
    ctx = load_context(name)
    layer = {key: getattr(ctx, field) for key, field in CONTEXT_FIELDS.items()}
    return {key: value for key, value in layer.items() if value}


# The layers, lowest first.
LAYERS: tuple[tuple[str, Callable[[argparse.Namespace, Mapping[str, str]], dict[str, Any]]], ...]
LAYERS = (
    ("context", context_layer),
    ("environment", lambda args, environ: env_layer(environ)),
    ("flags", lambda args, environ: flag_layer(args)),
)


def merge(layers: list[dict[str, Any]]) -> Settings:
    """Later layers win, field by field, except for credentials (see ``_IDENTITY``)."""
    merged: dict[str, Any] = {}
    for layer in layers:
        if any(layer.get(name) for name in _IDENTITY):
            for name in _CREDENTIALS:
                merged.pop(name, None)
        merged.update(layer)
    return Settings(**merged)


def resolve(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    """The settings of this run: the environment, then the flags."""
    env = os.environ if environ is None else environ
    return merge([layer(args, env) for _, layer in LAYERS])


def _tls_context(s: Settings) -> ssl.SSLContext | None:
    if not (s.tlscert or s.tlskey or s.tlsca or s.tlsfirst):
        return None
    if s.tlskey and not s.tlscert:
        raise CliError("a TLS key (--tlskey, $NATS_KEY) needs its certificate (--tlscert)")
    what = f"the TLS CA file {s.tlsca}"
    try:
        ctx = ssl.create_default_context(cafile=s.tlsca)
        if s.tlscert:
            what = f"the TLS certificate {s.tlscert}" + (f" or key {s.tlskey}" if s.tlskey else "")
            ctx.load_cert_chain(s.tlscert, s.tlskey)
    except OSError as exc:  # ssl.SSLError too; neither quotes the files' content
        raise CliError(f"cannot load {what}: {exc.strerror or exc}") from None
    return ctx


def connect_options(s: Settings) -> tuple[list[str] | None, dict[str, Any]]:
    """``connect()`` arguments for ``s``: the server URLs and the keyword options."""
    servers = [url.strip() for url in (s.server or "").split(",") if url.strip()] or None
    options: dict[str, Any] = {
        "name": "natskit-cli",
        "request_timeout": s.timeout,
        "connect_timeout": s.timeout,
        "max_reconnect_attempts": 0,
        "context": False,  # the context layer was merged above
    }
    if s.user and not s.password:
        options["token"] = s.user  # as natscli: a user without a password is a token
    elif s.user:
        options["user"], options["password"] = s.user, s.password
    if s.token:
        options["token"] = s.token
    if s.creds:
        options["creds"] = s.creds
    if s.nkey:
        options["nkey_seed"] = s.nkey
    tls = _tls_context(s)
    if tls is not None:
        options["tls"] = tls
    if s.tlsfirst:
        options["tls_handshake_first"] = True
    if s.inbox_prefix:
        options["inbox_prefix"] = s.inbox_prefix
    return servers, options


def open_connection(args: argparse.Namespace) -> Connection:
    """Connect with the settings of this run (``args.settings``, else resolved now)."""
    settings = getattr(args, "settings", None) or resolve(args)
    servers, options = connect_options(settings)
    return connect(servers, **options)


def _global_options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    g = parser.add_argument_group("connection options (before or after the command)")
    hide = argparse.SUPPRESS  # unset flags stay out of args: lower layers then apply

    def add(*names: str, **kw: Any) -> None:
        g.add_argument(*names, default=hide, **kw)

    add("--context", metavar="NAME", help="a natscli context to use ($NATS_CONTEXT)")
    add("-s", "--server", metavar="URL", help="server URL(s), comma-separated ($NATS_URL)")
    add("--user", help="user name, or a token without --password ($NATS_USER)")
    add("--password", help="password ($NATS_PASSWORD)")
    add("--token", help="authentication token ($NATS_TOKEN)")
    add("--creds", metavar="FILE", help="user credentials, a .creds file ($NATS_CREDS)")
    add("--nkey", metavar="FILE", help="a file holding the user's NKey seed ($NATS_NKEY)")
    add("--tlscert", metavar="FILE", help="TLS client certificate ($NATS_CERT)")
    add("--tlskey", metavar="FILE", help="TLS client private key ($NATS_KEY)")
    add("--tlsca", metavar="FILE", help="TLS certificate authorities ($NATS_CA)")
    add(
        "--tlsfirst",
        "--tls-first",
        action="store_true",
        help="TLS handshake before the server's greeting",
    )
    add(
        "--timeout",
        type=duration,
        metavar="DURATION",
        help="time to wait for answers: 5s, 500ms, 2m, or seconds ($NATS_TIMEOUT; default 5s)",
    )
    return parser


GLOBALS = _global_options()


def add_command(commands: Any, name: str, **kwargs: Any) -> argparse.ArgumentParser:
    """A (sub)command parser that also takes the global options."""
    parser: argparse.ArgumentParser = commands.add_parser(name, parents=[GLOBALS], **kwargs)
    return parser
