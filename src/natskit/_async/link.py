"""``Link``: what natskit's own layers use of a connection beyond its public API.

Messages (``respond``, the acks), subscriptions, JetStream and its consumers
hold the link of their connection rather than reaching into it. The
connection makes one and hands it the methods it may call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._io_async import Task, spawn
from ..errors import ConnectionClosedError
from ..msg import HeadersArg
from ..status import Status

if TYPE_CHECKING:
    from .connection import Connection
    from .msg import Msg
    from .requests import Replies

Payload = bytes | bytearray | memoryview | str


def ended_error(reason: Exception | None) -> ConnectionClosedError:
    """``ConnectionClosedError`` for what waits on a closed connection; its
    ``__cause__`` is ``reason``, why it was lost for good (None: closed by the user)."""
    if reason is None:
        return ConnectionClosedError("the connection is closed")
    err = ConnectionClosedError(f"the connection was lost for good: {reason}")
    err.__cause__ = reason
    return err


class Link:
    """The internal interface of one connection (``conn``, its public API)."""

    replies: Replies  # the shared reply inbox: register a future, forget it

    def __init__(
        self,
        conn: Connection,
        *,
        publish: Callable[..., Any],
        queue: Callable[..., bool],
        request: Callable[..., Any],
        send: Callable[[bytes, int], bool],
        drain: Callable[[], Any],
        control: Callable[[bytes], bool],
        check_writable: Callable[[], None],
        report: Callable[[Exception], None],
        callback_failed: Callable[..., None],
        listeners: list[Callable[[Status], None]],
    ) -> None:
        self.conn = conn
        self._publish = publish
        self.queue = queue  # (subject, payload, reply, headers) -> True: drain() then
        self._request = request
        self._send = send
        self._drain = drain
        self._control = control
        self._check_writable = check_writable
        self._report = report
        self.callback_failed = callback_failed  # (exc, what, *, sid=0, subject="")
        self._tasks: list[Task] = []
        self._listeners = listeners

    async def publish(
        self,
        subject: str,
        payload: Payload = b"",
        *,
        reply: str | None = None,
        headers: HeadersArg = None,
        subject_trusted: bool = False,
        urgent: bool = False,
    ) -> None:
        """Publish natskit's own message: ``reply`` (an inbox made here) is not
        checked, nor is ``subject`` when ``subject_trusted`` (from the server);
        ``urgent`` sends at once (a caller waits for the answer)."""
        await self._publish(
            subject,
            payload,
            reply=reply,
            headers=headers,
            subject_trusted=subject_trusted,
            urgent=urgent,
        )

    async def request(
        self,
        subject: str,
        payload: Payload = b"",
        *,
        timeout: float | None = None,
        subject_trusted: bool = False,
    ) -> Msg:
        """``Connection.request``, to a subject from the server when ``subject_trusted``."""
        msg: Msg = await self._request(subject, payload, None, timeout, subject_trusted)
        return msg

    def send(self, cmd: bytes, size: int) -> bool:
        """Queue an encoded message; True when the caller should ``drain()``."""
        return self._send(cmd, size)

    async def drain(self) -> None:
        """Wait until the socket takes more data (after ``send`` said so)."""
        await self._drain()

    def control(self, cmd: bytes) -> bool:
        """Send a control line (SUB, UNSUB) if connected; True when it went out.
        A reconnect restores the subscriptions anyway."""
        return self._control(cmd)

    def check_writable(self) -> None:
        """``ConnectionClosedError`` once the connection is closed."""
        self._check_writable()

    def spawn(self, fn: Callable[..., Any], *args: Any, name: str) -> Task:
        """Start a background task of the connection's (a consumer's, a
        watcher's): ``close()`` waits for it to end (``join_tasks``)."""
        self._tasks = [t for t in self._tasks if not t.done()]  # never grows
        task = spawn(fn, *args, name=name)
        self._tasks.append(task)
        return task

    async def join_tasks(self) -> None:
        """Wait for the tasks ``spawn`` started (they end once the connection is closed)."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            await task.join()

    def closed_error(self) -> ConnectionClosedError:
        """What ends iterators once the connection is closed: caused by
        ``last_error`` when it was lost for good (iteration then raises it),
        with no cause after the user's own ``close()`` (iteration just ends)."""
        return ended_error(self.conn.last_error)

    def report(self, err: Exception) -> None:
        """An asynchronous error: ``last_error``, the log, ``error_cb``."""
        self._report(err)

    def add_status_listener(self, listener: Callable[[Status], None]) -> None:
        """Call ``listener(status)`` at once on every change (it must not block)."""
        self._listeners.append(listener)

    def remove_status_listener(self, listener: Callable[[Status], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)
