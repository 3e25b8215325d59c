"""Helpers shared by the Key-Value tests."""

from __future__ import annotations

from natskit._io_async import Event, monotonic


def summary(entries):
    """(key, value, operation) of each entry; None stays None."""
    return [e and (e.key, e.value, e.operation) for e in entries]


class Entries(list):
    """A watcher callback that keeps the entries it is given, in order."""

    def __init__(self):
        super().__init__()
        self._changed = Event()

    def __call__(self, entry):
        self.append(entry)
        self._changed.set()

    async def wait_for(self, check, timeout=5.0):
        """Wait until ``check(entries)`` is true; every new entry wakes the check."""
        deadline = monotonic() + timeout
        while True:
            self._changed.clear()
            if check(self):
                return
            left = deadline - monotonic()
            if left <= 0 or not await self._changed.wait(left):
                raise AssertionError(f"condition not reached, entries: {summary(self)}")

    async def wait_len(self, count, timeout=10.0):
        await self.wait_for(lambda entries: len(entries) >= count, timeout)
