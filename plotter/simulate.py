"""Plot on a simulated device in one call, and read back what its pen drew, on paper."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import vpype as vp
from dreamdraw.paper import Paper
from dreamdraw.plotter.driver import Driver, driver_class
from dreamdraw.plotter.job import JobResult, PlotJob
from dreamdraw.plotter.settings import PlotterSettings
from dreamdraw.plotter.sim import (
    EbbSimulator,
    Fault,
    GrblSimulator,
    HpglSimulator,
    PtySimulator,
    SimStats,
)
from dreamdraw.plotter.toolpath import Toolpath, plan_toolpath
from dreamdraw.plotter.trace import TraceReport, compare_trace

__all__ = ["SimulatedPlot", "drawn_on_paper", "plot_on_simulator", "simulator_for"]


def simulator_for(
    settings: PlotterSettings,
    device: str | None = None,
    speedup: float = 1.0,
    faults: list[Fault] | None = None,
    seed: int = 0,
) -> PtySimulator:
    """A simulator (not yet started) matching the settings' device and options."""
    device = device or settings.device
    driver_class(device)  # a clear error for an unknown device
    if device == "grbl":
        z_pen = "Z" in settings.grbl_pen_down.upper()
        return GrblSimulator(
            speedup, faults, seed, pen="z" if z_pen else "servo", homing=settings.grbl_homing
        )
    if device in ("axidraw", "ebb"):
        return EbbSimulator(
            speedup,
            faults,
            seed,
            steps_per_mm=settings.ebb_steps_per_mm,
            geometry=settings.ebb_geometry,
        )
    return HpglSimulator(speedup, faults, seed, xonxoff=settings.hpgl_flow_control == "xonxoff")


def drawn_on_paper(simulator: PtySimulator, driver: Driver) -> list[np.ndarray]:
    """The simulator's pen-down paths, mapped back to paper mm by the driver's geometry."""
    return [driver.paper_from_device(path) for path in simulator.drawn_paths()]


@dataclass
class SimulatedPlot:
    """A plot on a simulated device: the plan, the job's result, the pen's trace and its check;
    `drawn_pens` is the pen of each drawn path as the protocol named it (see
    PtySimulator.drawn_pens)."""

    toolpath: Toolpath
    result: JobResult
    drawn: list[np.ndarray]
    report: TraceReport
    stats: SimStats
    drawn_pens: list[int] = field(default_factory=list)


def plot_on_simulator(
    source: Toolpath | vp.Document | str | Path,
    settings: PlotterSettings | None = None,
    device: str | None = None,
    sheet: Paper | None = None,
    speedup: float = 100.0,
    faults: list[Fault] | None = None,
    png: str | Path | None = None,
    job_file: str | Path | None = None,
    tolerance_mm: float = 0.05,
) -> SimulatedPlot:
    """Plan (unless given a Toolpath), plot on a simulated device, and compare the trace.

    source: a Toolpath, a vpype Document, SVG text or an SVG path. The result's
    `report.exact` says every stroke was drawn once within `tolerance_mm` and nothing else.
    """
    settings = settings or PlotterSettings()
    if device:
        settings = settings.with_options(device=device)
    sheet = sheet or settings.sheet()
    toolpath = source if isinstance(source, Toolpath) else plan_toolpath(source, settings, sheet)
    with simulator_for(settings, speedup=speedup, faults=faults) as simulator:
        driver = driver_class(settings.device)(simulator.port, settings, toolpath.sheet)
        try:
            driver.connect()
            result = PlotJob(toolpath, driver, job_file=job_file).run()
        finally:
            driver.close()
        drawn = drawn_on_paper(simulator, driver)
        if png is not None:
            simulator.render_png(png, _device_sheet(toolpath.sheet), pens=toolpath.pens)
        report = compare_trace(toolpath, drawn, tolerance_mm)
        return SimulatedPlot(
            toolpath, result, drawn, report, simulator.stats, simulator.drawn_pens()
        )


def _device_sheet(sheet: Paper) -> tuple[float, float]:
    return (sheet.width_mm, sheet.height_mm)
