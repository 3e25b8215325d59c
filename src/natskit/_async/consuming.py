"""``ConsumeContext``: what ``consume()`` and ``consume_push()`` return.

Two implementations share this surface: ``PullConsumeContext`` (``pull.py``,
continuous pulls, ADR-37) and ``PushConsumeContext`` (``push.py``, a push
consumer's deliveries). Code written against ``ConsumeContext`` works with
either: iterate it or call ``next_msg`` (without a callback), ``stop()`` it,
read ``is_active``, ``last_error`` and ``pin_id``, or use it as a context
manager (stopped on exit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._io_async import Queue, StateLock, TimerHandle
from ..errors import NatsError
from ..status import Status
from .msg import Msg
from .subscription import Item, MsgIterator, Subscription, unsubscribe_quietly

if TYPE_CHECKING:
    from .link import Link


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
        """Stop consuming; iteration ends after the messages already received
        (the server-side consumer stays)."""
        await self._stop(None)

    @property
    def is_active(self) -> bool:
        """False once stopped: by ``stop()``, or by an error that ends it (the
        consumer deleted, the connection closed)."""
        return not self._stopped

    # -- shared by the implementations (their state, declared here) ----------

    if TYPE_CHECKING:
        _lock: StateLock
        _stopped: bool
        _link: Link
        _timer: TimerHandle | None
        _queue: Queue[Item]
        _sub: Subscription | None

        def _on_status(self, status: Status) -> None: ...

    def _warn(self, err: BaseException) -> None:
        """A problem to report: ``last_error``, and ``error_cb`` for natskit's errors."""
        self.last_error = err
        if isinstance(err, NatsError):
            self._link.report(err)

    async def _stop(self, err: BaseException | None) -> None:
        """End it (once): ``err`` is why, None for ``stop()``."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._link.remove_status_listener(self._on_status)
        if err is not None:
            self._warn(err)
        if self._timer is not None:
            self._timer.cancel()
        self._queue.put_nowait(err)
        if self._sub is not None:
            await unsubscribe_quietly(self._sub)

    @property
    def pin_id(self) -> str | None:
        """The pin id of a pinned-client priority group (ADR-42), if pinned."""
        return None

    async def __aenter__(self) -> ConsumeContext:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
