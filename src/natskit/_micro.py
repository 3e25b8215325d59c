"""The Service API (ADR-32) without I/O: names, queue groups, stats, discovery replies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ._protocol.subjects import check_subject
from .errors import InvalidArgError

PING_TYPE = "io.nats.micro.v1.ping_response"
INFO_TYPE = "io.nats.micro.v1.info_response"
STATS_TYPE = "io.nats.micro.v1.stats_response"
ERROR_HEADER = "Nats-Service-Error"
ERROR_CODE_HEADER = "Nats-Service-Error-Code"
VERBS = ("PING", "INFO", "STATS")
DEFAULT_QUEUE_GROUP = "q"

_NAME = re.compile(r"[A-Za-z0-9_-]+")
_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?",
    re.ASCII,
)
_QUEUE_GROUP = re.compile(r"[^\s>]+>?|>")


def check_name(name: object, what: str) -> str:
    """A service or endpoint name: letters, digits, ``-`` and ``_``."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidArgError(f"invalid {what} {name!r}: use letters, digits, '-' and '_'")
    return name


def check_version(version: object) -> str:
    if not isinstance(version, str) or not _SEMVER.fullmatch(version):
        raise InvalidArgError(f"invalid service version {version!r}: use semantic versioning")
    return version


def check_queue_group(queue_group: str | None) -> None:
    if (
        queue_group is not None
        and queue_group != ""
        and not (isinstance(queue_group, str) and _QUEUE_GROUP.fullmatch(queue_group))
    ):
        raise InvalidArgError(f"invalid queue group {queue_group!r}")


def check_metadata(metadata: dict[str, str] | None) -> dict[str, str] | None:
    if metadata is not None and not (
        isinstance(metadata, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    ):
        raise InvalidArgError("metadata must be a dict of str to str")
    return None if metadata is None else dict(metadata)


def endpoint_subject(prefix: str, subject: str) -> str:
    """The subject of an endpoint under a group ``prefix`` (empty: no group);
    wildcards are allowed, as in any subscription."""
    full = f"{prefix}.{subject}" if prefix else subject
    check_subject(full, wildcards=True)
    return full


def group_prefix(parent: str, name: str) -> str:
    """The subject prefix of a group (``*`` allowed, ``>`` not: endpoints follow);
    an empty name adds nothing (as nats.go)."""
    if not isinstance(name, str) or ">" in name:
        raise InvalidArgError(f"invalid group name {name!r}")
    if not name:
        return parent
    check_subject(name, wildcards=True)
    return f"{parent}.{name}" if parent else name


def error_description(what: BaseException | str) -> str:
    """An error's text fit for a header: one line, never empty."""
    text = " ".join(str(what).split())
    return text or type(what).__name__


def resolve_queue_group(own: str | None, disabled: bool, parent: str | None) -> str | None:
    """The queue group an endpoint or group gets: its own (``None`` or ``""``
    inherit), none when ``disabled``, else its parent's (``None``: no queue group)."""
    check_queue_group(own)
    if disabled:
        return None
    return own or parent


@dataclass
class EndpointStats:
    """Counters of one endpoint; times in nanoseconds, as ADR-32 reports them."""

    num_requests: int = 0
    num_errors: int = 0
    last_error: str = ""
    processing_time: int = 0
    average_processing_time: int = 0

    def recorded(self, elapsed_ns: int, error: str | None) -> EndpointStats:
        """These counters plus one request: a new object, swapped in whole so that a
        reader on another thread never sees half an update."""
        requests = self.num_requests + 1
        total = self.processing_time + elapsed_ns
        return EndpointStats(
            requests,
            self.num_errors + (error is not None),
            self.last_error if error is None else error,
            total,
            total // requests,
        )


@dataclass
class EndpointInfo:
    """What INFO and STATS say about an endpoint."""

    name: str
    subject: str
    queue_group: str | None
    metadata: dict[str, str] | None
    stats: EndpointStats = field(default_factory=EndpointStats)

    def info(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "subject": self.subject,
            "queue_group": self.queue_group or "",
            "metadata": self.metadata,
        }

    def stats_dict(self, data: Any = None, with_data: bool = False) -> dict[str, Any]:
        s = self.stats
        out: dict[str, Any] = {
            "name": self.name,
            "subject": self.subject,
            "queue_group": self.queue_group or "",
            "num_requests": s.num_requests,
            "num_errors": s.num_errors,
            "last_error": s.last_error,
            "processing_time": s.processing_time,
            "average_processing_time": s.average_processing_time,
        }
        if with_data:
            out["data"] = data
        return out


def verb_subjects(verb: str, name: str, service_id: str) -> list[str]:
    """The three discovery subjects of ``verb`` that every instance answers."""
    return [f"$SRV.{verb}", f"$SRV.{verb}.{name}", f"$SRV.{verb}.{name}.{service_id}"]
