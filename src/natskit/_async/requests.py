"""Request/reply for ``Connection``: one shared inbox, futures, many replies."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .._io_async import (
    Future,
    Settable,
    StateLock,
    Waiter,
    call_later,
    fail,
    monotonic,
    new_future,
    new_waiter,
    resolve,
    wait_future,
)
from ..errors import BadSubscriptionError, NoRespondersError, TimeoutError
from ..msg import HeadersArg, MsgBase
from ..options import Options, check_timeout
from ..status import Status
from .msg import Msg
from .subscription import Subscription

Payload = bytes | bytearray | memoryview | str


class Requests:
    """The request methods of ``Connection`` (a mixin)."""

    if TYPE_CHECKING:
        options: Options
        _lock: StateLock
        _status: Status

        def new_inbox(self) -> str: ...

        def _subscribe(
            self,
            subject: str,
            queue: str | None = None,
            callback: Any = None,
            max_msgs: int | None = None,
        ) -> Subscription: ...

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

    def _init_requests(self) -> None:
        self._resp_sub: Subscription | None = None
        self._resp_prefix = ""
        self._resp_map: dict[str, Settable] = {}
        self._resp_ids = itertools.count(1)

    def _on_response(self, msg: Msg) -> None:
        """A reply on the shared inbox: resolve its request (reader side)."""
        fut = self._resp_map.pop(msg.subject[len(self._resp_prefix) :], None)
        if fut is None:
            return
        if msg.is_no_responders:  # (msg.subject is the reply inbox: _request names the subject)
            fail(fut, NoRespondersError("no responders for the request"))
        else:
            resolve(fut, msg)

    def _start_request(self, fut: Settable) -> str:
        """Register ``fut`` for the reply to a new request; return its token."""
        with self._lock:
            if self._resp_sub is None:
                self._resp_prefix = f"{self.new_inbox()}."
                self._resp_sub = self._subscribe(self._resp_prefix + "*")
            token = format(next(self._resp_ids), "x")
            self._resp_map[token] = fut
        return token

    async def request(
        self,
        subject: str,
        payload: Payload = b"",
        *,
        headers: HeadersArg = None,
        timeout: float | None = None,
    ) -> Msg:
        """Send a request and return the first reply."""
        return await self._request(subject, payload, headers, timeout)

    async def _request(
        self,
        subject: str,
        payload: Payload,
        headers: HeadersArg,
        timeout: float | None,
        subject_trusted: bool = False,
    ) -> Msg:
        """``request``; ``subject_trusted`` for subjects from the server (ack subjects),
        which skip the checks and caches meant for the user's subjects."""
        timeout = check_timeout(timeout, self.options.request_timeout)
        fut: Waiter[Msg] = new_waiter()
        token = self._start_request(fut)
        try:
            await self._publish_internal(
                subject,
                payload,
                reply=self._resp_prefix + token,
                headers=headers,
                subject_trusted=subject_trusted,
                urgent=True,
            )
            return await wait_future(fut, timeout)
        except TimeoutError:
            raise TimeoutError(f"request to {subject!r} timed out after {timeout} s") from None
        except NoRespondersError:
            raise NoRespondersError(f"no responders on {subject!r}") from None
        finally:
            self._resp_map.pop(token, None)

    async def request_msg(self, msg: MsgBase, *, timeout: float | None = None) -> Msg:
        """``request`` with the subject, data and headers of ``msg``."""
        return await self.request(msg.subject, msg.data, headers=msg._headers, timeout=timeout)

    async def request_future(
        self,
        subject: str,
        payload: Payload = b"",
        *,
        headers: HeadersArg = None,
        timeout: float | None = None,
    ) -> Future[Msg]:
        """Send a request; the future gets the reply, an error, or is cancelled."""
        timeout = check_timeout(timeout, self.options.request_timeout)
        fut: Future[Msg] = new_future()
        token = self._start_request(fut)

        def expire() -> None:
            fail(fut, TimeoutError(f"request to {subject!r} timed out after {timeout} s"))

        timer = call_later(timeout or 0.0, expire)

        def done(_: Any) -> None:
            timer.cancel()
            self._resp_map.pop(token, None)

        fut.add_done_callback(done)
        try:
            await self._publish_internal(
                subject, payload, reply=self._resp_prefix + token, headers=headers
            )
        except BaseException:
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
        """Gather replies until ``max_msgs``, ``timeout`` or a ``stall`` gap."""
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
        """Yield replies as they come (see ``request_many``)."""
        timeout = check_timeout(timeout, self.options.request_timeout)
        stall = check_timeout(stall, None)
        inbox = self.new_inbox()
        sub = self._subscribe(inbox, max_msgs=max_msgs)
        count = 0
        try:
            await self._publish_internal(subject, payload, reply=inbox, headers=headers)
            deadline = monotonic() + (timeout or 0.0)
            while max_msgs is None or count < max_msgs:
                wait = deadline - monotonic()
                if stall is not None and count:
                    wait = min(wait, stall)
                if wait <= 0:
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
        finally:
            await sub._unsubscribe_quietly()
