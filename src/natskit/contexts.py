"""natscli contexts (ADR-21): the connection settings saved by ``nats context``.

A context is ``<config>/nats/context/<name>.json``, where ``<config>`` is
``$XDG_CONFIG_HOME`` or else ``~/.config``; ``<config>/nats/context.txt``
names the selected one. ``connect(context="name")`` (or the ``NATS_CONTEXT``
environment variable) reads one; ``context=True`` (or ``""``) the selected
one; an absolute path names a context file anywhere.
Options given to ``connect()`` win over the context's, one by one; any
credential given to ``connect()`` replaces all of the context's.

Only the small JSON file is read here (and the certificates of ``cert``,
``key`` and ``ca`` by ``ssl``); nothing of its content is quoted in errors.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InvalidArgError

if TYPE_CHECKING:
    import ssl

ENV_VAR = "NATS_CONTEXT"
# connect() options that carry credentials: naming one ignores the context's
CREDENTIAL_OPTIONS = ("user", "password", "token", "nkey_seed", "creds", "jwt", "signature_cb")


@dataclass(frozen=True)
class NatsContext:
    """A natscli context as read from its file (empty fields are None).

    Attributes:
        name: The context's name (its file name without ``.json``).
        path: The file it was read from.
        url: The server URL(s), comma-separated.
        user: The user name.
        password: The password of ``user``.
        token: An authentication token.
        creds: The path of a ``.creds`` file (``~`` and ``$VARS`` expanded).
        nkey: The path of a file holding an NKey seed.
        user_jwt: A user JWT, signed with the seed of ``nkey``.
        cert: The TLS client certificate file.
        key: The TLS client key file.
        ca: The TLS certificate authorities file.
        tls_first: TLS before the server's INFO.
        inbox_prefix: The prefix of reply subjects.
        jetstream_domain: The JetStream domain ``jetstream()`` uses by default.
        jetstream_api_prefix: The JetStream API prefix ``jetstream()`` uses by default.
        description: The context's description.
    """

    name: str
    path: str
    url: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    creds: str | None = None
    nkey: str | None = None
    user_jwt: str | None = field(default=None, repr=False)
    cert: str | None = None
    key: str | None = None
    ca: str | None = None
    tls_first: bool = False
    inbox_prefix: str | None = None
    jetstream_domain: str | None = None
    jetstream_api_prefix: str | None = None
    description: str | None = None

    @property
    def servers(self) -> list[str] | None:
        """``url`` as a list of URLs (None when the context has none)."""
        urls = [u.strip() for u in (self.url or "").split(",") if u.strip()]
        return urls or None


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/nats``, else ``~/.config/nats`` (as natscli)."""
    parent = os.environ.get("XDG_CONFIG_HOME")
    return Path(parent if parent else Path.home() / ".config") / "nats"


def selected_context() -> str | None:
    """The name in ``context.txt`` (None when there is none)."""
    try:
        name = (config_dir() / "context.txt").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return name or None


def _expand_home(value: str | None) -> str | None:
    return os.path.expanduser(value) if value else None


# ADR-21 fields natskit cannot honour: refused rather than silently left out
_UNSUPPORTED = {
    "windows_cert_store": "the Windows certificate store",
    "nsc": "nsc lookups (set creds and url instead)",
}


def _context_path(name: str | bool) -> tuple[str, Path]:
    """The name and file of the context ``name`` (True or "": the selected one)."""
    if name is True or name == "":
        selected = selected_context()
        if selected is None:
            raise InvalidArgError(
                f"context={name!r}: no context is selected ({config_dir() / 'context.txt'})"
            )
        name = selected
    if isinstance(name, str) and os.path.isabs(name):
        return Path(name).stem, Path(name)
    if not isinstance(name, str) or ".." in name or "/" in name or os.sep in name:
        raise InvalidArgError(f"invalid context name {name!r}")
    return name, config_dir() / "context" / f"{name}.json"


def load_context(name: str | bool) -> NatsContext:
    """Read the context ``name`` (True or "": the selected one; an absolute path:
    that file); ``InvalidArgError`` naming the file when it is missing or not a
    context's JSON, or uses what natskit cannot do (``windows_cert_store``, ``nsc``)."""
    name, path = _context_path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidArgError(
            f"cannot read the NATS context file {str(path)!r}: {exc.strerror or exc}"
        ) from None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise InvalidArgError(f"the NATS context file {str(path)!r} is not a JSON object")

    def text_of(key: str) -> str | None:
        value = data.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise InvalidArgError(f"the NATS context file {str(path)!r}: {key} must be a string")
        return value

    for key, what in _UNSUPPORTED.items():
        if text_of(key) and not (key == "nsc" and text_of("creds") and text_of("url")):
            raise InvalidArgError(f"the NATS context file {str(path)!r} uses {what}: not supported")
    creds = text_of("creds")
    return NatsContext(
        name=name,
        path=str(path),
        url=text_of("url"),
        user=text_of("user"),
        password=text_of("password"),
        token=_expand_home(text_of("token")),
        creds=_expand_home(os.path.expandvars(creds)) if creds else None,
        nkey=_expand_home(text_of("nkey")),
        user_jwt=text_of("user_jwt"),
        cert=_expand_home(text_of("cert")),
        key=_expand_home(text_of("key")),
        ca=_expand_home(text_of("ca")),
        tls_first=data.get("tls_first") is True,
        inbox_prefix=text_of("inbox_prefix"),
        jetstream_domain=text_of("jetstream_domain"),
        jetstream_api_prefix=text_of("jetstream_api_prefix"),
        description=text_of("description"),
    )


def tls_context(ctx: NatsContext) -> ssl.SSLContext | None:
    """An ``ssl.SSLContext`` with the context's CA and client certificate."""
    if not (ctx.ca or (ctx.cert and ctx.key)):
        return None
    import ssl  # here, not at the top: only TLS connections load OpenSSL

    what = f"the CA file {ctx.ca!r}"
    try:
        tls = ssl.create_default_context(cafile=ctx.ca)
        if ctx.cert and ctx.key:
            what = f"the certificate {ctx.cert!r} or key {ctx.key!r}"
            tls.load_cert_chain(ctx.cert, ctx.key)
    except OSError as exc:  # ssl.SSLError too; neither quotes the files' content
        raise InvalidArgError(
            f"NATS context {ctx.name!r}: cannot load {what}: {exc.strerror or exc}"
        ) from None
    return tls


def context_for(context: str | bool | None) -> NatsContext | None:
    """The context ``connect()`` uses: the one named, the selected one for
    True, none for False; by default the one ``NATS_CONTEXT`` names, if set."""
    if context is None:
        context = os.environ.get(ENV_VAR) or False
    if context is False:
        return None
    if not isinstance(context, (str, bool)):
        raise InvalidArgError(
            f"context must be a context name or True, not {type(context).__name__}"
        )
    return load_context(context)


def apply_context(
    ctx: NatsContext, servers: Any, kwargs: dict[str, Any]
) -> tuple[Any, dict[str, Any]]:
    """``connect()``'s servers and options with the context's filling the gaps."""
    options = dict(kwargs)
    if servers is None and "servers" not in options:
        servers = ctx.servers
    if not any(options.get(name) is not None for name in CREDENTIAL_OPTIONS):
        # natscli: user and password, else creds, else a user JWT with the
        # NKey's seed, else the NKey alone; a token beside
        if ctx.user:
            options["user"], options["password"] = ctx.user, ctx.password or ""
        elif ctx.creds:
            options["creds"] = ctx.creds
        elif ctx.user_jwt:
            if not ctx.nkey:
                raise InvalidArgError(f"NATS context {ctx.name!r}: user_jwt needs nkey (its seed)")
            options["jwt"], options["nkey_seed"] = ctx.user_jwt, ctx.nkey
        elif ctx.nkey:
            options["nkey_seed"] = ctx.nkey
        if ctx.token:
            options["token"] = ctx.token
    if "tls" not in options:
        tls = tls_context(ctx)
        if tls is not None:
            options["tls"] = tls
    if ctx.tls_first:
        options.setdefault("tls_handshake_first", True)
    if ctx.inbox_prefix:
        options.setdefault("inbox_prefix", ctx.inbox_prefix)
    return servers, options
