"""The plotter as the show sees it: connect when needed, plot a queued drawing, resume after faults."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from dreamdraw.plotter import (
    Driver,
    Fault,
    JobFile,
    JobResult,
    PenInfo,
    PlotJob,
    PlotterError,
    PlotterSettings,
    Progress,
    PtySimulator,
    Toolpath,
    drawn_on_paper,
    open_driver,
    plan_toolpath,
    simulator_for,
)

__all__ = ["PlotterStation"]

log = logging.getLogger("dreamdraw.show.plotter")


class PlotterStation:
    """One plotter on `port` (or a simulated one): plots SVG files, resuming job files.

    state: "idle", "plotting", "missing" (cannot be reached; drawings wait) or "closed".
    """

    def __init__(
        self,
        settings: PlotterSettings,
        port: str | None = None,
        simulator: PtySimulator | None = None,
    ) -> None:
        self.settings = settings
        self.port = port or (simulator.port if simulator is not None else settings.port)
        self.simulator = simulator
        self.driver: Driver | None = None
        self._last_driver: Driver | None = None  # maps the simulator's units to paper mm
        self.state = "idle"
        self._lock = threading.Lock()
        self._job: PlotJob | None = None
        self._trace_start: dict[Path, int] = {}

    @classmethod
    def simulated(
        cls, settings: PlotterSettings, speedup: float = 20.0, faults: list[Fault] | None = None
    ) -> PlotterStation:
        """A station on a simulator of the configured device on a pty (stopped by close())."""
        simulator = simulator_for(settings, speedup=speedup, faults=faults)
        simulator.start()
        return cls(settings, simulator=simulator)

    def connect(self) -> None:
        """Reach the plotter; PlotterError (state "missing") when it does not answer."""
        if self.driver is not None and self.driver.link is not None:
            return
        if not self.port:
            self.state = "missing"
            raise PlotterError("no plotter port configured; set plotter.port in the venue config")
        try:
            self.driver = self._last_driver = open_driver(self.port, self.settings)
        except PlotterError:
            self.state = "missing"
            self.driver = None
            raise
        self.state = "idle"

    def plot(
        self,
        svg_path: Path,
        job_path: Path,
        on_progress: Callable[[Progress], None] | None = None,
        on_pen_change: Callable[[PenInfo], None] | None = None,
        on_fault: Callable[[str], None] | None = None,
    ) -> tuple[Toolpath, JobResult]:
        """Plot `svg_path`, or resume the job in `job_path` when an earlier attempt left one.

        Raises PlotterError when the plotter cannot be reached or gives up; the job file
        then records every stroke already drawn, so the next call goes on from there.
        """
        if self.simulator is not None:
            self._trace_start.setdefault(job_path, len(self.simulator.drawn_paths()))
        self.connect()
        assert self.driver is not None
        callbacks = {
            "on_progress": on_progress,
            "on_pen_change": on_pen_change,
            "on_fault": on_fault,
        }
        if job_path.is_file():
            job = PlotJob.load(job_path, self.driver, **callbacks)
        else:
            toolpath = plan_toolpath(svg_path, self.settings)
            job_file = JobFile.create(job_path, toolpath, self.settings, self.port)
            job = PlotJob(toolpath, self.driver, job_file, **callbacks)
        with self._lock:
            self._job = job
        self.state = "plotting"
        try:
            result = job.run()
        except PlotterError:
            self.state = "missing"
            self.close_driver()
            raise
        finally:
            with self._lock:
                self._job = None
        self.state = "idle"
        return job.toolpath, result

    def abort(self) -> None:
        """Stop the running job (the show is closing); its job file keeps what was drawn."""
        with self._lock:
            job = self._job
        if job is not None:
            job.abort()

    def trace_of(self, job_path: Path) -> list[np.ndarray]:
        """What the simulated pen drew for this job, over all its attempts (paper mm)."""
        start = self._trace_start.pop(job_path, None)
        return self.paper_paths()[start:] if start is not None else []

    def paper_paths(self) -> list[np.ndarray]:
        """What the simulated pen drew so far, as (n, 2) arrays in paper mm (simulator only)."""
        if self.simulator is None or self._last_driver is None:
            return []
        return drawn_on_paper(self.simulator, self._last_driver)

    def close_driver(self) -> None:
        if self.driver is not None:
            try:
                self.driver.close()
            except PlotterError as exc:
                log.warning("closing the plotter port: %s", exc)
            self.driver = None

    def close(self) -> None:
        self.abort()
        self.close_driver()
        if self.simulator is not None:
            self.simulator.stop()
        self.state = "closed"
