"""Progress of long work on standard error: shown on a terminal, never when piped."""

from __future__ import annotations

import argparse
import sys
import time
from types import TracebackType
from typing import IO, Any

from .common import is_tty

MIN_BYTES = 20 * 1024  # smaller objects are done before a progress line would help


def add_progress_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="show progress on a terminal (default: yes; never when standard error is piped)",
    )


def size_text(n: float) -> str:
    """``n`` bytes as ``512 B``, ``1.5 KiB``, ``12.3 MiB``..."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


class Progress:
    """One line on ``stream`` (standard error), redrawn at most every ``interval``.

    ``enabled`` is False when the stream is not a terminal, so that piped
    output and logs get no progress at all; ``unit`` is ``"bytes"`` or a
    word such as ``"msgs"``; ``total`` may be unknown (None).
    """

    def __init__(
        self,
        label: str,
        total: int | None,
        *,
        unit: str = "bytes",
        enabled: bool = True,
        stream: IO[str] | None = None,
        interval: float = 0.1,
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = enabled and is_tty(self.stream)
        self.label, self.total, self.unit, self.interval = label, total, unit, interval
        self.done = 0
        self._shown = 0.0  # monotonic time of the last redraw (0: never drawn)
        self._drawn = -1  # ``done`` at the last redraw

    def _draw(self) -> None:
        if self.unit == "bytes":
            done, total = size_text(self.done), size_text(self.total or 0)
        else:
            done, total = f"{self.done:,}", f"{self.total or 0:,} {self.unit}"
        text = f"{self.label}: {done}"
        if self.total:
            text += f" / {total} ({100 * self.done // self.total}%)"
        elif self.unit != "bytes":
            text += f" {self.unit}"
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self._drawn = self.done

    def advance(self, n: int) -> None:
        self.done += n
        if self.enabled and time.monotonic() - self._shown >= self.interval:
            self._draw()
            self._shown = time.monotonic()

    def close(self) -> None:
        """Draw the final state and end the line (nothing if never shown)."""
        if self.enabled and self._shown:
            if self._drawn != self.done:
                self._draw()
            self.stream.write("\n")
            self.stream.flush()
            self._shown = 0.0

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class CountingReader:
    """A binary file whose ``read`` advances a ``Progress``."""

    def __init__(self, file: Any, progress: Progress) -> None:
        self._file, self._progress = file, progress

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._file.read(size)
        self._progress.advance(len(data))
        return data


class CountingWriter:
    """A binary file whose ``write`` advances a ``Progress``."""

    def __init__(self, file: Any, progress: Progress) -> None:
        self._file, self._progress = file, progress

    def write(self, data: bytes) -> int:
        written: int = self._file.write(data)
        self._progress.advance(len(data))
        return written
