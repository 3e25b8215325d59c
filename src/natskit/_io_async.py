"""Asyncio half of the paired concurrency primitives (the sockets: ``_transport_async``).

Code under ``_async/`` imports its futures, locks, events, queues, tasks and
timers from here; the converter rewrites that import to ``_io_sync``, whose
names and signatures match this module. Everything here runs on the event loop thread, so plain
attribute updates need no locks; :class:`StateLock` exists only so that the
shared source can guard state that the blocking twin touches from threads.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, Protocol, TypeVar

from .errors import TimeoutError

# The paired primitives: the same names, and signatures, in both modules.
__all__ = [
    "Event",
    "Future",
    "Opener",
    "Queue",
    "Settable",
    "StateLock",
    "Task",
    "TimerHandle",
    "Waiter",
    "call_cb",
    "call_later",
    "check_blocking_allowed",
    "check_callback",
    "fail",
    "future_factory",
    "monotonic",
    "new_future",
    "new_waiter",
    "report_unhandled",
    "resolve",
    "settle",
    "sleep",
    "spawn",
    "wait_future",
]

T = TypeVar("T")
D = TypeVar("D")
F = TypeVar("F")


class Settable(Protocol):
    """What ``resolve`` and ``fail`` accept: a future, or a reply slot like one."""

    def done(self) -> bool: ...

    def set_result(self, value: Any, /) -> None: ...

    def set_exception(self, exc: BaseException, /) -> None: ...


Future = asyncio.Future
# What opens a transport: ``open_transport``, or a test's in-memory network.
Opener = Callable[[str, int, float], Awaitable[Any]]


class StateLock:
    """No-op lock: the event loop already serialises non-awaiting sections."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def new_future() -> asyncio.Future[Any]:
    """A future bound to the running loop."""
    return asyncio.get_running_loop().create_future()


def future_factory(cls: Callable[..., F]) -> Callable[[], F]:
    """``cls()``, a ``Future`` class, on the running loop, for code that makes many
    futures: looking the loop up again for each costs a system call on Python 3.11."""
    return functools.partial(cls, loop=asyncio.get_running_loop())


Waiter = asyncio.Future  # the blocking twin has a lighter kind for one waiting thread
new_waiter = new_future


def resolve(fut: Settable, value: Any) -> None:
    """Set a result unless the future is already done."""
    if not fut.done():
        fut.set_result(value)


def fail(fut: Settable, exc: BaseException) -> None:
    """Set an exception unless the future is already done."""
    if not fut.done():
        fut.set_exception(exc)


def _expire(fut: asyncio.Future[Any]) -> None:
    fail(fut, TimeoutError("timed out"))


async def wait_future(fut: asyncio.Future[T], timeout: float | None) -> T:
    """Wait for ``fut``; natskit ``TimeoutError`` after ``timeout`` seconds."""
    if timeout is None or fut.done():
        return await fut
    handle = asyncio.get_running_loop().call_later(timeout, _expire, fut)
    try:
        return await fut
    finally:
        handle.cancel()


class TimerHandle:
    """A scheduled call that can be cancelled."""

    def __init__(self, handle: asyncio.TimerHandle) -> None:
        self._handle = handle

    def cancel(self) -> None:
        self._handle.cancel()


def call_later(delay: float, fn: Callable[[], None]) -> TimerHandle:
    """Run ``fn`` on the loop after ``delay`` seconds."""
    return TimerHandle(asyncio.get_running_loop().call_later(delay, fn))


async def sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def monotonic() -> float:
    return asyncio.get_running_loop().time()


async def settle(result: Any) -> None:
    """Await what a callback returned, when it is awaitable (a coroutine callback)."""
    if inspect.isawaitable(result):
        await result


async def call_cb(fn: Callable[..., Any], *args: Any) -> None:
    """Call a user callback; await it when it returns an awaitable."""
    result = fn(*args)
    if inspect.isawaitable(result):
        await result


class Task:
    """A background task of the connection."""

    def __init__(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self._task = asyncio.get_running_loop().create_task(coro, name=name)

    def is_current(self) -> bool:
        return asyncio.current_task() is self._task

    def done(self) -> bool:
        return self._task.done()

    def cancel(self) -> None:
        self._task.cancel()

    async def join(self) -> None:
        """Wait for the task to end (returns at once when called from it)."""
        if self.is_current() or self._task.done():
            return
        try:
            await asyncio.shield(self._task)
        except asyncio.CancelledError:
            if not self._task.cancelled():
                raise


def spawn(fn: Callable[..., Coroutine[Any, Any, None]], *args: Any, name: str) -> Task:
    """Start ``fn(*args)`` concurrently."""
    return Task(fn(*args), name)


class Event:
    """An event with a timeout on ``wait``."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    def is_set(self) -> bool:
        return self._event.is_set()

    async def wait(self, timeout: float | None = None) -> bool:
        """True when set, False when ``timeout`` passed first."""
        if self._event.is_set():
            return True
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True


class Queue(Generic[T]):
    """Unbounded FIFO; ``put_nowait`` never blocks, ``get`` may time out. Few
    objects: every subscription has one, and the garbage collector walks them all."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: deque[T] = deque()
        self._waiters: deque[asyncio.Future[None]] | None = None  # made by a get that waits

    def put_nowait(self, item: T) -> None:
        self._items.append(item)
        self._wake_one()

    def _wake_one(self) -> None:
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    def qsize(self) -> int:
        return len(self._items)

    def get_nowait(self, default: D) -> T | D:
        """Next item, or ``default`` when there is none."""
        return self._items.popleft() if self._items else default

    async def get(self, timeout: float | None = None) -> T:
        """Next item; natskit ``TimeoutError`` when none came in ``timeout`` s."""
        while not self._items:
            if self._waiters is None:
                self._waiters = deque()
            waiters = self._waiters
            waiter: asyncio.Future[None] = new_future()
            waiters.append(waiter)
            try:
                await wait_future(waiter, timeout)
            except BaseException:
                if not waiter.cancelled() and waiter.done() and waiter.exception() is None:
                    self._pass_on()
                elif waiter in waiters:
                    waiters.remove(waiter)  # timed out or cancelled: forget it
                raise
        return self._items.popleft()

    def _pass_on(self) -> None:
        # We were woken but will not take the item: wake the next getter (the
        # item stays first in line).
        if self._items:
            self._wake_one()


def report_unhandled(exc: BaseException) -> None:
    """Report ``exc`` as asyncio reports an exception no task handled: through
    the running loop's exception handler (by default a traceback logged on
    ``asyncio``, which reaches stderr when logging is not configured)."""
    asyncio.get_running_loop().call_exception_handler(
        {"message": f"natskit: {type(exc).__name__}: {exc}", "exception": exc}
    )


def check_blocking_allowed() -> None:
    """Asyncio code waits by awaiting: nothing to check (see the blocking twin)."""


def check_callback(fn: Callable[..., Any] | None, name: str) -> None:
    """Plain functions and coroutine functions are both fine here (the blocking
    twin refuses coroutine functions)."""
