"""Helpers shared by the Key-Value tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from natskit import Entry
from natskit._io_async import Event, monotonic

Summary = tuple[str, bytes, str]


def summary(entries: Iterable[Entry | None]) -> list[Summary | None]:
    """(key, value, operation) of each entry; None stays None."""
    return [None if e is None else (e.key, e.value, e.operation) for e in entries]


class Entries(list[Entry | None]):
    """A watcher callback that keeps the entries it is given, in order."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = Event()

    def __call__(self, entry: Entry | None) -> None:
        self.append(entry)
        self._changed.set()

    async def wait_for(self, check: Callable[[Entries], bool], timeout: float = 5.0) -> None:
        """Wait until ``check(entries)`` is true; every new entry wakes the check."""
        deadline = monotonic() + timeout
        while True:
            self._changed.clear()
            if check(self):
                return
            left = deadline - monotonic()
            if left <= 0 or not await self._changed.wait(left):
                raise AssertionError(f"condition not reached, entries: {summary(self)}")

    async def wait_len(self, count: int, timeout: float = 10.0) -> None:
        await self.wait_for(lambda entries: len(entries) >= count, timeout)
