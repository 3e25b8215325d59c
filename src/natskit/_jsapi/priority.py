"""Pull consumer priority groups (ADR-42), without I/O.

``PullPriority`` checks the priority arguments of ``fetch``, ``next`` and
``consume`` and gives the fields of the pull request; ``pull_priority_error``
turns the server's refusals of such a pull into clear errors;
``PriorityGroupState`` is a group as ``ConsumerInfo.priority_groups`` reports
it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import InvalidArgError, NatsError
from ..server_version import require
from .checked import server_json
from .wire import time_from_wire

# ADR-42: a group name is an ADR-6 limited-term of at most 16 characters.
_GROUP = re.compile(r"[A-Za-z0-9_/=-]{1,16}")
PIN_HEADER = "Nats-Pin-Id"


@dataclass
class PriorityGroupState:
    """A priority group of a consumer (``ConsumerInfo.priority_groups``): its
    name, and for ``pinned_client`` the id of the pinned client and when it was
    pinned (None when no client is pinned)."""

    group: str
    pinned_client_id: str | None = None
    pinned_ts: datetime | None = None

    @classmethod
    @server_json
    def from_json(cls, data: dict[str, Any]) -> PriorityGroupState:
        """The group state from the server's JSON."""
        return cls(
            group=data.get("group", ""),
            pinned_client_id=data.get("pinned_client_id") or None,
            pinned_ts=time_from_wire(data.get("pinned_ts")),
        )


def _count(name: str, value: int | None) -> None:
    if value is not None and (type(value) is not int or value < 0):
        raise InvalidArgError(f"{name} must be a non-negative integer, not {value!r}")


@dataclass(frozen=True)
class PullPriority:
    """The ADR-42 fields of a pull: ``group``, ``min_pending``,
    ``min_ack_pending`` (overflow) and ``priority`` (prioritized, 0-9)."""

    group: str
    min_pending: int | None = None
    min_ack_pending: int | None = None
    priority: int | None = None

    @classmethod
    def of(
        cls,
        group: str | None,
        min_pending: int | None,
        min_ack_pending: int | None,
        priority: int | None,
        server_info: dict[str, Any],
    ) -> PullPriority | None:
        """The checked arguments (None when none is given); ``InvalidArgError``
        naming the bad one, ``JetStreamError`` when the server is too old."""
        if group is None:
            if min_pending is not None or min_ack_pending is not None or priority is not None:
                raise InvalidArgError(
                    "group is required with min_pending, min_ack_pending or priority"
                )
            return None
        if not isinstance(group, str) or not _GROUP.fullmatch(group):
            raise InvalidArgError(
                f"group must be 1 to 16 characters of A-Z, a-z, 0-9, -, _, / or =, not {group!r}"
            )
        _count("min_pending", min_pending)
        _count("min_ack_pending", min_ack_pending)
        if priority is not None and (type(priority) is not int or not 0 <= priority <= 9):
            raise InvalidArgError(f"priority must be an integer from 0 to 9, not {priority!r}")
        require(server_info, "pull consumer priority groups", (2, 11))
        if priority is not None:
            require(server_info, "the prioritized priority policy (priority=)", (2, 12))
        return cls(group, min_pending, min_ack_pending, priority)

    def fields(self, pin_id: str | None) -> dict[str, Any]:
        """The fields to add to the pull request (``id``: the pin id held, if any)."""
        out: dict[str, Any] = {"group": self.group}
        if self.min_pending:
            out["min_pending"] = self.min_pending
        if self.min_ack_pending:
            out["min_ack_pending"] = self.min_ack_pending
        if self.priority:
            out["priority"] = self.priority
        if pin_id:
            out["id"] = pin_id
        return out


def pull_priority_error(status: int, description: str, about: str) -> InvalidArgError | None:
    """A clear error for the server's refusal (400) of a pull's priority fields;
    None for any other status. ``about`` names the consumer."""
    if status != 400:
        return None
    text = description.lower()
    server = f" (server: {status} {description})"
    if "priority group missing" in text:
        return InvalidArgError(f"{about} has priority groups: pass group={server}")
    if "invalid priority group" in text:
        return InvalidArgError(f"group is not one of the priority groups of {about}{server}")
    if "not a overflow" in text or "not an overflow" in text:
        return InvalidArgError(
            f"min_pending and min_ack_pending need the overflow policy; {about} has another{server}"
        )
    if "priority must be" in text or "not a prioritized" in text:
        return InvalidArgError(f"priority does not fit {about}{server}")
    return None


def priority_error_or(status: int, description: str, about: str, err: NatsError) -> NatsError:
    """``pull_priority_error`` caused by ``err``, or ``err`` itself."""
    clear = pull_priority_error(status, description, about)
    if clear is None:
        return err
    clear.__cause__ = err
    return clear
