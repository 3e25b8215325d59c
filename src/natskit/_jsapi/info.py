"""What the JetStream API returns: stream, consumer and account information, acks.

Each class has ``raw``, the reply exactly as the server sent it (nanoseconds
included), so fields newer than this release can still be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .checked import server_json
from .config import ConsumerConfig, StreamConfig
from .priority import PriorityGroupState
from .wire import from_ns, time_from_wire

__all__ = [
    "AccountInfo",
    "ConsumerInfo",
    "PubAck",
    "SequenceInfo",
    "StreamInfo",
    "StreamState",
]


_PLAIN_ACK = frozenset({"stream", "seq", "duplicate", "domain"})


@dataclass
class PubAck:
    """The server's acknowledgement of a JetStream publish.

    ``stream`` and ``seq`` say where the message was stored; ``duplicate`` is
    True when the stream had already stored its ``msg_id`` within its
    duplicate window (nothing new was stored); ``domain`` is the JetStream
    domain, if any; ``value`` is a counter's value after the increment (an
    ``int`` of any size, ADR-49; None on other streams); ``batch_id`` and
    ``batch_size`` are set by the commit of an atomic batch (ADR-50); ``raw``
    is the JSON the server sent.
    """

    stream: str
    seq: int
    duplicate: bool = False
    domain: str | None = None
    value: int | None = None
    batch_id: str | None = None
    batch_size: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PubAck:
        """The ack from the server's JSON reply (``ProtocolError`` if malformed)."""
        # Every publish parses one: a plain, well-formed ack skips the generic check.
        if type(data) is dict and data.keys() <= _PLAIN_ACK:
            stream, seq = data.get("stream", ""), data.get("seq", 0)
            duplicate, domain = data.get("duplicate", False), data.get("domain") or None
            if (
                type(stream) is str
                and type(seq) is int
                and type(duplicate) is bool
                and (domain is None or type(domain) is str)
            ):
                return cls(stream, seq, duplicate, domain, raw=data)
        return cls._checked(data)

    @classmethod
    @server_json
    def _checked(cls, data: dict[str, Any]) -> PubAck:
        return cls(
            stream=data.get("stream", ""),
            seq=int(data.get("seq", 0)),
            duplicate=bool(data.get("duplicate", False)),
            domain=data.get("domain") or None,
            value=None if (val := data.get("val")) is None else int(val),
            batch_id=data.get("batch") or None,
            batch_size=data.get("count"),
            raw=data,
        )


@dataclass
class StreamState:
    """Message counts and sequence range of a stream.

    The fields are the server's JSON fields of the same names; times are UTC
    ``datetime`` objects; ``raw`` is the JSON the server sent.
    """

    messages: int = 0
    bytes: int = 0
    first_seq: int = 0
    first_ts: datetime | None = None
    last_seq: int = 0
    last_ts: datetime | None = None
    consumer_count: int = 0
    num_deleted: int = 0
    num_subjects: int = 0
    deleted: list[int] | None = None
    subjects: dict[str, int] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    @server_json
    def from_json(cls, data: dict[str, Any]) -> StreamState:
        """The state from the server's JSON."""
        return cls(
            messages=data.get("messages", 0),
            bytes=data.get("bytes", 0),
            first_seq=data.get("first_seq", 0),
            first_ts=time_from_wire(data.get("first_ts")),
            last_seq=data.get("last_seq", 0),
            last_ts=time_from_wire(data.get("last_ts")),
            consumer_count=data.get("consumer_count", 0),
            num_deleted=data.get("num_deleted", 0),
            num_subjects=data.get("num_subjects", 0),
            deleted=data.get("deleted"),
            subjects=data.get("subjects"),
            raw=data,
        )


@dataclass
class StreamInfo:
    """A stream, as ``stream_info``, ``add_stream`` and ``streams`` return it: its
    ``config``, its ``state`` and, as the server sent them, ``cluster``,
    ``mirror`` and ``sources`` information.

    The fields are the server's JSON fields of the same names; times are UTC
    ``datetime`` objects; ``raw`` is the JSON the server sent.
    """

    config: StreamConfig
    state: StreamState
    created: datetime | None = None
    cluster: dict[str, Any] | None = None
    mirror: dict[str, Any] | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        """The stream's name (``config.name``)."""
        return self.config.name

    @classmethod
    @server_json
    def from_json(cls, data: dict[str, Any]) -> StreamInfo:
        """The information from the server's JSON reply."""
        return cls(
            config=StreamConfig.from_json(data.get("config") or {"name": ""}),
            state=StreamState.from_json(data.get("state") or {}),
            created=time_from_wire(data.get("created")),
            cluster=data.get("cluster"),
            mirror=data.get("mirror"),
            sources=data.get("sources") or [],
            raw=data,
        )


@dataclass
class SequenceInfo:
    """A consumer's position (``ConsumerInfo.delivered`` or ``ack_floor``): the
    last sequence in the consumer and in the stream, and when it moved."""

    consumer_seq: int = 0
    stream_seq: int = 0
    last_active: datetime | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> SequenceInfo:
        """The sequences from the server's JSON (None: all zero)."""
        data = data or {}
        return cls(
            consumer_seq=data.get("consumer_seq", 0),
            stream_seq=data.get("stream_seq", 0),
            last_active=time_from_wire(data.get("last_active")),
        )


@dataclass
class ConsumerInfo:
    """A consumer, as ``consumer_info``, ``add_consumer`` and ``consumers``
    return it: its ``config``, its position (``delivered``, ``ack_floor``)
    and counts of messages pending, waiting for an ack or redelivered.

    The fields are the server's JSON fields of the same names; times are UTC
    ``datetime`` objects; ``raw`` is the JSON the server sent. ``paused`` and
    ``pause_remaining`` (seconds; None when not paused) say whether
    ``pause_consumer`` paused it; ``priority_groups`` are its ADR-42 groups
    with the pinned client of each.
    """

    stream_name: str
    name: str
    config: ConsumerConfig
    created: datetime | None = None
    delivered: SequenceInfo = field(default_factory=SequenceInfo)
    ack_floor: SequenceInfo = field(default_factory=SequenceInfo)
    num_ack_pending: int = 0
    num_redelivered: int = 0
    num_waiting: int = 0
    num_pending: int = 0
    cluster: dict[str, Any] | None = None
    push_bound: bool = False
    paused: bool = False
    pause_remaining: float | None = None
    priority_groups: list[PriorityGroupState] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    @server_json
    def from_json(cls, data: dict[str, Any]) -> ConsumerInfo:
        """The information from the server's JSON reply."""
        return cls(
            stream_name=data.get("stream_name", ""),
            name=data.get("name", ""),
            config=ConsumerConfig.from_json(data.get("config") or {}),
            created=time_from_wire(data.get("created")),
            delivered=SequenceInfo.from_json(data.get("delivered")),
            ack_floor=SequenceInfo.from_json(data.get("ack_floor")),
            num_ack_pending=data.get("num_ack_pending", 0),
            num_redelivered=data.get("num_redelivered", 0),
            num_waiting=data.get("num_waiting", 0),
            num_pending=data.get("num_pending", 0),
            cluster=data.get("cluster"),
            push_bound=bool(data.get("push_bound", False)),
            paused=bool(data.get("paused", False)),
            pause_remaining=(
                from_ns(data["pause_remaining"])
                if data.get("pause_remaining") is not None
                else None
            ),
            priority_groups=[
                PriorityGroupState.from_json(g) for g in data.get("priority_groups") or []
            ],
            raw=data,
        )


@dataclass
class AccountInfo:
    """Usage and limits of the account's JetStream (``account_info``): bytes of
    ``memory`` and ``storage`` used, numbers of ``streams`` and ``consumers``,
    ``limits``, the JetStream ``api`` level and counters, per-tier ``tiers``.

    The fields are the server's JSON fields of the same names; times are UTC
    ``datetime`` objects; ``raw`` is the JSON the server sent.
    """

    memory: int = 0
    storage: int = 0
    reserved_memory: int = 0
    reserved_storage: int = 0
    streams: int = 0
    consumers: int = 0
    domain: str | None = None
    limits: dict[str, Any] = field(default_factory=dict)
    api: dict[str, Any] = field(default_factory=dict)
    tiers: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    @server_json
    def from_json(cls, data: dict[str, Any]) -> AccountInfo:
        """The information from the server's JSON reply."""
        return cls(
            memory=data.get("memory", 0),
            storage=data.get("storage", 0),
            reserved_memory=data.get("reserved_memory", 0),
            reserved_storage=data.get("reserved_storage", 0),
            streams=data.get("streams", 0),
            consumers=data.get("consumers", 0),
            domain=data.get("domain") or None,
            limits=data.get("limits") or {},
            api=data.get("api") or {},
            tiers=data.get("tiers") or {},
            raw=data,
        )
