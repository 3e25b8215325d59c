"""Messages received on (or sent with) an asyncio connection."""

from __future__ import annotations

from ..errors import InvalidArgError
from ..msg import HeadersArg, MsgBase


class Msg(MsgBase):
    """A message; ``respond`` publishes to its reply subject."""

    __slots__ = ()

    async def respond(self, payload: bytes | str = b"", *, headers: HeadersArg = None) -> None:
        """Publish ``payload`` to this message's reply subject."""
        if not self.reply:
            raise InvalidArgError("the message has no reply subject")
        if self._conn is None:
            raise InvalidArgError("the message was not received on a connection")
        await self._conn.publish(self.reply, payload, headers=headers)
