"""Direct Gets in batches and multi-last reads (ADR-31 rev 2), without I/O.

A batched request makes the server send the matching messages to the reply
subject one after another and end with an empty ``204 EOB`` status message
whose ``Nats-Num-Pending`` says how many more match and
``Nats-Last-Sequence`` which stream sequence the batch ended at (for a
multi-last read also ``Nats-UpTo-Sequence``, the snapshot to page in).
Servers before 2.11 answer only the first message, without
``Nats-Num-Pending``.

Also the other paged read of a stream: ``STREAM.INFO`` with
``subjects_filter`` (subject counts, sent in pages of ``total``/``offset``)
and ``deleted_details``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import InvalidArgError, JetStreamError
from ..headers import Headers
from .wire import time_to_wire

# The server refuses a multi-last read matching more subjects than this (413).
MAX_MULTI_LAST = 1024
BATCH_SERVER = "nats-server 2.11"


def _positive(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgError(f"{name} must be a positive integer, not {value!r}")


def _time(value: Any, name: str) -> str:
    if not isinstance(value, datetime):
        raise InvalidArgError(f"{name} must be a datetime, not {value!r}")
    return time_to_wire(value)


def batch_request(
    *,
    seq: int | None,
    subject: str | None,
    batch: int,
    max_bytes: int | None,
    start_time: datetime | None,
) -> dict[str, Any]:
    """A batched ``DIRECT.GET`` body: ``batch`` messages from ``seq`` (default 1)
    or ``start_time`` on, of ``subject`` (a pattern; default every subject)."""
    _positive(batch, "batch")
    if seq is not None and start_time is not None:
        raise InvalidArgError("seq and start_time exclude each other")
    req: dict[str, Any] = {"batch": batch}
    if start_time is not None:
        req["start_time"] = _time(start_time, "start_time")
    else:
        if seq is not None:
            _positive(seq, "seq")
        req["seq"] = seq or 1
    if subject is not None:
        if not isinstance(subject, str) or not subject:
            raise InvalidArgError(f"subject must be a non-empty subject, not {subject!r}")
        req["next_by_subj"] = subject
    if max_bytes is not None:
        _positive(max_bytes, "max_bytes")
        req["max_bytes"] = max_bytes
    return req


def multi_last_request(
    subjects: Any, *, up_to_seq: int | None, up_to_time: datetime | None
) -> dict[str, Any]:
    """A ``multi_last`` ``DIRECT.GET`` body: the last message of each of ``subjects``
    (subjects or patterns), as the stream was at ``up_to_seq`` or ``up_to_time``."""
    if isinstance(subjects, str):
        subjects = [subjects]
    try:
        subjects = list(subjects)
    except TypeError:
        raise InvalidArgError(f"subjects must be a subject or a list, not {subjects!r}") from None
    if not subjects or not all(isinstance(s, str) and s for s in subjects):
        raise InvalidArgError(f"subjects must be non-empty subjects, not {subjects!r}")
    if up_to_seq is not None and up_to_time is not None:
        raise InvalidArgError("up_to_seq and up_to_time exclude each other")
    req: dict[str, Any] = {"multi_last": subjects}
    if up_to_seq is not None:
        _positive(up_to_seq, "up_to_seq")
        req["up_to_seq"] = up_to_seq
    if up_to_time is not None:
        req["up_to_time"] = _time(up_to_time, "up_to_time")
    return req


@dataclass
class EndOfBatch:
    """What the ``204 EOB`` message of a batch says: ``pending`` messages still
    match after ``last_seq``; ``up_to_seq`` is the snapshot of a multi-last read."""

    pending: int
    last_seq: int
    up_to_seq: int | None = None


def _int(headers: Headers, key: str) -> int | None:
    value = headers.get(key)
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def end_of_batch(headers: Headers) -> EndOfBatch:
    """The ``EndOfBatch`` of an EOB status message."""
    return EndOfBatch(
        _int(headers, "Nats-Num-Pending") or 0,
        _int(headers, "Nats-Last-Sequence") or 0,
        _int(headers, "Nats-UpTo-Sequence"),
    )


def is_end_of_batch(status: int | None, data: bytes) -> bool:
    """Whether a reply is the ``204 EOB`` that ends a batch."""
    return status == 204 and not data


def check_batched(headers: Headers, stream: str) -> None:
    """The first message of a batch carries ``Nats-Num-Pending``; without it the
    server does not know batches (``JetStreamError`` naming the version)."""
    if headers.get("Nats-Num-Pending") is None:
        raise JetStreamError(
            f"batched direct get on stream {stream!r} needs {BATCH_SERVER} or later "
            "(the server answered a single message)"
        )


def batch_status_error(status: int, description: str, stream: str) -> JetStreamError | None:
    """The error of a status reply to a batch; None for 404 (nothing matches)."""
    if status == 404:
        return None
    if status == 413:
        return JetStreamError(
            f"direct get on stream {stream!r}: the subjects match more than "
            f"{MAX_MULTI_LAST} subjects ({status} {description})",
            status=status,
        )
    return JetStreamError(f"direct get on stream {stream!r}: {status} {description}", status=status)


def next_batch(req: dict[str, Any], eob: EndOfBatch) -> dict[str, Any] | None:
    """The request for the batch after ``eob``, or None once nothing is pending."""
    if eob.pending <= 0 or eob.last_seq <= 0:
        return None
    nxt = {k: v for k, v in req.items() if k != "start_time"}
    nxt["seq"] = eob.last_seq + 1
    if "multi_last" in req and eob.up_to_seq is not None:  # the same snapshot
        nxt.pop("up_to_time", None)
        nxt["up_to_seq"] = eob.up_to_seq
    return nxt


def stream_info_request(
    subjects_filter: str | None, deleted_details: bool, offset: int = 0
) -> dict[str, Any] | None:
    """A ``STREAM.INFO`` body asking for subject counts (``subjects_filter``, a
    pattern) and the deleted sequences, from the ``offset``-th subject on."""
    if subjects_filter is not None and (
        not isinstance(subjects_filter, str) or not subjects_filter
    ):
        raise InvalidArgError(f"subjects_filter must be a subject pattern, not {subjects_filter!r}")
    if not isinstance(deleted_details, bool):
        raise InvalidArgError(f"deleted_details must be True or False, not {deleted_details!r}")
    req: dict[str, Any] = {}
    if subjects_filter is not None:
        req["subjects_filter"] = subjects_filter
    if deleted_details:
        req["deleted_details"] = True
    if offset:
        req["offset"] = offset
    return req or None


def subjects_left(reply: dict[str, Any], have: int) -> bool:
    """Whether a paged ``STREAM.INFO`` reply (``total`` subjects) has more than ``have``."""
    total = reply.get("total")
    page = (reply.get("state") or {}).get("subjects") or {}
    return isinstance(total, int) and bool(page) and have < total
