"""Wire format of message headers (ADR-4): ``NATS/1.0[ status [description]]\\r\\n``,
then one ``Key: value\\r\\n`` line per value, then an empty line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from natskit.errors import BadHeaderMsgError
from natskit.headers import Headers, checked_headers, valid_key

__all__ = ["decode_headers", "encode_headers"]

_VERSION = "NATS/1.0"


def encode_headers(headers: Headers | Mapping[str, str | Sequence[str]] | None) -> bytes:
    """Serialize ``headers`` (a mapping is checked through :class:`Headers`); b"" for None."""
    if headers is None:
        return b""
    if not isinstance(headers, Headers):
        headers = Headers(headers)
    lines = [f"{key}: {value}\r\n" for key, value in headers.items()]
    return f"{_VERSION}\r\n{''.join(lines)}\r\n".encode()


def decode_headers(block: bytes) -> tuple[Headers, int | None, str]:
    """Parse a header block; return ``(headers, status or None, description)``."""
    if not block.startswith(b"NATS/1.0"):
        raise BadHeaderMsgError(f"header block does not start with NATS/1.0: {block[:32]!r}")
    # CR and LF must only appear as CRLF line ends (a value may not contain either).
    crlf = block.count(b"\r\n")
    if block.count(b"\r") != crlf or block.count(b"\n") != crlf:
        raise BadHeaderMsgError("bare CR or LF in header block")
    try:
        text = block.decode()
    except UnicodeDecodeError:
        raise BadHeaderMsgError("header block is not valid UTF-8") from None
    first, *lines = text.split("\r\n")
    status: int | None = None
    description = ""
    rest = first[len(_VERSION) :]
    if rest[:1] not in ("", " "):
        raise BadHeaderMsgError(f"bad header version line {first!r}")
    rest = rest.strip(" ")
    if rest:
        code, _, description = rest.partition(" ")
        if len(code) != 3 or not code.isascii() or not code.isdigit():
            raise BadHeaderMsgError(f"bad status in header version line {first!r}")
        status = int(code)
        description = description.strip(" ")
    d: dict[str, list[str]] = {}
    for line in lines:
        if not line:
            continue
        key, colon, value = line.partition(":")
        if not colon:
            raise BadHeaderMsgError(f"header line without ':': {line!r}")
        value = value.strip(" \t")
        values = d.get(key)
        if values is None:
            d[key] = [value]
        else:
            values.append(value)
    # the keys checked at once, as one string (":" cannot be in one), each only on a fault
    if d and ("" in d or not valid_key("".join(d))):
        bad = next(key for key in d if not valid_key(key))
        raise BadHeaderMsgError(f"invalid header key {bad!r}")
    return checked_headers(d), status, description
