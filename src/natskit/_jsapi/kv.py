"""Key-Value without I/O: entries, bucket status, origins, names and bucket configurations.

A bucket is the stream ``KV_<bucket>`` storing ``$KV.<bucket>.<key>`` (ADR-8);
``KV-Operation`` (and the ADR-48 ``Nats-Marker-Reason``) headers mark deletions.
Shared by the asyncio and the blocking ``KeyValue``; tested without a server.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import InvalidArgError
from ..headers import Headers
from ..msg import MsgBase, headers_of
from .api import DEFAULT_PREFIX, prefix_for
from .config import RePublish, StreamConfig, StreamSource, SubjectTransform
from .info import StreamInfo, StreamState
from .publishing import duration_text

__all__ = ["Entry", "KVOrigin", "KVStatus"]

MAX_HISTORY = 64
DUPLICATE_WINDOW = 120.0  # seconds, or the bucket's ttl when shorter (ADR-8)
_BUCKET = re.compile(r"[a-zA-Z0-9_-]+")
_TOKEN = re.compile(r"[-/_=a-zA-Z0-9]+")
_KEY = re.compile(r"(?!_kv)[-/_=a-zA-Z0-9]+(?:\.[-/_=a-zA-Z0-9]+)*")  # a whole plain key
_OPTIONS = frozenset(
    {
        "description",
        "max_value_size",
        "history",
        "ttl",
        "max_bucket_size",
        "storage",
        "num_replicas",
        "compression",
        "republish",
        "metadata",
        "placement",
        "limit_marker_ttl",
        "mirror_name",
        "mirror_domain",
    }
)


@dataclass(frozen=True)
class Entry:
    """One revision of a key: a value (``PUT``) or a deletion (``DEL``, ``PURGE``).

    ``value`` is ``b""`` for deletions and for watchers with ``meta_only``;
    ``delta`` is how many newer entries the watcher still has to deliver (0
    for the latest), None for ``get``.
    """

    bucket: str
    key: str
    value: bytes
    revision: int
    created: datetime | None
    delta: int | None = None
    operation: str = "PUT"


@dataclass
class KVStatus:
    """A bucket's status (``KeyValue.status``); ``ttl`` is in seconds, 0 for no limit.

    ``mirror_name`` and ``mirror_domain`` describe the origin of a bucket made
    with ``create_key_value(mirror_name=...)``; ``limit_marker_ttl`` is how long
    the ADR-48 deletion markers live (0: the bucket has none).
    """

    bucket: str
    bytes: int
    history: int
    ttl: float
    values: int
    is_compressed: bool
    mirror_name: str | None
    mirror_domain: str | None
    stream_config: StreamConfig
    stream_state: StreamState
    limit_marker_ttl: float = 0.0


@dataclass
class KVOrigin:
    """A bucket that an aggregate or a mirror copies (Tcl ``make_kv_origin``).

    ``stream`` names the stream to read when it is not ``KV_<bucket>`` (e.g. a
    mirror of the bucket); ``keys`` limits the copy to these keys or patterns;
    ``domain`` (or ``api``, an API prefix such as ``$JS.hub.API``) reaches a
    bucket in another JetStream domain or account, ``deliver`` sets the
    delivery prefix there.
    """

    bucket: str
    stream: str | None = None
    keys: list[str] | None = None
    domain: str | None = None
    api: str | None = None
    deliver: str | None = None

    def __post_init__(self) -> None:
        check_bucket(self.bucket)
        if isinstance(self.keys, str):
            raise InvalidArgError("KVOrigin keys must be a list of keys or patterns")
        for key in self.keys or ():
            check_key(key, pattern=True)
        if self.domain and self.api:
            raise InvalidArgError("KVOrigin: domain and api are mutually exclusive")

    def _source(self, dest_bucket: str | None) -> StreamSource:
        """A stream source of the origin; with ``dest_bucket``, its keys are
        rewritten to ``$KV.<dest_bucket>.<key>``, else only filtered by ``keys``."""
        transforms = None
        if dest_bucket is not None:
            transforms = [
                SubjectTransform(f"$KV.{self.bucket}.{key}", f"$KV.{dest_bucket}.{key}")
                for key in self.keys or [">"]
            ]
        api = prefix_for(self.domain, self.api) if self.domain or self.api else None
        return StreamSource(
            self.stream or f"KV_{self.bucket}",
            subject_transforms=transforms,
            api=api,
            deliver=self.deliver,
        )


def check_bucket(bucket: str) -> None:
    """``InvalidArgError`` unless ``bucket`` is a valid bucket name (ADR-8)."""
    if not isinstance(bucket, str) or not _BUCKET.fullmatch(bucket):
        raise InvalidArgError(f"invalid bucket name {bucket!r}: use letters, digits, '-' and '_'")


def check_key(key: str, *, pattern: bool = False) -> None:
    """``InvalidArgError`` unless ``key`` is a valid key (ADR-8), or a pattern.

    Keys are dot-separated tokens of letters, digits and ``-/_=``, and do not
    start with ``_kv``; a pattern may also have ``*`` tokens and a last ``>``.
    """
    if isinstance(key, str) and _KEY.fullmatch(key):
        return  # the common case, in one match
    tokens = key.split(".") if isinstance(key, str) else [""]
    last = len(tokens) - 1
    if not tokens[0].startswith("_kv") and all(
        _TOKEN.fullmatch(t) or (pattern and (t == "*" or (t == ">" and i == last)))
        for i, t in enumerate(tokens)
    ):
        return
    what = "key pattern" if pattern else "key"
    raise InvalidArgError(
        f"invalid {what} {key!r}: use dot-separated tokens of letters, digits and '-/_=' "
        "(not starting with '_kv')" + (", '*' tokens and a last '>'" if pattern else "")
    )


def operation(headers: Headers | None) -> str:
    """``PUT``, ``DEL`` or ``PURGE``: what a stored KV message stands for."""
    if not headers:
        return "PUT"
    op = headers.get("KV-Operation")
    if op in ("DEL", "PURGE"):
        return op
    # A server's deletion marker (ADR-48): "Remove" is a DEL; "MaxAge", "Purge"
    # and any later reason remove the key's value like a PURGE.
    reason = headers.get("Nats-Marker-Reason")
    if reason:
        return "DEL" if reason == "Remove" else "PURGE"
    return "PUT"


def ttl_header(ttl: float) -> str:
    """A ``Nats-TTL`` value (ADR-43): seconds, at least 1 (the server's minimum)."""
    return duration_text(ttl, "ttl")


def _positive(seconds: float, name: str) -> None:
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not 0 < seconds < math.inf
    ):
        raise InvalidArgError(f"{name} must be a positive number of seconds, not {seconds!r}")


def stored_entry(bucket: str, key: str, msg: MsgBase) -> Entry:
    """The entry of a message read with a stream (direct) get."""
    return Entry(bucket, key, msg.data, msg.seq or 0, msg.time, None, operation(headers_of(msg)))


def delivered_entry(bucket: str, prefix: str, msg: MsgBase) -> Entry:
    """The entry of a message from a watcher's consumer; keys follow ``<prefix>.``."""
    meta = msg.metadata
    return Entry(
        bucket,
        msg.subject[len(prefix) + 1 :],
        msg.data,
        meta.stream_seq,
        meta.timestamp,
        meta.num_pending,
        operation(headers_of(msg)),
    )


def key_prefixes(bucket: str, config: StreamConfig, api_prefix: str) -> tuple[str, str]:
    """The subject prefixes under which a bucket's keys are read and written.

    Reads use the stored subjects: ``$KV.<bucket>``, or ``$KV.<origin>`` for
    a mirror of another bucket. Writes go to the same subjects through the
    JetStream's API prefix (ADR-19), and for a mirror to its origin, through
    the origin's API prefix when it is in another domain or account.
    """
    read = f"$KV.{bucket}"
    mirror = config.mirror
    if mirror is not None:
        read = f"$KV.{mirror.name.removeprefix('KV_')}"
        if mirror.api:
            return read, f"{mirror.api}.{read}"
    return read, read if api_prefix == DEFAULT_PREFIX else f"{api_prefix}.{read}"


def kv_status(bucket: str, info: StreamInfo) -> KVStatus:
    """A ``KVStatus`` from the stream info of the bucket."""
    cfg = info.config
    mirror_name = mirror_domain = None
    if cfg.mirror is not None:
        mirror_name = cfg.mirror.name.removeprefix("KV_")
        api = (cfg.mirror.api or "").split(".")
        if len(api) == 3 and api[0] == "$JS" and api[2] == "API":
            mirror_domain = api[1]
    return KVStatus(
        bucket=bucket,
        bytes=info.state.bytes,
        history=cfg.max_msgs_per_subject or 0,
        ttl=cfg.max_age or 0.0,
        values=info.state.messages,
        is_compressed=cfg.compression not in (None, "none"),
        mirror_name=mirror_name,
        mirror_domain=mirror_domain,
        stream_config=cfg,
        stream_state=info.state,
        limit_marker_ttl=cfg.subject_delete_marker_ttl or 0.0,
    )


def bucket_config(bucket: str, options: dict[str, Any], *, topology: bool = False) -> StreamConfig:
    """The stream configuration of a bucket (ADR-8, ADR-48) from keyword options.

    ``topology`` (aggregates and mirrors) refuses ``mirror_name`` and ``mirror_domain``.
    """
    check_bucket(bucket)
    allowed = _OPTIONS - {"mirror_name", "mirror_domain"} if topology else _OPTIONS
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise InvalidArgError(f"not a bucket option here: {', '.join(unknown)}")
    opt = options.get
    history = opt("history", 1)
    if (
        isinstance(history, bool)
        or not isinstance(history, int)
        or not (1 <= history <= MAX_HISTORY)
    ):
        raise InvalidArgError(f"history must be an integer from 1 to {MAX_HISTORY}")
    ttl = opt("ttl")
    if ttl is not None:
        _positive(ttl, "ttl")
    republish = opt("republish")
    if republish is not None and not isinstance(republish, RePublish):
        raise InvalidArgError("republish must be a RePublish")
    cfg = StreamConfig(
        f"KV_{bucket}",
        description=opt("description"),
        subjects=[f"$KV.{bucket}.>"],
        max_msgs_per_subject=history,
        max_age=ttl,
        duplicate_window=min(ttl, DUPLICATE_WINDOW) if ttl else DUPLICATE_WINDOW,
        max_msg_size=opt("max_value_size"),
        max_bytes=opt("max_bucket_size"),
        storage=opt("storage"),
        num_replicas=opt("num_replicas"),
        compression=compression_of(opt("compression")),
        republish=republish,
        metadata=opt("metadata"),
        placement=opt("placement"),
        discard="new",
        allow_rollup_hdrs=True,
        deny_delete=True,
        allow_direct=True,
    )
    marker_ttl = opt("limit_marker_ttl")
    if marker_ttl:  # None or 0: no markers (ADR-48: at least 1 s)
        duration_text(marker_ttl, "limit_marker_ttl")
        cfg.allow_msg_ttl = True
        cfg.subject_delete_marker_ttl = marker_ttl
    mirror_name, mirror_domain = opt("mirror_name"), opt("mirror_domain")
    if mirror_domain is not None and mirror_name is None:
        raise InvalidArgError("mirror_domain needs mirror_name")
    if mirror_name is not None:
        check_bucket(mirror_name)
        api = prefix_for(mirror_domain, None) if mirror_domain else None
        cfg.mirror = StreamSource(f"KV_{mirror_name}", api=api)
        cfg.mirror_direct, cfg.subjects = True, None
    return cfg


def compression_of(value: Any) -> str | None:
    if value is True or value == "s2":
        return "s2"
    if value is None or value is False or value == "none":
        return None
    raise InvalidArgError(f"compression must be True, False, 's2' or 'none', not {value!r}")


def aggregate_config(
    bucket: str, writable: bool, origins: Sequence[KVOrigin], options: dict[str, Any]
) -> StreamConfig:
    """An aggregate (ADR-8 1.1): a bucket sourcing keys of ``origins``; read-only
    unless ``writable`` (then it has no subjects of its own)."""
    if not isinstance(writable, bool):
        raise InvalidArgError(f"writable must be True or False, not {writable!r}")
    if (
        isinstance(origins, KVOrigin)
        or not origins
        or not all(isinstance(o, KVOrigin) for o in origins)
    ):
        raise InvalidArgError("origins must be a non-empty list of KVOrigin")
    cfg = bucket_config(bucket, options, topology=True)
    cfg.sources = [o._source(bucket) for o in origins]
    if not writable:
        cfg.subjects = None
    return cfg


def mirror_config(name: str, origin: KVOrigin, options: dict[str, Any]) -> StreamConfig:
    """A read replica (ADR-8 1.1): the stream ``name`` mirroring ``origin``'s keys and
    answering Direct Gets of the origin bucket."""
    if not isinstance(origin, KVOrigin):
        raise InvalidArgError("origin must be a KVOrigin")
    check_bucket(name)
    if name.startswith("KV_"):
        raise InvalidArgError(f"a KV mirror's name must not start with 'KV_': {name!r}")
    cfg = bucket_config(name, options, topology=True)
    cfg.name, cfg.subjects, cfg.mirror_direct = name, None, True
    cfg.mirror = origin._source(origin.bucket if origin.keys else None)
    return cfg
