"""Messages received on (or sent with) an asyncio connection.

``natskit.Msg`` (the blocking one, generated from this file) is the shared
message type: ``natskit.aio.Msg`` derives from it and has the same methods
as coroutines, so ``isinstance(msg, natskit.Msg)`` holds for a message of
either API and a type hint ``natskit.Msg`` accepts both. (The coroutine
methods override blocking ones: code typed against ``natskit.Msg`` that
calls ``respond()`` on an asyncio message must await it; mypy's override
check is off in this module for that reason.)
"""
# mypy: disable-error-code="override"

from __future__ import annotations

from typing import TYPE_CHECKING

from .._jsapi.wire import to_ns
from .._protocol import ack_cmd
from .._sync.msg import Msg as BlockingMsg  # unasync: remove
from ..errors import InvalidArgError, NotJSMessageError
from ..msg import HeadersArg, MsgBase

if TYPE_CHECKING:
    from .link import Link

# Ack bodies (ADR-15).
ACK = b"+ACK"
NAK = b"-NAK"
WPI = b"+WPI"
TERM = b"+TERM"


def nak_body(delay: float | None) -> bytes:
    return NAK if delay is None else NAK + b' {"delay":%d}' % to_ns(delay)


def term_body(reason: str | None) -> bytes:
    if not reason:
        return TERM
    try:
        return TERM + b" " + reason.encode()
    except (UnicodeEncodeError, AttributeError):
        raise InvalidArgError(
            f"term() takes a str reason that encodes as UTF-8, not {reason!r}"
        ) from None


async def send_ack(
    link: Link | None,
    msg: MsgBase,
    body: bytes,
    *,
    sync: bool = False,
    timeout: float | None = None,
) -> None:
    """Publish an ack of ``msg`` through ``link``; ``sync`` waits for the server's reply.

    After a terminal ack (``+ACK``, ``-NAK``, ``+TERM``) further acks of the
    same message are ignored (ADR-15).
    """
    if not msg.reply:
        raise NotJSMessageError("the message has no reply subject to acknowledge")
    if link is None:
        raise InvalidArgError("the message was not received on a connection")
    if getattr(msg, "_acked", False):
        return
    if sync:
        await link.request(msg.reply, body, timeout=timeout, subject_trusted=True)
    else:
        await link.publish(msg.reply, body, subject_trusted=True)
    if isinstance(msg, Msg) and not body.startswith(WPI):
        msg._acked = True


class Msg(BlockingMsg):  # unasync: sync: class Msg(MsgBase):
    """A message; ``respond`` publishes to its reply subject, the JetStream acks to the server."""

    __slots__ = ()  # unasync: sync: __slots__ = ("_acked",)
    _acked: bool  # set by the first terminal ack (unset until then)

    async def respond(self, payload: bytes | str = b"", *, headers: HeadersArg = None) -> None:
        """Publish ``payload`` to this message's reply subject."""
        if not self.reply:
            raise InvalidArgError("the message has no reply subject")
        link: Link | None = self._link
        if link is None:
            raise InvalidArgError("the message was not received on a connection")
        await link.conn.publish(self.reply, payload, headers=headers)

    async def ack(self) -> None:
        """Acknowledge a JetStream message; returns once the ack is sent (``ack_sync``
        also waits for the server to confirm it). A second ack of the same
        message is ignored."""
        link: Link | None = self._link
        reply = self.reply
        if link is None or not reply or getattr(self, "_acked", False):
            await send_ack(link, self, ACK)  # raises, or ignores a repeated ack
            return
        # send_ack() inlined, the reply subject being the server's: one ack per
        # message is the hottest path of pull consumers
        drain = link.send(ack_cmd(reply, ACK), 4)
        self._acked = True
        if drain:
            await link.drain()

    async def ack_sync(self, timeout: float | None = None) -> None:
        """Acknowledge and wait until the server confirms it."""
        await send_ack(self._link, self, ACK, sync=True, timeout=timeout)

    async def nak(self, delay: float | None = None) -> None:
        """Ask for redelivery, at once or after ``delay`` seconds."""
        await send_ack(self._link, self, nak_body(delay))

    async def in_progress(self) -> None:
        """Tell the server the message is being worked on (resets its ack timer)."""
        await send_ack(self._link, self, WPI)

    async def term(self, reason: str | None = None) -> None:
        """Stop redelivery of the message, with an optional ``reason``."""
        await send_ack(self._link, self, term_body(reason))
