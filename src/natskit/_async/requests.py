"""Request/reply for ``Connection``: one shared inbox, futures, many replies."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from .. import _instrument
from .._io_async import (
    Future,
    Settable,
    Waiter,
    check_blocking_allowed,
    fail,
    future_factory,
    monotonic,
    resolve,
)
from ..errors import BadSubscriptionError, NoRespondersError, TimeoutError
from ..msg import HeadersArg, MsgBase, headers_of
from ..options import Options, check_timeout
from .deadlines import Deadlines
from .msg import Msg
from .subscription import Router, Subscription, unsubscribe_quietly, untraced

Payload = bytes | bytearray | memoryview | str


class Replies:
    """The shared reply inbox of a connection: one wildcard subscription
    ``<inbox>.*`` for every request, the waiting future of each token, and
    their timeouts on one timer (``Deadlines``)."""

    def __init__(self, router: Router, new_inbox: Callable[[], str]) -> None:
        self._router = router
        self._new_inbox = new_inbox
        self._sub: Subscription | None = None
        self._prefix = ""
        self._cut = 0  # len(self._prefix): the token is what follows
        # token -> (waiter, timeout or None, subject of the request)
        self._map: dict[str, tuple[Settable, float | None, str]] = {}
        self._ids = itertools.count(1)
        self._deadlines: Deadlines[str] = Deadlines(router.lock, self._expired)
        # the futures of requests, made on the connection's loop (bound on first use)
        self._make_waiter: Callable[[], Waiter[Msg]] | None = None
        self._make_future: Callable[[], RequestFuture] | None = None

    def new_waiter(self) -> Waiter[Msg]:
        """What ``request()`` waits on."""
        make = self._make_waiter
        if make is None:
            make = self._make_waiter = future_factory(Waiter)
        return make()

    def new_future(self) -> RequestFuture:
        """The future ``request_future()`` returns."""
        make = self._make_future
        if make is None:
            make = self._make_future = future_factory(RequestFuture)
        return make()

    def register(self, fut: Settable, timeout: float | None = None, subject: str = "") -> str:
        """Wait for a reply with ``fut``; return the reply subject to send. After
        ``timeout`` seconds ``fut`` fails with ``TimeoutError`` (about ``subject``)."""
        with self._router.lock:
            if self._sub is None:
                self._prefix = f"{self._new_inbox()}."
                self._cut = len(self._prefix)
                self._sub = self._router.subscribe(self._prefix + "*", on_reader=self._on_reply)
            token = f"{next(self._ids):x}"
            self._map[token] = (fut, timeout, subject)
            if timeout is not None:
                self._deadlines.add(token, timeout)
        return self._prefix + token

    def __len__(self) -> int:
        """The requests waiting for a reply."""
        return len(self._map)

    def forget(self, reply: str) -> None:
        """No reply to ``reply`` is awaited any more."""
        token = reply[self._cut :]
        entry = self._map.pop(token, None)
        if entry is not None and entry[1] is not None:
            with self._router.lock:
                self._deadlines.discard(token, entry[1])

    def _on_reply(self, msg: Msg) -> None:
        """A reply on the shared inbox: resolve its request (on the reader)."""
        token = msg.subject[self._cut :]
        entry = self._map.pop(token, None)
        if entry is None:
            return
        fut, timeout, _ = entry
        if timeout is not None:
            with self._router.lock:
                self._deadlines.discard(token, timeout)
        if msg.status is not None and msg.is_no_responders:  # (request() names the subject)
            fail(fut, NoRespondersError("no responders for the request"))
        else:
            resolve(fut, msg)

    def _expired(self, tokens: list[str]) -> None:
        """The deadlines of ``tokens`` passed: fail their requests (on the timer)."""
        for token in tokens:
            entry = self._map.pop(token, None)
            if entry is not None:
                fut, timeout, subject = entry
                fail(fut, TimeoutError(f"request to {subject!r} timed out after {timeout} s"))

    def fail_all(self, exc: Exception) -> None:
        """The connection is closed: fail every waiting request; the inbox
        subscription ended with the others (a reconnect makes a new one)."""
        with self._router.lock:
            entries = list(self._map.values())
            self._map.clear()
            self._deadlines.stop()
            self._sub = None
        for fut, _, _ in entries:
            fail(fut, exc)


class RequestFuture(Future[Msg]):
    """The future of ``request_future``: cancelling it forgets the request
    (without a done callback on every request)."""

    replies: Replies
    reply = ""

    def cancel(self, *args: Any, **kwargs: Any) -> bool:
        if not super().cancel(*args, **kwargs):
            return False
        if self.reply:
            self.replies.forget(self.reply)
        return True


class RequestMethods:
    """The request methods of ``Connection`` (a mixin)."""

    if TYPE_CHECKING:
        options: Options
        _replies: Replies
        _router: Router

        def new_inbox(self) -> str: ...

        async def _publish_internal(
            self,
            subject: str,
            payload: Payload = b"",
            *,
            reply: str | None = None,
            headers: HeadersArg = None,
            subject_trusted: bool = False,
            urgent: bool = False,
        ) -> None: ...

        def _queue_internal(
            self,
            subject: str,
            payload: Payload,
            reply: str | None,
            headers: HeadersArg,
            subject_trusted: bool = False,
            urgent: bool = False,
        ) -> bool: ...

        async def _drain_writer(self) -> None: ...

    async def request(
        self,
        subject: str,
        payload: Payload = b"",
        *,
        headers: HeadersArg = None,
        timeout: float | None = None,
    ) -> Msg:
        """Send a request and return the first reply.

        ``payload`` is bytes (``str`` is sent as UTF-8); ``timeout`` defaults to
        the ``request_timeout`` option (None there: no limit). ``TimeoutError``
        when no reply came in time, ``NoRespondersError`` at once when the
        server says nobody listens on ``subject``.
        """
        hooks = _instrument.active
        if hooks is not None:
            with hooks.send("request", self, subject, payload, headers) as op:
                msg = await self._request(subject, payload, op.headers, timeout)
                op.result(msg)
                return msg
        # _request, written out: a coroutine less per request (1,000 in flight: req_conc)
        check_blocking_allowed()  # before anything is sent
        timeout = check_timeout(timeout, self.options.request_timeout)
        fut = self._replies.new_waiter()
        # asyncio: the inbox's timer fails fut at the deadline; a blocking caller's
        # thread times its own wait (not left to the process's one timer thread)
        due = timeout  # unasync: sync: due = None
        reply = self._replies.register(fut, due, subject)
        try:
            if self._queue_internal(subject, payload, reply, headers, False, True):
                await self._drain_writer()
            return await fut  # unasync: sync: return fut.result(timeout)
        except TimeoutError:
            raise TimeoutError(f"request to {subject!r} timed out after {timeout} s") from None
        except NoRespondersError:
            raise NoRespondersError(f"no responders on {subject!r}") from None
        finally:
            self._replies.forget(reply)

    async def _request(
        self,
        subject: str,
        payload: Payload,
        headers: HeadersArg,
        timeout: float | None,
        subject_trusted: bool = False,
    ) -> Msg:
        """``request`` (traced, or from ``Link``); ``subject_trusted`` for subjects from
        the server (ack subjects), which skip the checks and caches meant for the
        user's subjects."""
        check_blocking_allowed()  # before anything is sent
        timeout = check_timeout(timeout, self.options.request_timeout)
        fut = self._replies.new_waiter()
        due = timeout  # unasync: sync: due = None
        reply = self._replies.register(fut, due, subject)
        try:
            if self._queue_internal(subject, payload, reply, headers, subject_trusted, True):
                await self._drain_writer()
            return await fut  # unasync: sync: return fut.result(timeout)
        except TimeoutError:
            raise TimeoutError(f"request to {subject!r} timed out after {timeout} s") from None
        except NoRespondersError:
            raise NoRespondersError(f"no responders on {subject!r}") from None
        finally:
            self._replies.forget(reply)

    async def request_msg(self, msg: MsgBase, *, timeout: float | None = None) -> Msg:
        """``request`` with the subject, data and headers of ``msg``."""
        return await self.request(msg.subject, msg.data, headers=headers_of(msg), timeout=timeout)

    async def request_future(
        self,
        subject: str,
        payload: Payload = b"",
        *,
        headers: HeadersArg = None,
        timeout: float | None = None,
    ) -> Future[Msg]:
        """Send a request and return a future of the reply, without waiting.

        A ``concurrent.futures.Future`` in the blocking API, an
        ``asyncio.Future`` in asyncio. It gets the reply, or ``TimeoutError``
        after ``timeout`` (default: the ``request_timeout`` option), or
        ``NoRespondersError``; cancelling it forgets the request.
        """
        timeout = check_timeout(timeout, self.options.request_timeout)
        fut = self._replies.new_future()
        hooks = _instrument.active
        op = None if hooks is None else hooks.send("request", self, subject, payload, headers)
        if op is not None:
            headers = op.headers
            fut.add_done_callback(op.future_done)
        reply = fut.reply = self._replies.register(fut, timeout, subject)
        fut.replies = self._replies
        try:
            if self._queue_internal(subject, payload, reply, headers):
                await self._drain_writer()
        except BaseException as exc:
            if op is not None:
                op.end(exc)
            fut.cancel()
            raise
        return fut

    async def request_many(
        self,
        subject: str,
        payload: Payload = b"",
        *,
        headers: HeadersArg = None,
        timeout: float | None = None,
        max_msgs: int | None = None,
        stall: float | None = None,
    ) -> list[Msg]:
        """Send a request and return, as a list, the replies of every responder until
        ``max_msgs`` came, ``timeout`` passed (default: the ``request_timeout``
        option) or, once one came, none followed for ``stall`` s.
        ``TimeoutError`` if none came, ``NoRespondersError`` if the server says
        nobody listens.
        """
        return [
            msg
            async for msg in self.iter_request_many(
                subject, payload, headers=headers, timeout=timeout, max_msgs=max_msgs, stall=stall
            )
        ]

    async def iter_request_many(
        self,
        subject: str,
        payload: Payload = b"",
        *,
        headers: HeadersArg = None,
        timeout: float | None = None,
        max_msgs: int | None = None,
        stall: float | None = None,
    ) -> AsyncIterator[Msg]:
        """Send a request and yield the replies of every responder as they come, until
        ``max_msgs`` came, ``timeout`` passed (default: the ``request_timeout``
        option) or, once one came, none followed for ``stall`` s.
        ``TimeoutError`` if none came, ``NoRespondersError`` if the server says
        nobody listens.
        """
        check_blocking_allowed()
        timeout = check_timeout(timeout, self.options.request_timeout)
        stall = check_timeout(stall, None)
        inbox = self.new_inbox()
        hooks = _instrument.active
        op = None if hooks is None else hooks.send("request", self, subject, payload, headers)
        if op is not None:
            headers = op.headers
        sub = untraced(self._router.subscribe(inbox, max_msgs=max_msgs))
        count = 0
        try:
            await self._publish_internal(subject, payload, reply=inbox, headers=headers)
            deadline = None if timeout is None else monotonic() + timeout
            while max_msgs is None or count < max_msgs:
                wait = None if deadline is None else deadline - monotonic()
                if stall is not None and count:
                    wait = stall if wait is None else min(wait, stall)
                if wait is not None and wait <= 0:
                    break
                try:
                    msg = await sub.next_msg(wait)
                except (TimeoutError, BadSubscriptionError):
                    break
                if msg.status is not None and not msg.data:
                    if count == 0 and msg.is_no_responders:
                        raise NoRespondersError(f"no responders on {subject!r}")
                    break
                count += 1
                yield msg
            if count == 0:
                raise TimeoutError(f"request to {subject!r} timed out after {timeout} s")
        except BaseException as exc:
            if op is not None:
                op.end(exc)
                op = None
            raise
        finally:
            if op is not None:
                op.result(count)
                op.end(None)
            await unsubscribe_quietly(sub)
