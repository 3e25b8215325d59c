"""The message value type shared by both APIs.

``MsgBase`` holds the data; ``natskit.Msg`` and ``natskit.aio.Msg`` add the
methods that talk to the server (``respond``, and the JetStream acks), as
plain methods and as coroutines. Both are accepted wherever a message is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from ._accel import speedups
from .errors import InvalidArgError, NotJSMessageError, ProtocolError
from .headers import Headers
from .timeutil import parse_time, parse_time_ns

HeadersArg = Headers | Mapping[str, str | Sequence[str]] | None
_M = TypeVar("_M", bound="MsgBase")
_T = TypeVar("_T")
_new = object.__new__

_STATUS_NO_RESPONDERS = 503
_STATUS_CONTROL = 100
# Go's time.Time.String(), as in the Nats-Time-Stamp header of a Direct Get reply.
_GO_TIME = re.compile(r"(\S+) (\S+) ([+-]\d\d)(\d\d)(?: \S+)?")


@dataclass(frozen=True)
class MsgMetadata:
    """JetStream delivery metadata, from the ack reply subject of a consumer's message."""

    stream: str
    consumer: str
    num_delivered: int
    stream_seq: int
    consumer_seq: int
    timestamp: datetime
    num_pending: int
    domain: str | None = None
    timestamp_ns: int = 0

    @classmethod
    def parse(cls, reply: str | None) -> MsgMetadata:
        """Parse ``$JS.ACK...`` (ADR-15: 9 tokens, or 11+ with domain and account hash)."""
        tokens = reply.split(".") if reply else []
        if tokens[:2] != ["$JS", "ACK"] or (len(tokens) != 9 and len(tokens) < 11):
            raise NotJSMessageError(f"not a JetStream message (reply {reply!r})")
        domain = None
        if len(tokens) >= 11:
            domain = tokens[2] if tokens[2] != "_" else None
            tokens = tokens[:2] + tokens[4:]
        try:
            delivered, sseq, cseq, ts, pending = (int(t) for t in tokens[4:9])
        except ValueError:
            raise NotJSMessageError(f"malformed JetStream ack subject {reply!r}") from None
        stamp = datetime.fromtimestamp(ts // 1_000_000_000, timezone.utc).replace(
            microsecond=ts % 1_000_000_000 // 1000
        )
        return cls(tokens[2], tokens[3], delivered, sseq, cseq, stamp, pending, domain, ts)


def received_maker(cls: type[_M]) -> Callable[..., _M]:
    """``cls.received``, or its compiled twin when the accelerator is in use (the
    reader's: the same message, made without running Python code)."""
    if speedups is None:
        return cls.received
    maker: Callable[..., _M] = speedups.MsgMaker(cls)
    return maker


def headers_of(msg: MsgBase) -> Headers | None:
    """The headers of ``msg``, None when it has none (no empty ``Headers`` made)."""
    return msg._headers or None


def _stamp(msg: MsgBase, parse: Callable[[str], _T]) -> _T | None:
    """The ``Nats-Time-Stamp`` header parsed; ``ProtocolError`` if it does not parse."""
    value = msg._headers.get("Nats-Time-Stamp") if msg._headers else None
    if not value:
        return None
    try:
        return parse(_rfc3339(value))
    except ValueError:  # InvalidArgError included: the text came from the server
        raise ProtocolError(f"Nats-Time-Stamp header is not a time: {value[:40]!r}") from None


def _rfc3339(text: str) -> str:
    m = _GO_TIME.fullmatch(text)
    return f"{m[1]}T{m[2]}{m[3]}:{m[4]}" if m else text


class MsgBase:
    """A NATS message: ``subject``, ``data`` (bytes), ``reply``, ``headers``."""

    __slots__ = ("_headers", "_link", "data", "description", "reply", "status", "subject")

    def __init__(
        self,
        subject: str,
        data: bytes | bytearray | memoryview | str = b"",
        reply: str | None = None,
        headers: HeadersArg = None,
    ) -> None:
        self.subject = subject
        if isinstance(data, str):
            try:
                data = data.encode()
            except UnicodeEncodeError:
                raise InvalidArgError("str data must encode as UTF-8 (a lone surrogate?)") from None
        elif not isinstance(data, (bytes, bytearray, memoryview)):
            # bytes() of an int or a list would quietly make other bytes
            raise InvalidArgError(f"data must be bytes or str, not {type(data).__name__}")
        self.data = bytes(data)
        self.reply = reply
        self._headers = (
            headers if headers is None or isinstance(headers, Headers) else Headers(headers)
        )
        self.status: int | None = None
        self.description = ""
        self._link: Any = None  # the connection's Link, for respond() and the acks

    @classmethod
    def received(
        cls: type[_M],
        subject: str,
        data: bytes,
        reply: str | None,
        link: Any,
        headers: Headers | None = None,
        status: int | None = None,
        description: str = "",
    ) -> _M:
        """A message from the server: fields as parsed, no checks (the reader's fast path)."""
        msg = _new(cls)
        msg.subject = subject
        msg.data = data
        msg.reply = reply
        msg._link = link
        msg._headers = headers
        msg.status = status
        msg.description = description
        return msg

    @property
    def headers(self) -> Headers:
        """The headers (an empty ``Headers`` when the message has none)."""
        if self._headers is None:
            self._headers = Headers()
        return self._headers

    @headers.setter
    def headers(self, value: HeadersArg) -> None:
        self._headers = value if value is None or isinstance(value, Headers) else Headers(value)

    @property
    def has_headers(self) -> bool:
        """Whether the message has headers (without making an empty ``Headers``)."""
        return bool(self._headers)

    @property
    def text(self) -> str:
        """The payload decoded as UTF-8."""
        return self.data.decode()

    @property
    def size(self) -> int:
        """The payload's length in bytes."""
        return len(self.data)

    @property
    def is_no_responders(self) -> bool:
        """A status 503 reply: nobody listens on the request subject."""
        return self.status == _STATUS_NO_RESPONDERS and not self.data

    @property
    def is_idle_heartbeat(self) -> bool:
        """Whether this is a JetStream idle heartbeat (status 100), not a message."""
        return self.status == _STATUS_CONTROL and "Idle Heartbeat" in self.description

    @property
    def is_flow_control(self) -> bool:
        """Whether this is a JetStream flow control request (status 100), not a message."""
        return self.status == _STATUS_CONTROL and "FlowControl" in self.description

    @property
    def metadata(self) -> MsgMetadata:
        """Delivery metadata of a message from a consumer; ``NotJSMessageError`` otherwise."""
        return MsgMetadata.parse(self.reply)

    @property
    def seq(self) -> int | None:
        """Stream sequence of a message from a stream get (``Nats-Sequence``)."""
        value = self._headers.get("Nats-Sequence") if self._headers else None
        if not value:
            return None
        if not value.isascii() or not value.isdigit():
            raise ProtocolError(f"Nats-Sequence header is not a number: {value[:40]!r}")
        return int(value)

    @property
    def time(self) -> datetime | None:
        """Time a message from a stream get was stored (``Nats-Time-Stamp``)."""
        return _stamp(self, parse_time)

    @property
    def time_ns(self) -> int | None:
        """``time`` as exact nanoseconds since the Unix epoch."""
        return _stamp(self, parse_time_ns)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MsgBase):
            return NotImplemented
        return (
            self.subject == other.subject
            and self.data == other.data
            and self.reply == other.reply
            and (self._headers or None) == (other._headers or None)
            and self.status == other.status
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        extra = f", reply={self.reply!r}" if self.reply else ""
        if self._headers:
            extra += f", headers={self._headers!r}"
        if self.status is not None:
            extra += f", status={self.status}"
        return f"{type(self).__name__}({self.subject!r}, {self.data[:64]!r}{extra})"
