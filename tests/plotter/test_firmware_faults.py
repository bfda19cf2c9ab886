"""Faults on the real firmware: the port vanishing mid-job, and an alarm mid-job; each stops
with a clear message, and `--resume` (PlotJob.load) finishes the drawing after the operator."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from dreamdraw.plotter.errors import PlotterError
from dreamdraw.plotter.grbl import GrblDriver
from dreamdraw.plotter.job import PlotJob, Progress
from dreamdraw.plotter.toolpath import Toolpath, plan_toolpath
from dreamdraw.plotter.trace import compare_trace

from tests.plotter.firmware import Firmware
from tests.plotter.plotter_samples import random_drawing
from tests.plotter.test_firmware_plots import PLOTTER_LIKE, firmware_settings

SETTINGS = firmware_settings(paper="A6", margin_mm=5, reconnect_timeout_s=20.0)


def _toolpath() -> Toolpath:
    return plan_toolpath(random_drawing(seed=4, strokes=6, pens=1).to_svg(), SETTINGS)


def _when(condition, action) -> threading.Thread:
    """Run `action` once `condition()` holds (polled every 10 ms, for at most 60 s)."""

    def wait() -> None:
        deadline = time.monotonic() + 60
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.01)
        action()

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    return thread


def _assert_each_stroke_drawn_once_but_the_interrupted(
    toolpath: Toolpath, driver: GrblDriver, paths: list[np.ndarray], interrupted: set[int]
) -> None:
    """Every stroke drawn whole, and beyond that only the interrupted strokes: drawn twice, or
    the fragment a fault cut short left on the paper (at most one per interrupted stroke)."""
    report = compare_trace(toolpath, [driver.paper_from_device(p) for p in paths], 0.05)
    assert all(report.complete), report.summary()
    assert set(report.drawn_more_than_once) <= interrupted, report.summary()
    assert len(report.extra) <= len(interrupted), report.summary()


def test_the_port_vanishing_mid_job_stops_it_and_resume_finishes_the_drawing(
    firmware: Firmware, tmp_path: Path
) -> None:
    firmware.configure(PLOTTER_LIKE)
    toolpath = _toolpath()
    job_path = tmp_path / "job.jsonl"
    before: list[np.ndarray] = []

    def pull_the_cable_and_plug_it_back() -> None:
        firmware.kill()
        before.extend(firmware.pen_paths())  # a restarted board starts a new record
        (firmware.folder / "steps.out").rename(tmp_path / "steps-before-the-cable.out")
        time.sleep(1.0)
        firmware.start()

    progress: list[Progress] = []
    with GrblDriver(firmware.port, SETTINGS, toolpath.sheet) as driver:
        job = PlotJob(toolpath, driver, job_file=job_path, on_progress=progress.append)
        # Mid-stroke: the firmware notes where a stroke ended only as the next move starts.
        _when(lambda: len(progress) >= 2 and driver.pen_is_down, pull_the_cable_and_plug_it_back)
        with pytest.raises(PlotterError, match=r"lost its position.*--resume .*job\.jsonl"):
            job.run()
    interrupted = len(progress)
    # The operator puts the pen back at the origin (the restarted board says 0,0) and resumes.
    with GrblDriver(firmware.port, SETTINGS, toolpath.sheet) as driver:
        resumed = PlotJob.load(job_path, driver)
        result = resumed.run()
    assert result.completed and result.drawn[0] == interrupted
    redrawn = {interrupted} | {r.stroke for r in job.restarts + resumed.restarts}
    _assert_each_stroke_drawn_once_but_the_interrupted(
        toolpath, driver, before + firmware.pen_paths(), redrawn
    )


def test_an_alarm_mid_job_stops_with_its_meaning_and_resume_continues_after_unlock(
    firmware: Firmware, tmp_path: Path
) -> None:
    firmware.configure(PLOTTER_LIKE)
    toolpath = _toolpath()
    job_path = tmp_path / "job.jsonl"
    progress: list[Progress] = []
    with GrblDriver(firmware.port, SETTINGS, toolpath.sheet) as driver:
        job = PlotJob(toolpath, driver, job_file=job_path, on_progress=progress.append)
        # A reset while the carriage moves: GRBL halts with ALARM:3 and locks.
        _when(
            lambda: len(progress) >= 2 and driver.status.state == "Run",
            lambda: driver.link.write(b"\x18"),
        )
        with pytest.raises(
            PlotterError,
            match=r"GRBL alarm 3: reset while in motion.*the plot stopped.*"
            r"dreamdraw plotter unlock.*--resume",
        ):
            job.run()
    interrupted = len(progress)
    with pytest.raises(PlotterError, match="locked"):
        PlotJob.load(job_path, GrblDriver(firmware.port, SETTINGS, toolpath.sheet)).run()
    unlocking = GrblDriver(firmware.port, SETTINGS, toolpath.sheet)
    unlocking.unlock_at_connect = True  # what `dreamdraw plotter unlock` does
    with unlocking:
        pass
    with GrblDriver(firmware.port, SETTINGS, toolpath.sheet) as driver:
        resumed = PlotJob.load(job_path, driver)
        result = resumed.run()
    assert result.completed and result.drawn[0] == interrupted
    redrawn = {interrupted} | {r.stroke for r in job.restarts + resumed.restarts}
    _assert_each_stroke_drawn_once_but_the_interrupted(
        toolpath, driver, firmware.pen_paths(), redrawn
    )
