"""Real plots on the real GRBL 1.1h firmware: what its pen drew is exactly the toolpath."""

from __future__ import annotations

import pytest
from dreamdraw.plotter.grbl import GrblDriver
from dreamdraw.plotter.job import PlotJob
from dreamdraw.plotter.settings import PlotterSettings
from dreamdraw.plotter.toolpath import PenInfo, Toolpath, plan_toolpath
from dreamdraw.plotter.trace import compare_trace

from tests.plotter.firmware import Firmware
from tests.plotter.plotter_samples import random_drawing

# A plotter owner's settings: fast rates and accelerations, travel larger than A5.
PLOTTER_LIKE = {110: 6000, 111: 6000, 120: 400, 121: 400, 130: 240, 131: 170}


def firmware_settings(**options: object) -> PlotterSettings:
    """Settings for the real firmware: real-time timeouts, short pen dwells."""
    base = PlotterSettings(
        device="grbl",
        pen_up_delay_s=0.05,
        pen_down_delay_s=0.05,
        optimize_time_s=0.05,
        reply_timeout_s=10.0,
        connect_timeout_s=5.0,
        reconnect_timeout_s=15.0,
        status_interval_s=0.1,
    )
    return base.with_options(**options)


def plot(
    firmware: Firmware, toolpath: Toolpath, settings: PlotterSettings
) -> tuple[list[PenInfo], set[int]]:
    """Plot `toolpath` with our driver and job: the pens asked for at pen changes, and the
    strokes redrawn after a fault (on a busy machine the simulated board can starve)."""
    asked: list[PenInfo] = []
    with GrblDriver(firmware.port, settings, toolpath.sheet) as driver:
        result = PlotJob(toolpath, driver, on_pen_change=asked.append).run()
    assert result.completed
    return asked, {restart.stroke for restart in result.restarts}


def assert_drawn_once(
    firmware: Firmware, toolpath: Toolpath, settings: PlotterSettings, redrawn: set[int]
) -> None:
    """The firmware's own record of its carriage and pen shows every stroke drawn whole,
    within 0.05 mm, nothing else drawn, and only strokes redrawn after a fault twice."""
    driver = GrblDriver(firmware.port, settings, toolpath.sheet)
    drawn = [driver.paper_from_device(path) for path in firmware.pen_paths()]
    report = compare_trace(toolpath, drawn, tolerance_mm=0.05)
    assert all(report.complete) and not report.extra, report.summary()
    assert set(report.drawn_more_than_once) <= redrawn, report.summary()
    assert report.max_deviation_mm <= 0.05


def test_a_tiny_drawing_at_the_firmware_defaults_is_drawn_stroke_by_stroke(
    firmware: Firmware,
) -> None:
    settings = firmware_settings(paper="24x16mm", margin_mm=2)
    toolpath = plan_toolpath(random_drawing(seed=5, strokes=2, pens=1).to_svg(), settings)
    _, redrawn = plot(firmware, toolpath, settings)
    assert_drawn_once(firmware, toolpath, settings, redrawn)


@pytest.mark.parametrize("pens", [1, 2], ids=["one-pen", "pen-change"])
def test_a_drawing_at_plotter_settings_is_drawn_stroke_by_stroke(
    firmware: Firmware, pens: int
) -> None:
    firmware.configure(PLOTTER_LIKE)
    settings = firmware_settings(paper="A6")
    toolpath = plan_toolpath(random_drawing(seed=11, strokes=10, pens=pens).to_svg(), settings)
    asked, redrawn = plot(firmware, toolpath, settings)
    assert [pen.id for pen in asked] == [pen.id for pen, _ in toolpath.layers()][1:]
    assert_drawn_once(firmware, toolpath, settings, redrawn)
