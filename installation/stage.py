"""What every stage of the show shares: a worker thread that survives errors, and a bounded queue."""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Generic, TypeVar

from dreamdraw.installation.faults import FaultLog

__all__ = ["QueueStage", "Stage"]

log = logging.getLogger("dreamdraw.show")

T = TypeVar("T")

_POLL_S = 0.2  # how often an idle worker looks at the stop flag
_RESTART_S = 0.5


class Stage:
    """A part of the show with one worker thread; `run()` loops until `stopping` is set.

    An unexpected error is reported as `<name>_failed` and the loop starts again, so one bad
    dream never stops the show.
    """

    name = "stage"

    def __init__(self, faults: FaultLog, stopping: threading.Event) -> None:
        self.faults = faults
        self.stopping = stopping
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        """Start the worker thread."""
        self._thread = threading.Thread(target=self._guarded, name=self.name, daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        """Wait for the worker to finish its current step (the caller has set `stopping`)."""
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _guarded(self) -> None:
        while not self.stopping.is_set():
            try:
                self.run()
                return
            except Exception as exc:
                self.faults.report(
                    f"{self.name}_failed",
                    f"the {self.name} worker failed and restarts: {exc!r}",
                    severity="error",
                    active=False,
                )
                log.exception("%s worker failed", self.name)
                time.sleep(_RESTART_S)


class QueueStage(Stage, Generic[T]):
    """A stage fed through a bounded in-memory queue; `handle(item)` does one item's work."""

    def __init__(self, faults: FaultLog, stopping: threading.Event, maxsize: int) -> None:
        super().__init__(faults, stopping)
        self.queue: queue.Queue[T] = queue.Queue(maxsize=maxsize)
        self.most_queued = 0

    def offer(self, item: T) -> bool:
        """Queue `item`; False when the queue is full."""
        try:
            self.queue.put_nowait(item)
        except queue.Full:
            return False
        self.most_queued = max(self.most_queued, self.queue.qsize())
        return True

    def handle(self, item: T) -> None:
        raise NotImplementedError

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                item = self.queue.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            self.handle(item)

    def queue_status(self) -> dict[str, int]:
        """size, bound and the most ever waiting, for the status page."""
        return {"size": self.queue.qsize(), "bound": self.queue.maxsize, "most": self.most_queued}
