"""Object Store (ADR-20) without I/O: bucket configuration, object metadata, subjects.

A bucket is the stream ``OBJ_<bucket>``. An object's chunks are messages on
``$O.<bucket>.C.<nuid>`` (a new NUID for every put); its metadata is the last
message on ``$O.<bucket>.M.<name in base64url>``, a JSON ``ObjectInfo``,
published with a rollup so that only the latest stays.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import InvalidArgError, JetStreamError, ProtocolError
from ..timeutil import format_time, parse_time
from .checked import check
from .config import StreamConfig
from .info import StreamInfo
from .kv import check_bucket, compression_of

__all__ = ["ObjectInfo", "ObjectLink", "ObjectStoreStatus"]

CHUNK_SIZE = 128 * 1024
_OPTIONS = frozenset(
    {
        "description",
        "ttl",
        "max_bytes",
        "storage",
        "num_replicas",
        "compression",
        "placement",
        "metadata",
    }
)


def stream_name(bucket: str) -> str:
    return f"OBJ_{bucket}"


def chunk_subject(bucket: str, nuid: str) -> str:
    return f"$O.{bucket}.C.{nuid}"


def meta_subject(bucket: str, name: str) -> str:
    """``$O.<bucket>.M.<name>``, the name in padded base64url (as nats.go and nats.py)."""
    if not isinstance(name, str) or not name:
        raise InvalidArgError(f"invalid object name {name!r}")
    return f"$O.{bucket}.M.{base64.urlsafe_b64encode(name.encode()).decode()}"


def header_lists(headers: Mapping[str, Any] | None) -> dict[str, list[str]] | None:
    """Object headers as nats.go stores them: every key with a list of strings."""
    if headers is None:
        return None
    if not isinstance(headers, Mapping):
        raise InvalidArgError("object headers map str keys to str or lists of str")
    out: dict[str, list[str]] = {}
    for key, value in headers.items():
        values = [value] if isinstance(value, str) else value
        if not (
            isinstance(key, str)
            and isinstance(values, (list, tuple))
            and all(isinstance(v, str) for v in values)
        ):
            raise InvalidArgError("object headers map str keys to str or lists of str")
        out[key] = list(values)
    return out


def digest_of(sha: Any) -> str:
    """``SHA-256=<padded base64url>`` of a finished ``hashlib.sha256``."""
    return "SHA-256=" + base64.urlsafe_b64encode(sha.digest()).decode()


def new_sha() -> Any:
    import hashlib  # here: hashlib loads OpenSSL's libcrypto (about 4 MiB)

    return hashlib.sha256()


@dataclass
class ObjectLink:
    """A link's target: a whole bucket (``name`` None) or one object in it."""

    bucket: str
    name: str | None = None


@dataclass
class ObjectInfo:
    """An object's metadata: what ``put``, ``info`` and ``list`` return.

    ``digest`` is ``SHA-256=<base64url>`` of the content; ``link`` makes the
    entry a link to another object or bucket; ``mtime`` is when the metadata
    was stored (from the server).
    """

    name: str
    bucket: str
    nuid: str = ""
    size: int = 0
    chunks: int = 0
    digest: str = ""
    deleted: bool = False
    mtime: datetime | None = None
    description: str | None = None
    headers: dict[str, list[str]] | None = None
    metadata: dict[str, str] | None = None
    link: ObjectLink | None = None
    max_chunk_size: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_link(self) -> bool:
        """Whether the object is a link to another object or bucket."""
        return self.link is not None

    def to_json(self) -> bytes:
        """The metadata as stored in the bucket (JSON; fields of newer clients kept)."""
        out: dict[str, Any] = dict(self.raw)  # fields of newer clients are kept
        out.update(
            name=self.name, bucket=self.bucket, nuid=self.nuid, size=self.size, chunks=self.chunks
        )
        for key in ("description", "headers", "metadata"):
            value = getattr(self, key)
            if value:
                out[key] = value
            else:
                out.pop(key, None)
        options: dict[str, Any] = {}
        if self.link is not None:
            options["link"] = {"bucket": self.link.bucket}
            if self.link.name:
                options["link"]["name"] = self.link.name
        if self.max_chunk_size:
            options["max_chunk_size"] = self.max_chunk_size
        if options:
            out["options"] = options
        else:
            out.pop("options", None)
        if self.mtime is not None:
            out["mtime"] = format_time(self.mtime)
        if self.digest:
            out["digest"] = self.digest
        else:
            out.pop("digest", None)
        if self.deleted:
            out["deleted"] = True
        else:
            out.pop("deleted", None)
        return json.dumps(out).encode()

    @classmethod
    def from_json(cls, data: bytes, mtime: datetime | None) -> ObjectInfo:
        """The metadata from its stored JSON; ``mtime`` is when it was stored."""
        try:
            raw = json.loads(data)
            options = raw.get("options") or {}
            link = options.get("link")
            info = cls(
                name=raw["name"],
                bucket=raw.get("bucket", ""),
                nuid=raw.get("nuid", ""),
                size=int(raw.get("size", 0)),
                chunks=int(raw.get("chunks", 0)),
                digest=raw.get("digest", ""),
                deleted=bool(raw.get("deleted", False)),
                mtime=mtime,
                description=raw.get("description"),
                headers=raw.get("headers"),
                metadata=raw.get("metadata"),
                link=ObjectLink(link["bucket"], link.get("name") or None) if link else None,
                max_chunk_size=options.get("max_chunk_size"),
                raw=raw,
            )
            check(info)
        except (ValueError, TypeError, KeyError, AttributeError, ProtocolError) as exc:
            raise JetStreamError(f"bad object metadata: {exc}") from None
        if mtime is None and raw.get("mtime"):
            try:
                info.mtime = parse_time(raw["mtime"])
            except (ValueError, InvalidArgError):
                pass
        return info


@dataclass
class ObjectStoreStatus:
    """A bucket's status (``ObjectStore.status``); ``ttl`` in seconds, 0 for none."""

    bucket: str
    description: str | None
    ttl: float
    storage: str
    replicas: int
    sealed: bool
    size: int
    is_compressed: bool
    metadata: dict[str, str] | None
    stream_info: StreamInfo
    backing_store: str = "JetStream"


def bucket_config(bucket: str, options: dict[str, Any]) -> StreamConfig:
    """The stream configuration of an object store bucket from keyword options."""
    check_bucket(bucket)
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise InvalidArgError(f"not an object store option: {', '.join(unknown)}")
    opt = options.get
    return StreamConfig(
        stream_name(bucket),
        description=opt("description"),
        subjects=[f"$O.{bucket}.C.>", f"$O.{bucket}.M.>"],
        max_age=opt("ttl"),
        max_bytes=opt("max_bytes"),
        storage=opt("storage"),
        num_replicas=opt("num_replicas"),
        compression=compression_of(opt("compression")),
        placement=opt("placement"),
        metadata=opt("metadata"),
        discard="new",
        allow_rollup_hdrs=True,
        allow_direct=True,
    )


def object_status(bucket: str, info: StreamInfo) -> ObjectStoreStatus:
    cfg = info.config
    return ObjectStoreStatus(
        bucket=bucket,
        description=cfg.description,
        ttl=cfg.max_age or 0.0,
        storage=cfg.storage or "file",
        replicas=cfg.num_replicas or 1,
        sealed=bool(cfg.sealed),
        size=info.state.bytes,
        is_compressed=cfg.compression not in (None, "none"),
        metadata=cfg.metadata,
        stream_info=info,
    )
