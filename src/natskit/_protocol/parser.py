"""Incremental parser for the server-to-client half of the NATS protocol.

Theory of operation: the parser is sans-I/O. The connection hands it whatever bytes the
socket produced, in any split, and :meth:`Parser.feed` returns every frame those bytes
complete. The parser is always in one of three states. *Between frames* it scans the new
bytes for ``\\n`` with ``bytes.find``, checks the ``\\r`` before it, and decodes each
control line; a frame whose payload is already in the buffer is sliced out at once.
*Inside a control line* (no ``\\n`` yet) it keeps the partial line in a ``bytearray``,
rejecting it as soon as it grows past the length limit. *Inside a payload* (``MSG`` or
``HMSG`` whose body has not fully arrived) it knows exactly how many bytes it still
needs, so it only appends each chunk to a list and joins them once, when enough has
arrived: a 64 MiB payload in 64 KiB chunks costs one copy, not a quadratic number.
Any input that does not follow the grammar raises :class:`~natskit.errors.ProtocolError`
and nothing else; the parser must then be :meth:`~Parser.reset` (the connection is
normally dropped anyway).

With the compiled accelerator (``natskit._speedups``, see ``natskit._accel``) the
frames between the states are taken by its ``Scanner``: complete MSG and HMSG
frames whose control line is in the fast form below. It stops at anything else,
and this code then handles that one frame (partial frames, other operations,
every error), so both give the same frames and the same errors for any input.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple, TypeAlias

from natskit import _accel
from natskit._protocol.info import check_info
from natskit.errors import ProtocolError

__all__ = [
    "MAX_CONTROL_LINE",
    "MAX_INFO_LINE",
    "OK",
    "PING",
    "PONG",
    "Err",
    "Frame",
    "Info",
    "MsgFrame",
    "Ok",
    "Parser",
    "Ping",
    "Pong",
]

#: Longest control line (bytes before ``\r\n``) accepted, as in nats-server.
MAX_CONTROL_LINE = 4096
#: INFO is exempt from MAX_CONTROL_LINE: servers in a large cluster send INFO lines
#: of many KiB (``connect_urls``, ``ws_connect_urls``), so allow up to 1 MiB.
MAX_INFO_LINE = 1 << 20


class Info(NamedTuple):
    """``INFO {json}``: the server's description of itself."""

    info: dict[str, Any]


#: ``MSG`` (``header`` is None) or ``HMSG`` (``header`` is the raw header block):
#: ``(subject, sid, reply, header, payload)``. A plain tuple, the one frame that is
#: (``type(frame) is tuple``): a NamedTuple costs 100 ns more per message to make
#: and to unpack.
MsgFrame: TypeAlias = tuple[str, int, str | None, bytes | None, bytes]


class Err(NamedTuple):
    """``-ERR 'message'``, with the quotes removed."""

    message: str


class _Singleton:
    __slots__ = ()

    def __repr__(self) -> str:
        return type(self).__name__.upper()


class Ping(_Singleton):
    """``PING``; the parser always returns :data:`PING`."""

    __slots__ = ()


class Pong(_Singleton):
    """``PONG``; the parser always returns :data:`PONG`."""

    __slots__ = ()


class Ok(_Singleton):
    """``+OK``; the parser always returns :data:`OK`."""

    __slots__ = ()


PING = Ping()
PONG = Pong()
OK = Ok()

Frame: TypeAlias = Info | MsgFrame | Err | Ping | Pong | Ok

_MSG, _HMSG, _PING, _PONG, _OK, _ERR, _INFO = range(7)
_OPS = {
    b"MSG": _MSG,
    b"HMSG": _HMSG,
    b"PING": _PING,
    b"PONG": _PONG,
    b"+OK": _OK,
    b"-ERR": _ERR,
    b"INFO": _INFO,
}
_OP_LEN = {kind: len(op) for op, kind in _OPS.items()}
_CRLF = b"\r\n"
_LINE_CACHE = 1024  # decoded control lines kept; cleared when full
# (subject, sid, reply, total size, header size or -1)
_MsgArgs = tuple[str, int, str | None, int, int]


def _tokenize(line: bytes) -> tuple[int, list[bytes]]:
    """Slow path: (op kind, words of ``line``) for any case and runs of spaces or tabs."""
    words = line.replace(b"\t", b" ").split(b" ")
    kind = _OPS.get(words[0].upper(), -1)
    if kind < 0:
        raise ProtocolError(f"unknown protocol operation {line[:32]!r}")
    return kind, [w for w in words if w]


def _control_frame(kind: int, line: bytes) -> Frame:
    """Decode a line that is not MSG or HMSG."""
    rest = line[_OP_LEN[kind] :]
    if kind == _INFO:
        try:
            info = json.loads(rest)
        except (ValueError, RecursionError) as e:
            raise ProtocolError(f"invalid INFO JSON: {e}") from None
        if not isinstance(info, dict):
            raise ProtocolError("INFO is not a JSON object")
        return Info(check_info(info))
    if kind == _ERR:
        text = rest.strip(b" \t").strip(b"'").strip(b" \t")
        return Err(text.decode(errors="replace"))
    if rest.strip(b" \t"):
        raise ProtocolError(f"unexpected arguments: {line[:32]!r}")
    return PING if kind == _PING else PONG if kind == _PONG else OK


def _check_length(head: bytes | bytearray, length: int) -> None:
    """Reject a control line of ``length`` bytes that starts with ``head``, if too long."""
    if length > MAX_CONTROL_LINE:
        limit = MAX_INFO_LINE if head[:5].upper() in (b"INFO ", b"INFO\t") else MAX_CONTROL_LINE
        if length > limit:
            raise ProtocolError(f"control line longer than {limit} bytes")


class Parser:
    """Turns a stream of bytes from the server into frames; see the module docstring."""

    __slots__ = ("_chunks", "_fast", "_have", "_line", "_lines", "_msg", "_need")

    def __init__(self, compiled: bool | None = None) -> None:
        """``compiled``: use the accelerator (True; ImportError if it is not built)
        or not (False); None: as ``natskit.accelerated`` says."""
        speedups = _accel.speedups if compiled is None else _accel.load() if compiled else None
        # Scanner.scan(buf, pos, frames) -> the position of the first frame it left
        self._fast = None if speedups is None else speedups.Scanner().scan
        self._line = bytearray()  # partial control line
        self._chunks: list[bytes] = []  # partial payload frame (from its first byte)
        self._have = 0  # bytes in _chunks
        self._need = 0  # bytes the pending frame needs, trailing \r\n included; 0: none
        self._msg: tuple[str, int, str | None, int] = ("", 0, None, -1)  # hdr_len -1: MSG
        # Decoded MSG/HMSG lines: a stream on one subject repeats the same line.
        self._lines: dict[bytes, _MsgArgs] = {}

    def reset(self) -> None:
        """Forget any partial frame (after a ProtocolError or a new connection)."""
        self._line.clear()
        self._chunks = []
        self._have = 0
        self._need = 0

    def feed(self, data: bytes) -> list[Frame]:
        """Consume ``data``; return the frames it completes, in order.

        On a ProtocolError, frames completed earlier in the same call are not returned.
        """
        frames: list[Frame] = []
        if not data:
            return frames
        if self._need:
            self._chunks.append(data)
            self._have += len(data)
            if self._have < self._need:
                return frames
            body, data = self._take_body()
            frames.append(self._msg_frame(body))
        elif self._line:
            if data.find(b"\n") < 0:
                line = self._line
                line += data
                _check_length(line, len(line) - (line[-1] == 13))
                return frames
            data = b"".join((self._line, data))
            self._line.clear()
        if data:
            self._scan(data, frames)
        return frames

    def _take_body(self) -> tuple[bytes, bytes]:
        """Join the pending frame's chunks: return (body without \\r\\n, bytes after it)."""
        chunks = self._chunks
        end = len(chunks[-1]) - (self._have - self._need)  # frame's bytes in last chunk
        if end < 2:  # the \r\n straddles two chunks: merge them
            last = chunks.pop()
            end += len(chunks[-1])
            chunks[-1] += last
        last = chunks[-1]
        if not last.startswith(_CRLF, end - 2):
            raise ProtocolError("message payload not followed by \\r\\n")
        chunks[-1] = last[: end - 2]
        body = b"".join(chunks)
        self._chunks = []
        self._have = self._need = 0
        return body, last[end:]

    def _msg_frame(self, body: bytes) -> MsgFrame:
        subject, sid, reply, hdr_len = self._msg
        if hdr_len < 0:
            return (subject, sid, reply, None, body)
        return (subject, sid, reply, body[:hdr_len], body[hdr_len:])

    @staticmethod
    def _decode_line(line: bytes, frames: list[Frame]) -> _MsgArgs | None:
        """Decode a control line: MSG/HMSG arguments, or append any other frame."""
        # Fast path: upper-case op, single spaces. Anything else goes to _tokenize.
        args = line.split(b" ")
        kind = _OPS.get(args[0], -1)
        # (9 in line: a tab; much faster than b"\t" in line.)
        if kind < 0 or 9 in line or b"" in args:
            kind, args = _tokenize(line)
        if kind > _HMSG:
            frames.append(_control_frame(kind, line))
            return None
        # MSG subject sid [reply] size / HMSG subject sid [reply] hdr_len total_len
        n = len(args) - kind  # _MSG is 0, _HMSG is 1: 4 or 5 for both
        if n != 4 and n != 5:
            raise ProtocolError(f"wrong number of arguments: {line[:64]!r}")
        sid = args[2]
        size = args[-1]
        # bytes.isdigit() is ASCII-only; int() alone would accept b"+1", b" 1", b"1_0".
        if not (sid.isdigit() and size.isdigit() and (kind == _MSG or args[-2].isdigit())):
            raise ProtocolError(f"invalid sid or size: {line[:64]!r}")
        try:
            subject = args[1].decode()
            reply = args[3].decode() if n == 5 else None
            sid_n = int(sid)
            total = int(size)
            hdr_len = int(args[-2]) if kind == _HMSG else -1
        except ValueError:  # a UnicodeDecodeError, or more digits than int() allows
            raise ProtocolError(f"invalid subject or number: {line[:64]!r}") from None
        if hdr_len > total:
            raise ProtocolError(f"HMSG header size > total size: {line[:64]!r}")
        return subject, sid_n, reply, total, hdr_len

    def _split_run(self, buf: bytes, frames: list[Frame]) -> int:
        """Fast path for a run of MSG frames whose control lines were seen before
        (a stream on one subject): one C ``split`` at CRLF, then a line and its
        payload per frame. It stops, for ``_scan`` to go on at the returned
        position, at the first frame that is not such a MSG, whose payload holds
        CRLF (its part is then shorter than the size), or that is incomplete."""
        parts = buf.split(_CRLF)
        get = self._lines.get
        append = frames.append
        pos = 0
        i = 0
        last = len(parts) - 2  # parts[i + 1] must be followed by CRLF too
        while i < last:
            known = get(parts[i])  # only validated lines are in the cache
            if known is None:
                break
            subject, sid_n, reply, total, hdr_len = known
            payload = parts[i + 1]
            if hdr_len >= 0 or len(payload) != total:
                break
            append((subject, sid_n, reply, None, payload))
            pos += len(parts[i]) + total + 4
            i += 2
        return pos

    def _scan(self, buf: bytes, frames: list[Frame]) -> None:
        """Parse frames from ``buf``; keep any incomplete tail in the parser state."""
        append = frames.append
        find = buf.find
        cache = self._lines
        fast = self._fast
        pos = 0
        end = len(buf)
        if fast is None and buf.startswith(b"MSG "):  # a split, if it starts with a known MSG
            first = cache.get(buf[: find(b"\r\n")])
            if first is not None and first[4] < 0:
                pos = self._split_run(buf, frames)
        while pos < end:
            if fast is not None:  # the compiled loop takes what it can; the rest is ours
                pos = fast(buf, pos, frames)
                if pos == end:
                    return
            nl = find(b"\n", pos)
            if nl < 0:
                # A partial line is rejected as soon as it is too long, \r or not.
                _check_length(buf[pos : pos + 5], end - pos - (buf[end - 1] == 13))
                self._line += buf[pos:]
                return
            cr = nl - 1
            if cr < pos or buf[cr] != 13:
                raise ProtocolError("control line not terminated by \\r\\n")
            if cr - pos > MAX_CONTROL_LINE:
                _check_length(buf[pos : pos + 5], cr - pos)
            line = buf[pos:cr]
            pos = nl + 1
            known = cache.get(line)
            if known is None:
                known = self._decode_line(line, frames)
                if known is None:
                    continue
                if len(cache) >= _LINE_CACHE:
                    cache.clear()
                cache[line] = known
            subject, sid_n, reply, total, hdr_len = known
            stop = pos + total
            if stop + 2 > end:  # the payload is still arriving
                self._msg = (subject, sid_n, reply, hdr_len)
                self._chunks = [buf[pos:]] if pos < end else []
                self._have = end - pos
                self._need = total + 2
                return
            if buf[stop] != 13 or buf[stop + 1] != 10:
                raise ProtocolError("message payload not followed by \\r\\n")
            if hdr_len < 0:
                append((subject, sid_n, reply, None, buf[pos:stop]))
            else:
                split = pos + hdr_len
                header = buf[pos:split]
                append((subject, sid_n, reply, header, buf[split:stop]))
            pos = stop + 2
