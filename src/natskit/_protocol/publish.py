"""PUB and HPUB for one connection: argument checks, a template per subject, the size limit.

``PubEncoder.encode`` handles every form of publish. The connection's fast
path (a known subject, a ``bytes`` payload up to ``LARGE``, no reply, no
headers) formats the template that ``encode`` left in ``templates``:
``templates[subject] % (len(payload), payload)``, one dict lookup and one
``%``-format. Larger payloads are joined instead: ``%``-formatting copies a
1 MiB payload ten times slower than ``b"".join`` (bench ``pub_1m``). With the
compiled accelerator a template is a ``PubTemplate``, whose ``%`` makes the
same bytes in C (half the time of ``bytes.__mod__`` for a small payload).
"""

from __future__ import annotations

from typing import Any, Protocol

from natskit import _accel
from natskit._protocol.commands import hpub_cmd, pub_cmd
from natskit._protocol.headers import encode_headers
from natskit._protocol.subjects import check_framing, check_subject, encode_subject
from natskit.errors import HeadersNotSupportedError, InvalidArgError, MaxPayloadError
from natskit.msg import HeadersArg

__all__ = ["LARGE", "UNLIMITED", "PubEncoder", "ack_cmd"]

UNLIMITED = 1 << 62  # max_payload until the server's INFO says
LARGE = 64 * 1024  # larger payloads are joined, not %-formatted
TEMPLATES = 4096  # subjects whose PUB template is kept

Payload = bytes | bytearray | memoryview | str


class Template(Protocol):
    """``template % (size, payload)``: the PUB of a payload to one subject."""

    def __mod__(self, args: tuple[int, bytes], /) -> bytes: ...


def ack_cmd(reply: str, body: bytes) -> bytes:
    """A JetStream ack (``body``) to the server's ``reply`` subject, unchecked."""
    return b"PUB %b %d\r\n%b\r\n" % (reply.encode(), len(body), body)


class PubEncoder:
    """Encodes the publishes of one connection (``check_subjects``, INFO limits)."""

    __slots__ = ("_compiled", "check_subjects", "headers_supported", "max_payload", "templates")

    def __init__(self, check_subjects: bool, compiled: bool | None = None) -> None:
        """``compiled``: the accelerator's templates (True; ImportError if it is not
        built) or bytes (False); None: as ``natskit.accelerated`` says."""
        self.check_subjects = check_subjects
        # subject -> b"PUB <subject> %d\r\n%b\r\n", or its PubTemplate
        self.templates: dict[str, Template] = {}
        self._compiled = (
            _accel.speedups if compiled is None else _accel.load() if compiled else None
        )
        self.max_payload = UNLIMITED
        self.headers_supported = True

    def server_info(self, info: dict[str, Any]) -> None:
        """Adopt the limits of a server's INFO."""
        self.max_payload = int(info.get("max_payload") or 0) or UNLIMITED
        self.headers_supported = bool(info.get("headers"))

    def encode(
        self,
        subject: str,
        payload: Payload,
        reply: str | None,
        headers: HeadersArg,
        subject_trusted: bool = False,
        reply_trusted: bool = False,
    ) -> tuple[bytes, int]:
        """PUB or HPUB and its payload size (headers included) for any arguments;
        checks them (``subject_trusted``/``reply_trusted``: natskit's own or the
        server's subjects, only encoded) and remembers the subject's template."""
        if subject_trusted:
            subj = subject.encode()
        else:
            subj = encode_subject(subject, check=self.check_subjects)
            if subject not in self.templates:
                if len(self.templates) >= TEMPLATES:
                    self.templates.clear()
                compiled = self._compiled
                self.templates[subject] = (
                    b"PUB " + subj.replace(b"%", b"%%") + b" %d\r\n%b\r\n"  # "%" is a letter
                    if compiled is None
                    else compiled.PubTemplate(b"PUB " + subj + b" ")
                )
        if isinstance(payload, str):
            try:
                payload = payload.encode()
            except UnicodeEncodeError:
                raise InvalidArgError(
                    "a str payload must encode as UTF-8 (a lone surrogate?)"
                ) from None
        elif isinstance(payload, (bytearray, memoryview)):
            payload = bytes(payload)
        elif not isinstance(payload, bytes):
            raise InvalidArgError(f"payload must be bytes or str, not {type(payload).__name__}")
        rep = None
        if reply:
            if not reply_trusted:
                if self.check_subjects:
                    check_subject(reply)
                else:
                    check_framing(reply)  # unchecked, but never breaking the PUB line
            rep = reply.encode()
        if not headers:
            size = len(payload)
            cmd = pub_cmd(subj, rep, payload)
        else:
            if not self.headers_supported:
                raise HeadersNotSupportedError("the server does not support headers")
            hdr = encode_headers(headers)
            size = len(hdr) + len(payload)
            cmd = hpub_cmd(subj, rep, hdr, payload)
        self.check_size(size)
        return cmd, size

    def check_size(self, size: int) -> None:
        """``MaxPayloadError`` for a message larger than the server's ``max_payload``."""
        if size > self.max_payload:
            limit = self.max_payload
            raise MaxPayloadError(f"message of {size} bytes exceeds max_payload of {limit}")
