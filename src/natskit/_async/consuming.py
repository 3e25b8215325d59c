"""``ConsumeContext``: what ``consume()`` and ``consume_push()`` return.

Two implementations share this surface: ``PullConsumeContext`` (``pull.py``,
continuous pulls, ADR-37) and ``PushConsumeContext`` (``push.py``, a push
consumer's deliveries). Code written against ``ConsumeContext`` works with
either: iterate it or call ``next_msg`` (without a callback), ``stop()`` it,
read ``is_active``, ``last_error`` and ``pin_id``, or use it as a context
manager (stopped on exit).
"""

from __future__ import annotations

from .msg import Msg
from .subscription import MsgIterator


class ConsumeContext(MsgIterator):
    """A running consumption of a JetStream consumer (``stream``, ``consumer``).

    ``last_error`` is the last problem met (a missed heartbeat, a lost
    consumer); ``pin_id`` the pin id a pinned-client priority group gave this
    client (ADR-42; None when not pinned, always None for push consumers).
    """

    stream: str
    consumer: str
    last_error: BaseException | None

    async def next_msg(self, timeout: float | None = None) -> Msg:
        """The next message (without a callback); ``TimeoutError`` after ``timeout`` s."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Stop consuming; iteration ends after the messages already received."""
        raise NotImplementedError

    @property
    def is_active(self) -> bool:
        """False once stopped (by ``stop()``, an error, or the connection closing)."""
        raise NotImplementedError

    @property
    def pin_id(self) -> str | None:
        """The pin id of a pinned-client priority group (ADR-42), if pinned."""
        return None

    async def __aenter__(self) -> ConsumeContext:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
