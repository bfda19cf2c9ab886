"""The plotting stage: drawings waiting on disk, plotted one by one, resumed after faults."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from dreamdraw.archive import Archive, ArchiveError, RecordNotFound
from dreamdraw.installation.faults import FaultLog
from dreamdraw.installation.plot_queue import PlotEntry, PlotQueue
from dreamdraw.installation.plotting import PlotterStation
from dreamdraw.installation.settings import PlotQueueSettings
from dreamdraw.installation.stage import Stage
from dreamdraw.plotter import JobResult, PenInfo, PlotterError, Progress, Toolpath

__all__ = ["PlotOutcome", "PlottingStage"]


@dataclass
class PlotOutcome:
    """A plotted drawing: its record, the toolpath, how the job went, what the pen drew (mm).

    `faults`: the plotter faults it survived (each may redraw the stroke it interrupted).
    """

    record_id: int
    toolpath: Toolpath
    result: JobResult
    trace: list[np.ndarray]
    faults: int = 0


class PlottingStage(Stage):
    """Plots the drawings of `plot_queue` on `station`, oldest first; a missing plotter is
    retried every `settings.retry_s`. `progress`, `record` and `pen_change` say what it does now.

    on_plotted(record_id) / on_waiting(record_id): a drawing is done / must wait for the plotter.
    The stage keeps no outcome: who wants them (the demo, a soak) subscribes.
    """

    name = "plotting"

    def __init__(
        self,
        station: PlotterStation,
        plot_queue: PlotQueue,
        settings: PlotQueueSettings,
        archive: Archive,
        faults: FaultLog,
        stopping: threading.Event,
        counters: Counter[str],
        on_plotted: Callable[[int], None],
        on_waiting: Callable[[int], None],
        on_archive_failed: Callable[[BaseException], None],
    ) -> None:
        super().__init__(faults, stopping)
        self.station = station
        self.plot_queue = plot_queue
        self.settings = settings
        self.archive = archive
        self.counters = counters
        self.on_plotted = on_plotted
        self.on_waiting = on_waiting
        self.on_archive_failed = on_archive_failed
        self.progress: Progress | None = None
        self.record: int | None = None
        self.pen_change: PenInfo | None = None
        self._listeners: list[Callable[[PlotOutcome], None]] = []
        self._faults_of: Counter[int] = Counter()
        self._pen_confirmed = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            entry = self.plot_queue.next(timeout=0.2)
            if entry is None:
                continue
            if not self.plot(entry):
                self.stopping.wait(self.settings.retry_s)

    def subscribe(self, listener: Callable[[PlotOutcome], None]) -> None:
        """Call listener(outcome) for every drawing plotted from now on (from the worker)."""
        self._listeners.append(listener)

    def confirm_pen_change(self) -> None:
        """The attendant has put in the pen the plotter asked for."""
        self._pen_confirmed.set()

    def abort(self) -> None:
        """The show closes: stop the job (its job file resumes it) and any wait for a pen."""
        self._pen_confirmed.set()
        self.station.abort()

    def plot(self, entry: PlotEntry) -> bool:
        """Plot one waiting drawing; False when the plotter is missing (retry later)."""
        try:
            self.archive.set_plot_status(entry.record_id, "plotting")
        except RecordNotFound:  # a curator deleted the pair meanwhile
            self.plot_queue.remove(entry)
            self._faults_of.pop(entry.record_id, None)
            self.counters["plot_skipped"] += 1
            return True
        except (ArchiveError, OSError) as exc:
            self.on_archive_failed(exc)
            return False
        self.record, self.progress = entry.record_id, None
        resuming = entry.job_path.is_file()
        try:
            toolpath, result = self.station.plot(
                entry.svg_path,
                entry.job_path,
                on_progress=self._on_progress,
                on_pen_change=self._on_pen_change if self.settings.ask_pen_change else None,
                on_fault=lambda message: self._on_fault(entry.record_id, message),
            )
        except PlotterError as exc:
            self._faults_of[entry.record_id] += 1
            kind = "plotter_lost" if entry.job_path.is_file() else "no_plotter"
            self.faults.report(kind, f"{exc}", record=entry.record_id)
            self.archive.set_plot_status(entry.record_id, "pending", f"waiting: {exc}")
            self.on_waiting(entry.record_id)
            return False
        finally:
            self.record = None
        self.faults.clear("no_plotter")
        self.faults.clear("plotter_lost")
        if not result.completed:  # aborted: the show is closing; the job file resumes it
            self.archive.set_plot_status(entry.record_id, "pending", "interrupted: show closed")
            return True
        trace = self.station.trace_of(entry.job_path)
        self.archive.set_plot_status(
            entry.record_id,
            "plotted",
            f"plotted {result.strokes_total} strokes in {result.elapsed_s:.1f} s"
            + (", resumed" if resuming else "")
            + (f", {len(result.restarts)} strokes redrawn after faults" if result.restarts else ""),
        )
        self.plot_queue.remove(entry)
        self.counters["plotted"] += 1
        faults = self._faults_of.pop(entry.record_id, 0)
        outcome = PlotOutcome(entry.record_id, toolpath, result, trace, faults)
        for listener in list(self._listeners):
            listener(outcome)
        self.on_plotted(entry.record_id)
        return True

    def _on_fault(self, record_id: int, message: str) -> None:
        self._faults_of[record_id] += 1
        self.faults.report("plotter_lost", message, active=False, record=record_id)

    def _on_progress(self, progress: Progress) -> None:
        self.progress = progress

    def _on_pen_change(self, pen: PenInfo) -> None:
        self.pen_change = pen
        self.faults.report("pen_change", f"put in {pen.label()} ({pen.color}); then press F2")
        self._pen_confirmed.clear()
        while not self._pen_confirmed.wait(0.2) and not self.stopping.is_set():
            pass
        self.pen_change = None
        self.faults.clear("pen_change")
