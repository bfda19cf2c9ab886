"""Progress of a command's stages on stderr: live bars on a terminal, plain lines in a file.

Redirected to a file or a pipe (a log, a systemd journal), each stage writes one line when it
starts and one when it ends, with no carriage returns or escape codes.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

__all__ = ["StageProgress"]


class StageProgress:
    """Named stages, each with a fraction done in [0, 1]; use as a context manager."""

    def __init__(self, stream: TextIO | None = None, unit: str = "%") -> None:
        self.stream = stream or sys.stderr
        self.unit = unit
        self.live = self.stream.isatty()
        self._bars: dict[str, object] = {}
        self._started: dict[str, float] = {}
        self._ended: set[str] = set()

    def update(self, stage: str, fraction: float, detail: str = "") -> None:
        """Stage `stage` is `fraction` done; `detail` (e.g. "stroke 3/12") shows on a terminal."""
        if stage in self._ended:
            return
        if stage not in self._started:
            for other in list(self._started):
                self._end(other)  # stages run one after another
            self._started[stage] = time.monotonic()
            if not self.live:
                self.stream.write(f"{stage}...\n")
                self.stream.flush()
        if self.live:
            self._bar(stage, fraction, detail)
        if fraction >= 1.0:
            self._end(stage)

    def _bar(self, stage: str, fraction: float, detail: str) -> None:
        from tqdm import tqdm

        bar = self._bars.get(stage)
        if bar is None:
            bar = self._bars[stage] = tqdm(
                total=100, desc=stage, unit=self.unit, leave=False, file=self.stream
            )
        bar.update(round(min(1.0, fraction) * 100) - bar.n)  # type: ignore[attr-defined]
        if detail:
            bar.set_postfix_str(detail)  # type: ignore[attr-defined]

    def _end(self, stage: str, finished: bool = True) -> None:
        if stage in self._ended or stage not in self._started:
            return
        self._ended.add(stage)
        bar = self._bars.pop(stage, None)
        if bar is not None:
            bar.close()  # type: ignore[attr-defined]
        elapsed = time.monotonic() - self._started[stage]
        if not self.live:
            outcome = "done" if finished else "stopped"
            self.stream.write(f"{stage}: {outcome} after {elapsed:.1f} s\n")
            self.stream.flush()

    def close(self, finished: bool = True) -> None:
        """End every stage still running (`finished`: they ended well, else they stopped)."""
        for stage in list(self._started):
            self._end(stage, finished)

    def __enter__(self) -> StageProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close(finished=kind is None)
