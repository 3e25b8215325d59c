"""JetStream API requests and replies, without I/O.

Request builders return the JSON object to send; parsers take what the server
sent and return values or raise the natskit error for it (ADR-1 error replies,
chosen by ``err_code``; pull statuses per ADR-13 and ADR-37).
"""

from __future__ import annotations

import base64
import json
from enum import Enum
from typing import Any

from .._protocol import check_name, decode_headers
from ..errors import (
    ConsumerNotFoundError,
    InvalidArgError,
    JetStreamError,
    JetStreamNotEnabledError,
    JetStreamNotEnabledForAccountError,
    MsgNotFoundError,
    StreamNotFoundError,
    WrongLastSequenceError,
)
from ..headers import Headers
from ..msg import HeadersArg
from .info import PubAck
from .publishing import hint, ttl_text
from .wire import to_ns

DEFAULT_PREFIX = "$JS.API"

# JetStream err_code -> error class (nats-server errors.json, nats.go jetstream/errors.go).
_BY_ERR_CODE: dict[int, type[JetStreamError]] = {
    10014: ConsumerNotFoundError,
    10037: MsgNotFoundError,
    10039: JetStreamNotEnabledForAccountError,
    10059: StreamNotFoundError,
    10071: WrongLastSequenceError,
    10076: JetStreamNotEnabledError,
    10164: WrongLastSequenceError,  # the same, on replicated streams
}


def prefix_for(domain: str | None, prefix: str | None) -> str:
    """The API subject prefix for ``domain`` or an explicit ``prefix`` (not both)."""
    if domain and prefix:
        raise InvalidArgError("domain and api_prefix are mutually exclusive")
    if domain:
        check_name(domain, "domain")
        return f"$JS.{domain}.API"
    if prefix:
        return prefix.rstrip(".")
    return DEFAULT_PREFIX


def api_about(suffix: str) -> str:
    """What an API request (``STREAM.INFO.S``, ``CONSUMER.DELETE.S.C``, ...) is
    about, for its errors: ``stream 'S'``, ``consumer 'C' of stream 'S'``."""
    parts = suffix.split(".")
    kind, rest = parts[0], parts[1:]
    if rest[:1] == ["DURABLE"]:  # CONSUMER.DURABLE.CREATE.<stream>.<durable>
        rest = rest[1:]
    if rest[:1] == ["MSG"]:  # STREAM.MSG.GET.<stream>
        rest = rest[1:]
    names = rest[1:]  # after the operation
    if kind == "STREAM" and names:
        return f"stream {names[0]!r}"
    if kind == "CONSUMER" and len(names) >= 2:
        return f"consumer {names[1]!r} of stream {names[0]!r}"
    if kind == "CONSUMER" and names:
        return f"stream {names[0]!r}"
    return ""


def error_from(err: dict[str, Any], raw: Any = None, about: str = "") -> JetStreamError:
    """The natskit error for an ADR-1 ``error`` object; ``about`` (what the
    request concerned) leads its message, ``description`` stays the server's."""
    err_code = err.get("err_code")
    cls = (
        _BY_ERR_CODE.get(err_code, JetStreamError)
        if isinstance(err_code, int)
        else (JetStreamError)
    )
    description = str(err.get("description", ""))
    exc = cls(
        description,
        status=err.get("code"),
        err_code=err_code,
        raw=raw if raw is not None else err,
    )
    extra = hint(err_code if isinstance(err_code, int) else None)
    if about or extra:
        exc.args = (f"{about}: {description}{extra}" if about else description + extra,)
    return exc


def parse_reply(data: bytes, about: str = "") -> dict[str, Any]:
    """Parse an API reply; raise its error as a ``JetStreamError`` subclass
    (its message led by ``about``, see ``error_from``)."""
    try:
        reply = json.loads(data)
    except ValueError:
        raise JetStreamError(f"invalid JSON in a JetStream reply: {data[:80]!r}") from None
    if not isinstance(reply, dict):
        raise JetStreamError(f"a JetStream reply is not a JSON object: {data[:80]!r}")
    err = reply.get("error")
    if isinstance(err, dict):
        raise error_from(err, reply, about)
    return reply


# The common publish reply, cut by hand: {"stream":"S","seq":N}, or with ,"domain":"D"
# after the stream. Names on this path are printable ASCII without quote or backslash.
_ACK_HEAD = b'{"stream":"'
_ACK_DOMAIN = b'","domain":"'
_ACK_SEQ = b'","seq":'
_ACK_NAME = bytes(range(0x20, 0x7F)).replace(b'"', b"").replace(b"\\", b"")
_HEADS = 256  # heads kept (one per stream and domain published to); cleared when full
_heads: dict[bytes, tuple[str, str | None]] = {}  # what precedes N -> (stream, domain)


def _plain_head(head: bytes) -> tuple[str, str | None] | None:
    """(stream, domain) if ``head`` is all of a plain reply before its sequence."""
    if len(head) < 19 or not head.startswith(_ACK_HEAD) or not head.endswith(_ACK_SEQ):
        return None  # (19: the two do not overlap)
    names = head[11:-8].split(_ACK_DOMAIN)
    if len(names) > 2 or any(name.translate(None, _ACK_NAME) for name in names):
        return None
    plain = (names[0].decode(), names[1].decode() if len(names) == 2 else None)
    if len(_heads) >= _HEADS:
        _heads.clear()
    _heads[head] = plain
    return plain


def pub_ack(data: bytes, about: str = "") -> PubAck:
    """``PubAck.from_json(parse_reply(data, about))``, without ``json`` for the common reply.

    Every ``publish`` parses one, and ``json.loads`` costs more than the rest of an
    ack's handling. What precedes the sequence number is the same for every ack
    of a stream, so it is checked once and looked up afterwards. Anything but the
    two plain shapes above (errors, duplicates, counters, batches, escapes,
    other spacing, a leading zero, a sequence beyond 20 digits) takes the
    general path, with the same result.
    """
    cut = data.rfind(b":") + 1  # the sequence follows the last colon
    head = data[:cut]
    plain = _heads.get(head) or _plain_head(head)
    if plain is not None and data[-1] == 0x7D:  # "}"
        seq = data[cut:-1]
        if 0 < len(seq) <= 20 and seq.isdigit() and (seq[0] != 0x30 or len(seq) == 1):
            n = int(seq)  # (JSON has no leading zeros)
            stream, domain = plain
            if domain is None:
                return PubAck(stream, n, raw={"stream": stream, "seq": n})
            raw = {"stream": stream, "domain": domain, "seq": n}
            return PubAck(stream, n, domain=domain or None, raw=raw)
    return PubAck.from_json(parse_reply(data, about))


def encode(obj: dict[str, Any] | None) -> bytes:
    """A request body (b"" for None)."""
    return b"" if obj is None else json.dumps(obj, separators=(",", ":")).encode()


def loads(text_or_dict: str | bytes | dict[str, Any]) -> dict[str, Any]:
    """A JSON text or a dict, as a dict (for the ``*_from_json`` methods)."""
    if isinstance(text_or_dict, dict):
        return text_or_dict
    try:
        obj = json.loads(text_or_dict)
    except ValueError as exc:
        raise InvalidArgError(f"invalid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise InvalidArgError("the JSON configuration must be an object")
    return obj


def publish_headers(
    headers: HeadersArg,
    *,
    stream: str | None,
    msg_id: str | None,
    expected_last_seq: int | None,
    expected_last_subject_seq: int | None,
    expected_last_msg_id: str | None,
    ttl: float | str | None = None,
    expected_last_subject_seq_subject: str | None = None,
) -> Headers | None:
    """The user's headers plus the JetStream publish expectations and ``ttl``
    (``Nats-TTL``, ADR-43: seconds, at least 1, or ``"never"``)."""
    if (
        msg_id is None
        and stream is None
        and expected_last_seq is None
        and expected_last_subject_seq is None
        and expected_last_msg_id is None
        and ttl is None
        and expected_last_subject_seq_subject is None
    ):
        return headers if headers is None or isinstance(headers, Headers) else Headers(headers)
    extra = {
        "Nats-Msg-Id": msg_id,
        "Nats-Expected-Stream": stream,
        "Nats-Expected-Last-Sequence": expected_last_seq,
        "Nats-Expected-Last-Subject-Sequence": expected_last_subject_seq,
        "Nats-Expected-Last-Subject-Sequence-Subject": expected_last_subject_seq_subject,
        "Nats-Expected-Last-Msg-Id": expected_last_msg_id,
        "Nats-TTL": None if ttl is None else ttl_text(ttl),
    }
    if expected_last_subject_seq_subject is not None and expected_last_subject_seq is None:
        raise InvalidArgError("expected_last_subject_seq_subject needs expected_last_subject_seq")
    out = Headers(headers) if headers else Headers()
    for key, value in extra.items():
        if value is not None:
            out.set(key, str(value))
    return out


def pull_request(
    batch: int,
    *,
    expires: float | None = None,
    no_wait: bool = False,
    max_bytes: int | None = None,
    heartbeat: float | None = None,
) -> dict[str, Any]:
    """A ``CONSUMER.MSG.NEXT`` request body (ADR-13)."""
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise InvalidArgError(f"batch must be a positive integer, not {batch!r}")
    req: dict[str, Any] = {"batch": batch}
    if no_wait:
        req["no_wait"] = True
    if expires is not None:
        req["expires"] = to_ns(expires)
    if max_bytes is not None:
        req["max_bytes"] = max_bytes
    if heartbeat is not None:
        req["idle_heartbeat"] = to_ns(heartbeat)
    return req


def fetch_expiry(timeout: float) -> float:
    """Server-side expiry for a client ``timeout``: 10 ms shorter (as nats.go, Tcl)."""
    return timeout - 0.01 if timeout >= 0.02 else timeout


def purge_request(filter: str | None, keep: int | None, seq: int | None) -> dict[str, Any] | None:
    """A ``STREAM.PURGE`` body (ADR-10); ``keep`` and ``seq`` exclude each other."""
    if keep is not None and seq is not None:
        raise InvalidArgError("keep and seq are mutually exclusive")
    req = {k: v for k, v in (("filter", filter), ("keep", keep), ("seq", seq)) if v is not None}
    return req or None


def msg_get_request(
    seq: int | None, last_by_subj: str | None, next_by_subj: str | None
) -> dict[str, Any]:
    """A ``STREAM.MSG.GET`` / ``DIRECT.GET`` body: seq, last_by_subj, or next_by_subj (+seq)."""
    if last_by_subj is not None and (seq is not None or next_by_subj is not None):
        raise InvalidArgError("last_by_subj excludes seq and next_by_subj")
    if seq is None and last_by_subj is None and next_by_subj is None:
        raise InvalidArgError("give seq, last_by_subj or next_by_subj")
    req: dict[str, Any] = {}
    if seq is not None:
        req["seq"] = seq
    if last_by_subj is not None:
        req["last_by_subj"] = last_by_subj
    if next_by_subj is not None:
        req["next_by_subj"] = next_by_subj
    return req


def stored_msg(reply: dict[str, Any], stream: str) -> tuple[str, bytes, Headers]:
    """Subject, data and headers of a ``STREAM.MSG.GET`` reply.

    The headers get ``Nats-Stream``, ``Nats-Subject``, ``Nats-Sequence`` and
    ``Nats-Time-Stamp`` as a Direct Get reply has them, so ``Msg.seq`` and
    ``Msg.time`` work the same for both.
    """
    stored = reply.get("message") or {}
    headers = Headers()
    if stored.get("hdrs"):
        headers, _, _ = decode_headers(base64.b64decode(stored["hdrs"]))
    subject = stored.get("subject", "")
    headers.set("Nats-Stream", stream)
    headers.set("Nats-Subject", subject)
    headers.set("Nats-Sequence", str(stored.get("seq", 0)))
    headers.set("Nats-Time-Stamp", str(stored.get("time", "")))
    data = base64.b64decode(stored["data"]) if stored.get("data") else b""
    return subject, data, headers


def direct_get_error(status: int, description: str, stream: str) -> JetStreamError:
    """The error for a Direct Get status reply (ADR-31)."""
    if status == 404:
        return MsgNotFoundError(description or "message not found", status=404, err_code=10037)
    return JetStreamError(f"direct get on stream {stream!r}: {status} {description}", status=status)


def consumer_create_subject(stream: str, config: dict[str, Any]) -> str:
    """``CONSUMER.CREATE.<stream>[.<name>[.<filter>]]`` for a consumer config."""
    check_name(stream, "stream name")
    durable = config.get("durable_name")
    name = config.get("name") or durable
    if durable and name != durable:
        raise InvalidArgError("name and durable_name differ")
    if not name:
        return f"CONSUMER.CREATE.{stream}"
    check_name(name, "consumer name")
    filt = config.get("filter_subject")
    if filt and not config.get("filter_subjects") and not set(filt.split(".")) & {"*", ">"}:
        return f"CONSUMER.CREATE.{stream}.{name}.{filt}"
    return f"CONSUMER.CREATE.{stream}.{name}"


class Pull(Enum):
    """What a status message means for a pull request (ADR-37 "Status handling")."""

    END = "end"  # the pull is over: 404, 408, 409 max bytes, leadership change, ...
    WARN = "warn"  # the pull was refused, the consumer still works (409 Exceeded ...)
    FATAL = "fatal"  # the consumer is gone or unusable (409 Consumer Deleted, 400, 503)


def pull_status(status: int, description: str) -> tuple[Pull, JetStreamError | None]:
    """Classify the status reply to a pull request, with the error to report if any."""
    text = description.lower()
    if status in (404, 408, 423):
        return Pull.END, None
    if status == 409:
        if "consumer deleted" in text:
            return Pull.FATAL, ConsumerNotFoundError(description, status=409)
        if "push based" in text:
            return Pull.FATAL, JetStreamError(description, status=409)
        if text.startswith("exceeded"):
            return Pull.WARN, JetStreamError(description, status=409)
        return Pull.END, None
    if status == 503:
        return Pull.FATAL, JetStreamNotEnabledError("JetStream is not available", status=503)
    return Pull.FATAL, JetStreamError(f"{status} {description}".strip(), status=status)


def pending_counts(headers: Headers) -> tuple[int, int]:
    """``Nats-Pending-Messages`` and ``Nats-Pending-Bytes`` of a pull status (0 if absent)."""
    counts = []
    for key in ("Nats-Pending-Messages", "Nats-Pending-Bytes"):
        try:
            counts.append(int(headers.get(key, "0")))
        except ValueError:
            counts.append(0)
    return counts[0], counts[1]
