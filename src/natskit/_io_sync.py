"""Blocking half of the paired concurrency primitives (the sockets: ``_transport_sync``).

Same names and signatures as ``_io_async``; the generated ``_sync/`` code
imports from here. A connection runs a reader thread and a flusher thread
(``_transport_sync``) and the dispatcher's worker threads (``spawn``; up to 64,
see ``_async/dispatch.py``), so PONGs are answered and callbacks run while the
user's thread does other work; one timer thread serves every ``call_later``.
"""

from __future__ import annotations

import concurrent.futures
import heapq
import inspect
import itertools
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable
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


Future = concurrent.futures.Future
# What opens a transport: ``open_transport``, or a test's in-memory network.
Opener = Callable[[str, int, float], Any]

log = logging.getLogger("natskit.io")
StateLock = threading.RLock


def new_future() -> concurrent.futures.Future[Any]:
    """A thread-safe future."""
    return concurrent.futures.Future()


def resolve(fut: Settable, value: Any) -> None:
    """Set a result unless the future is already done (races are harmless)."""
    try:
        fut.set_result(value)
    except concurrent.futures.InvalidStateError:
        pass


def fail(fut: Settable, exc: BaseException) -> None:
    """Set an exception unless the future is already done."""
    try:
        fut.set_exception(exc)
    except concurrent.futures.InvalidStateError:
        pass


def check_blocking_allowed() -> None:
    """``RuntimeError`` inside a running asyncio event loop: a blocking call
    there would stall the loop (or deadlock waiting for it). Checked where a
    blocking call starts, before anything is sent, and by ``Queue.get``.
    Without asyncio imported no loop can run (importing it would slow ``import natskit``)."""
    aio = sys.modules.get("asyncio")
    if aio is not None and aio._get_running_loop() is not None:
        raise RuntimeError(
            "a blocking natskit call inside a running asyncio event loop would stall it: "
            "use natskit.aio (the same API, with await) in async code"
        )


def check_callback(fn: Callable[..., Any] | None, name: str) -> None:
    """``TypeError`` for a coroutine function (or an object whose ``__call__``
    is one): the blocking API would call it and never await the result."""
    if fn is None:
        return
    call = type(fn).__call__ if not inspect.isroutine(fn) else None
    if inspect.iscoroutinefunction(fn) or (call and inspect.iscoroutinefunction(call)):
        raise TypeError(
            f"{name} {fn!r} is a coroutine function, which the blocking API would call "
            "and never await: pass a plain function, or use natskit.aio"
        )


def wait_future(fut: concurrent.futures.Future[T] | Waiter[T], timeout: float | None) -> T:
    """Wait for ``fut``; natskit ``TimeoutError`` after ``timeout`` seconds."""
    try:
        return fut.result(timeout)
    except TimeoutError:
        raise
    except concurrent.futures.TimeoutError:
        fut.cancel()
        raise TimeoutError("timed out") from None


class Waiter(Generic[T]):
    """A one-shot result for one waiting thread: lighter than a ``Future``.

    ``request()`` waits on it; the reader thread fills it. It has the part of
    the ``Future`` interface that the connection uses.
    """

    __slots__ = ("_error", "_lock", "_value")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()  # released once, when the result is set
        self._value: T | None = None
        self._error: BaseException | None = None

    def done(self) -> bool:
        return not self._lock.locked()

    def set_result(self, value: T) -> None:
        self._value = value
        self._release()

    def set_exception(self, exc: BaseException) -> None:
        self._error = exc
        self._release()

    def _release(self) -> None:
        try:
            self._lock.release()
        except RuntimeError:  # already set: the first result stays
            raise concurrent.futures.InvalidStateError("already done") from None

    def cancel(self) -> bool:
        return False

    def result(self, timeout: float | None = None) -> T:
        if not self._lock.acquire(timeout=-1 if timeout is None else timeout):
            raise TimeoutError("timed out")
        self._lock.release()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def future_factory(cls: Callable[..., F]) -> Callable[[], F]:
    """``cls()``, a ``Future`` or ``Waiter`` class (the asyncio twin binds it to the loop)."""
    return cls


def new_waiter() -> Waiter[Any]:
    """A result slot for one waiting thread (see ``Waiter``)."""
    return Waiter()


def _noop() -> None:
    """What a cancelled timer keeps instead of its callback (and what that held)."""


class TimerHandle:
    """A scheduled call that can be cancelled."""

    __slots__ = ("cancelled", "fn", "owner")

    def __init__(self, fn: Callable[[], None], owner: _Timers) -> None:
        self.fn = fn
        self.owner = owner
        self.cancelled = False

    def cancel(self) -> None:
        self.owner.cancel(self)


class _Timers:
    """One daemon thread running every ``call_later`` of the process.

    A cancelled entry drops its callback at once and stays in the heap until it
    is due, unless the cancelled ones become the majority: then the heap is
    rebuilt without them (many requests that completed long before their
    timeout would otherwise pile up). The thread ends after ``IDLE`` seconds
    with nothing scheduled; the next ``call_later`` starts another.
    """

    IDLE = 1.0

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, TimerHandle]] = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._dead = 0  # cancelled entries still in the heap

    def schedule(self, delay: float, fn: Callable[[], None]) -> TimerHandle:
        handle = TimerHandle(fn, self)
        with self._lock:
            heap = self._heap
            heapq.heappush(heap, (time.monotonic() + delay, next(self._seq), handle))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="natskit-timers", daemon=True
                )
                self._thread.start()
            if heap[0][2] is handle:  # a new earliest deadline: the thread must know
                self._cond.notify()
        return handle

    def cancel(self, handle: TimerHandle) -> None:
        with self._lock:
            if handle.cancelled:
                return
            handle.cancelled = True
            handle.fn = _noop
            self._dead += 1
            heap = self._heap
            if self._dead == len(heap):
                heap.clear()
                self._dead = 0
                self._cond.notify()  # nothing left: the thread may go idle
            elif self._dead > 1024 and self._dead * 2 > len(heap):
                heap[:] = [entry for entry in heap if not entry[2].cancelled]
                heapq.heapify(heap)
                self._dead = 0

    def _next_due(self) -> TimerHandle | None:
        """The next callback to run, or None when the thread is to end (idle)."""
        with self._cond:
            while True:
                heap = self._heap
                if not heap:
                    if not self._cond.wait(self.IDLE) and not heap:
                        self._thread = None
                        return None
                    continue
                when, _, handle = heap[0]
                delay = when - time.monotonic()
                if handle.cancelled or delay <= 0:
                    heapq.heappop(heap)
                    if not handle.cancelled:
                        return handle
                    self._dead -= 1
                else:
                    self._cond.wait(delay)

    def _run(self) -> None:
        while self._fire_next():
            pass

    def _fire_next(self) -> bool:
        """Run the next due callback; False when the thread is to end. The
        handle is a local of this call, so a thread waiting for the next one
        holds nothing of the last (its closure may hold a whole connection)."""
        handle = self._next_due()
        if handle is None:
            return False
        try:
            handle.fn()
        except Exception:  # natskit's own callbacks: a bug, never the user's code
            log.exception("timer callback failed")
        return True


_timers = _Timers()


def call_later(delay: float, fn: Callable[[], None]) -> TimerHandle:
    """Run ``fn`` on the timer thread after ``delay`` seconds."""
    return _timers.schedule(delay, fn)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


monotonic = time.monotonic


def settle(result: Any) -> None:
    """What a blocking callback returns is ignored."""


def call_cb(fn: Callable[..., Any], *args: Any) -> None:
    """Call a user callback."""
    fn(*args)


class Task:
    """A background thread of the connection."""

    def __init__(self, fn: Callable[..., None], args: tuple[Any, ...], name: str) -> None:
        self._thread = threading.Thread(target=fn, args=args, name=name, daemon=True)
        self._thread.start()

    def is_current(self) -> bool:
        return threading.current_thread() is self._thread

    def done(self) -> bool:
        return not self._thread.is_alive()

    def cancel(self) -> None:
        """Threads cannot be cancelled; the code they run checks its flags."""

    def join(self) -> None:
        """Wait for the thread to end (returns at once when called from it)."""
        if not self.is_current():
            self._thread.join()


def spawn(fn: Callable[..., None], *args: Any, name: str) -> Task:
    """Run ``fn(*args)`` on a new daemon thread."""
    return Task(fn, args, name)


class Event:
    """A thread-safe event with a timeout on ``wait``."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """True when set, False when ``timeout`` passed first."""
        return self._event.wait(timeout)


class Queue(queue.SimpleQueue[T]):
    """Unbounded thread-safe FIFO; ``get`` may time out. One object: every
    subscription has one, and the garbage collector walks them all."""

    __slots__ = ()

    def get_nowait(self, default: D) -> T | D:  # type: ignore[override]
        """Next item, or ``default`` when there is none."""
        try:
            return _simple_get(self, False)
        except queue.Empty:
            return default

    def get(self, timeout: float | None = None) -> T:  # type: ignore[override]
        """Next item; natskit ``TimeoutError`` when none came in ``timeout`` s."""
        check_blocking_allowed()
        try:
            return _simple_get(self, True, timeout)
        except queue.Empty:
            raise TimeoutError("timed out") from None


_simple_get = queue.SimpleQueue.get


def report_unhandled(exc: BaseException) -> None:
    """Report ``exc`` as Python reports an exception that ends a thread:
    ``threading.excepthook`` (by default a traceback on stderr)."""
    args = threading.ExceptHookArgs((type(exc), exc, exc.__traceback__, threading.current_thread()))
    threading.excepthook(args)
