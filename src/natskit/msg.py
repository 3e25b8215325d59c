"""The message value type shared by both APIs.

``MsgBase`` holds the data; ``natskit.Msg`` and ``natskit.aio.Msg`` add the
methods that talk to the server (``respond``, and the JetStream acks), as
plain methods and as coroutines. Both are accepted wherever a message is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .headers import Headers

HeadersArg = Headers | Mapping[str, str | Sequence[str]] | None

_STATUS_NO_RESPONDERS = 503
_STATUS_CONTROL = 100


class MsgBase:
    """A NATS message: ``subject``, ``data`` (bytes), ``reply``, ``headers``."""

    __slots__ = ("_conn", "_headers", "data", "description", "reply", "status", "subject")

    def __init__(
        self,
        subject: str,
        data: bytes | bytearray | memoryview | str = b"",
        reply: str | None = None,
        headers: HeadersArg = None,
    ) -> None:
        self.subject = subject
        self.data = data.encode() if isinstance(data, str) else bytes(data)
        self.reply = reply
        self._headers = headers if headers is None or isinstance(headers, Headers) else Headers(
            headers
        )
        self.status: int | None = None
        self.description = ""
        self._conn: Any = None

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
        return bool(self._headers)

    @property
    def text(self) -> str:
        """The payload decoded as UTF-8."""
        return self.data.decode()

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def is_no_responders(self) -> bool:
        """A status 503 reply: nobody listens on the request subject."""
        return self.status == _STATUS_NO_RESPONDERS and not self.data

    @property
    def is_idle_heartbeat(self) -> bool:
        return self.status == _STATUS_CONTROL and "Idle Heartbeat" in self.description

    @property
    def is_flow_control(self) -> bool:
        return self.status == _STATUS_CONTROL and "FlowControl" in self.description

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
