"""A progress line for long jobs: done of total, pairs per minute and time left."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["ProgressMeter", "format_duration"]


def format_duration(seconds: float) -> str:
    """Seconds as `45 s`, `12 min` or `3 h 05 min`."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class ProgressMeter:
    """Counts finished items of a job and writes one status line: redrawn in place on a
    terminal, one plain line per `every` items (and at the end) otherwise.

    `clock` gives seconds (monotonic); the rate is over the whole run so far.
    """

    def __init__(
        self,
        total: int,
        stream: TextIO,
        *,
        what: str = "pairs",
        every: int = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.stream = stream
        self.what = what
        self.every = max(1, every)
        self.clock = clock
        self.started = clock()
        self.done = 0
        self.failed = 0
        self.terminal = bool(getattr(stream, "isatty", lambda: False)())

    def line(self) -> str:
        """The status line: `12/40 pairs (1 failed), 5.3 pairs/min, 5 min left`."""
        elapsed = max(self.clock() - self.started, 1e-9)
        per_minute = self.done / elapsed * 60
        text = f"{self.done}/{self.total} {self.what}"
        if self.failed:
            text += f" ({self.failed} failed)"
        if self.done:
            left = (self.total - self.done) / per_minute * 60 if per_minute else 0.0
            text += f", {per_minute:.1f} {self.what}/min, {format_duration(left)} left"
        return text

    def advance(self, failed: bool = False) -> None:
        """One more item finished (or failed); writes the line when due."""
        self.done += 1
        self.failed += int(failed)
        if self.terminal:
            self.stream.write("\r\x1b[K" + self.line())
            self.stream.flush()
        elif self.done % self.every == 0 or self.done == self.total:
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def clear(self) -> None:
        """Wipes the line on a terminal, so another line can be printed in its place."""
        if self.terminal and self.done:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def close(self) -> None:
        """Ends the line on a terminal, so what follows starts on its own line."""
        if self.terminal and self.done:
            self.stream.write("\n")
            self.stream.flush()
