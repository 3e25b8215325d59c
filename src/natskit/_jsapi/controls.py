"""Consumer controls without I/O: pause and resume, unpin, reset (ADR-42 and
the server's ``CONSUMER.PAUSE`` / ``UNPIN`` / ``RESET`` APIs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import InvalidArgError
from .checked import server_json
from .wire import from_ns, time_from_wire, time_to_wire

# The server versions that have each API.
PAUSE_VERSION = (2, 11)
UNPIN_VERSION = (2, 11)
RESET_VERSION = (2, 14)


@dataclass
class ConsumerPause:
    """The reply of ``pause_consumer`` and ``resume_consumer``: whether the
    consumer is ``paused``, until when (``pause_until``, UTC; None when not
    paused) and for how many seconds more (``pause_remaining``)."""

    paused: bool = False
    pause_until: datetime | None = None
    pause_remaining: float | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    @server_json
    def from_json(cls, data: dict[str, Any]) -> ConsumerPause:
        """The pause state from the server's JSON reply."""
        remaining = data.get("pause_remaining")
        paused = bool(data.get("paused", False))
        return cls(
            paused=paused,
            pause_until=time_from_wire(data.get("pause_until")) if paused else None,
            pause_remaining=from_ns(remaining) if remaining is not None else None,
            raw=data,
        )


def pause_request(until: datetime | float, now: datetime | None = None) -> dict[str, Any]:
    """The ``CONSUMER.PAUSE`` body for ``until``: a ``datetime`` (naive: UTC) or
    seconds from ``now``; ``InvalidArgError`` for anything else."""
    if isinstance(until, datetime):
        when = until if until.tzinfo is not None else until.replace(tzinfo=timezone.utc)
    elif isinstance(until, (int, float)) and not isinstance(until, bool) and until >= 0:
        when = (now or datetime.now(timezone.utc)) + timedelta(seconds=until)
    else:
        raise InvalidArgError(
            f"until must be a datetime or a non-negative number of seconds, not {until!r}"
        )
    return {"pause_until": time_to_wire(when)}


def unpin_request(group: str) -> dict[str, Any]:
    """The ``CONSUMER.UNPIN`` body; ``InvalidArgError`` for a bad ``group``."""
    if not isinstance(group, str) or not group:
        raise InvalidArgError(f"group must be a priority group name, not {group!r}")
    return {"group": group}


def reset_request(seq: int | None) -> dict[str, Any] | None:
    """The ``CONSUMER.RESET`` body: None resets to the ack floor, ``seq`` (>= 1)
    to that stream sequence."""
    if seq is None:
        return None
    if type(seq) is not int or seq < 1:
        raise InvalidArgError(f"seq must be a positive integer, not {seq!r}")
    return {"seq": seq}
