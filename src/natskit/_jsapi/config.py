"""Stream and consumer configurations and their builders.

Field names are the JetStream JSON names; durations are seconds and times are
``datetime`` objects (or RFC 3339 strings, sent as given). ``None`` means "not
set": the field is left out of the request and the server applies its default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from .wire import Wire

__all__ = [
    "ConsumerConfig",
    "ConsumerLimits",
    "RePublish",
    "StreamConfig",
    "StreamConsumerSource",
    "StreamSource",
    "SubjectTransform",
]


@dataclass(repr=False)
class SubjectTransform(Wire):
    """A subject transform (ADR-36; Tcl ``make_subject_transform``)."""

    src: str
    dest: str
    raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)


@dataclass(repr=False)
class RePublish(Wire):
    """Republish stored messages to ``dest`` (Tcl ``make_republish``)."""

    src: str
    dest: str
    headers_only: bool = False
    raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)


@dataclass(repr=False)
class StreamConsumerSource(Wire):
    """The durable push consumer a source or mirror reads through (ADR-60,
    ``StreamSource.consumer``; nats-server 2.14): the consumer's ``name`` and
    its ``deliver_subject``, both created by the user beforehand."""

    name: str
    deliver_subject: str | None = None
    raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)


@dataclass(repr=False)
class ConsumerLimits(Wire):
    """Defaults and limits for the consumers of a stream (``StreamConfig.consumer_limits``):
    ``inactive_threshold`` in seconds, ``max_ack_pending``."""

    inactive_threshold: float | None = None
    max_ack_pending: int | None = None
    raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    _durations = frozenset({"inactive_threshold"})


@dataclass(repr=False)
class StreamSource(Wire):
    """A mirror or source of a stream (Tcl ``make_stream_source``).

    ``api`` and ``deliver`` name the API prefix and delivery prefix of a stream
    in another domain or account (``external`` on the wire), e.g.
    ``api="$JS.hub.API"``. ``consumer`` names a durable consumer of the
    origin to read through (a ``StreamConsumerSource``, ADR-60).
    """

    name: str
    opt_start_seq: int | None = None
    opt_start_time: datetime | str | None = None
    filter_subject: str | None = None
    subject_transforms: list[SubjectTransform] | None = None
    api: str | None = None
    deliver: str | None = None
    consumer: StreamConsumerSource | None = None
    raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    _times = frozenset({"opt_start_time"})
    _nested: ClassVar[dict[str, type[Wire]]] = {
        "subject_transforms": SubjectTransform,
        "consumer": StreamConsumerSource,
    }

    def to_json(self) -> dict[str, Any]:
        """The JSON object for the server (``api`` and ``deliver`` go into ``external``)."""
        out = super().to_json()
        api, deliver = out.pop("api", None), out.pop("deliver", None)
        if api is not None or deliver is not None:
            external = dict(out.get("external") or {})
            if api is not None:
                external["api"] = api
            if deliver is not None:
                external["deliver"] = deliver
            out["external"] = external
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StreamSource:
        """A source from the server's JSON (``external`` becomes ``api`` and ``deliver``)."""
        src = super().from_json(data)
        external = data.get("external") or {}
        src.api = external.get("api") or None
        src.deliver = external.get("deliver") or None
        return src


@dataclass(repr=False)
class StreamConfig(Wire):
    """A stream's configuration (``$JS.API.STREAM.CREATE``).

    The fields are the server's JSON fields of the same names; durations
    (``max_age``, ``duplicate_window``, ``subject_delete_marker_ttl``) are
    seconds. None leaves a field out, so the server's default applies.
    Choices: ``retention`` ``"limits"``, ``"interest"``, ``"workqueue"``;
    ``discard`` ``"old"``, ``"new"``; ``storage`` ``"file"``, ``"memory"``;
    ``compression`` ``"none"``, ``"s2"``; ``persist_mode`` ``"default"``,
    ``"async"`` (another value is an ``InvalidArgError`` before anything is
    sent). Newer features are opt-in flags: ``allow_msg_ttl`` (per-message
    TTLs, ADR-43), ``allow_msg_counter`` (counters, ADR-49),
    ``allow_atomic`` and ``allow_batched`` (atomic and fast batches, ADR-50),
    ``allow_msg_schedules`` (schedules, ADR-51); ``consumer_limits`` is a
    ``ConsumerLimits``. ``raw`` is the JSON the server sent.
    """

    name: str
    description: str | None = None
    subjects: list[str] | None = None
    retention: str | None = None  # "limits", "interest", "workqueue"
    max_consumers: int | None = None
    max_msgs: int | None = None
    max_bytes: int | None = None
    discard: str | None = None  # "old", "new"
    discard_new_per_subject: bool | None = None
    max_age: float | None = None
    max_msgs_per_subject: int | None = None
    max_msg_size: int | None = None
    storage: str | None = None  # "file", "memory"
    num_replicas: int | None = None
    no_ack: bool | None = None
    duplicate_window: float | None = None
    placement: dict[str, Any] | None = None
    mirror: StreamSource | None = None
    sources: list[StreamSource] | None = None
    sealed: bool | None = None
    deny_delete: bool | None = None
    deny_purge: bool | None = None
    allow_rollup_hdrs: bool | None = None
    compression: str | None = None  # "none", "s2"
    first_seq: int | None = None
    subject_transform: SubjectTransform | None = None
    republish: RePublish | None = None
    allow_direct: bool | None = None
    mirror_direct: bool | None = None
    metadata: dict[str, str] | None = None
    allow_msg_ttl: bool | None = None
    subject_delete_marker_ttl: float | None = None
    allow_msg_counter: bool | None = None
    allow_atomic: bool | None = None
    allow_msg_schedules: bool | None = None
    allow_batched: bool | None = None
    persist_mode: str | None = None  # "default", "async"
    consumer_limits: ConsumerLimits | None = None
    raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    _durations = frozenset({"max_age", "duplicate_window", "subject_delete_marker_ttl"})
    _choices: ClassVar[dict[str, tuple[str, ...]]] = {
        "retention": ("limits", "interest", "workqueue"),
        "discard": ("old", "new"),
        "storage": ("file", "memory"),
        "compression": ("none", "s2"),
        "persist_mode": ("default", "async"),
    }
    _nested: ClassVar[dict[str, type[Wire]]] = {
        "mirror": StreamSource,
        "sources": StreamSource,
        "subject_transform": SubjectTransform,
        "republish": RePublish,
        "consumer_limits": ConsumerLimits,
    }


@dataclass(repr=False)
class ConsumerConfig(Wire):
    """A consumer's configuration (``$JS.API.CONSUMER.CREATE``).

    ``durable_name`` makes a durable consumer; ``name`` a named one that the
    server removes after ``inactive_threshold`` (default 5 s); neither, an
    ephemeral consumer named by the server. ``ack_policy`` is ``"explicit"``
    unless given (as in the Tcl client and nats.go).

    The fields are the server's JSON fields of the same names; durations
    (``ack_wait``, ``backoff``, ``max_expires``, ``inactive_threshold``,
    ``priority_timeout``, ``idle_heartbeat``) are seconds, times
    (``opt_start_time``, ``pause_until``) ``datetime`` objects or RFC 3339
    strings. None leaves a field out, so the server's default applies.
    Choices: ``deliver_policy`` ``"all"``, ``"last"``, ``"new"``,
    ``"by_start_sequence"``, ``"by_start_time"``, ``"last_per_subject"``;
    ``ack_policy`` ``"none"``, ``"all"``, ``"explicit"``, ``"flow_control"``
    (a push consumer that a sourcing stream reads through, ADR-60, 2.14);
    ``replay_policy``
    ``"instant"``, ``"original"``; ``priority_policy`` ``"none"``,
    ``"overflow"``, ``"pinned_client"``, ``"prioritized"``. ``raw`` is the
    JSON the server sent.
    """

    name: str | None = None
    durable_name: str | None = None
    description: str | None = None
    deliver_policy: str | None = None  # "all", "last", "new", "last_per_subject", ...
    opt_start_seq: int | None = None
    opt_start_time: datetime | str | None = None
    ack_policy: str | None = "explicit"  # "none", "all"; the server's default is "none"
    ack_wait: float | None = None
    max_deliver: int | None = None
    backoff: list[float] | None = None
    filter_subject: str | None = None
    filter_subjects: list[str] | None = None
    replay_policy: str | None = None  # "instant", "original"
    rate_limit_bps: int | None = None
    sample_freq: str | None = None
    max_waiting: int | None = None
    max_ack_pending: int | None = None
    headers_only: bool | None = None
    max_batch: int | None = None
    max_expires: float | None = None
    max_bytes: int | None = None
    inactive_threshold: float | None = None
    num_replicas: int | None = None
    mem_storage: bool | None = None
    metadata: dict[str, str] | None = None
    pause_until: datetime | str | None = None
    priority_policy: str | None = None
    priority_timeout: float | None = None
    priority_groups: list[str] | None = None
    deliver_subject: str | None = None
    deliver_group: str | None = None
    flow_control: bool | None = None
    idle_heartbeat: float | None = None
    raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    _durations = frozenset(
        {
            "ack_wait",
            "backoff",
            "max_expires",
            "inactive_threshold",
            "priority_timeout",
            "idle_heartbeat",
        }
    )
    _times = frozenset({"opt_start_time", "pause_until"})
    _choices: ClassVar[dict[str, tuple[str, ...]]] = {
        "deliver_policy": (
            "all",
            "last",
            "new",
            "by_start_sequence",
            "by_start_time",
            "last_per_subject",
        ),
        "ack_policy": ("none", "all", "explicit", "flow_control"),
        "replay_policy": ("instant", "original"),
        "priority_policy": ("none", "overflow", "pinned_client", "prioritized"),
    }
