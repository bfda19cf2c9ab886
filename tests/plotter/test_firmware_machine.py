"""Reading the machine: the real firmware's `$$` and `$I` decide travel, timing, pen and status."""

from __future__ import annotations

import numpy as np
import pytest
from dreamdraw.plotter.errors import PlotterError
from dreamdraw.plotter.grbl import GrblDriver
from dreamdraw.plotter.job import JobFile, PlotJob
from dreamdraw.plotter.toolpath import plan_toolpath

from tests.plotter.firmware import Firmware
from tests.plotter.plotter_samples import random_drawing
from tests.plotter.test_firmware_plots import PLOTTER_LIKE, firmware_settings


def test_connect_reads_the_machines_own_settings_and_build(firmware: Firmware) -> None:
    firmware.configure(PLOTTER_LIKE)
    with GrblDriver(firmware.port, firmware_settings()) as driver:
        machine = driver.machine
    assert machine is not None
    assert machine.max_rate_mm_s == (100.0, 100.0)
    assert machine.acceleration_mm_s2 == (400.0, 400.0)
    assert machine.travel_mm == (240.0, 170.0)
    assert machine.junction_deviation_mm == pytest.approx(0.01)
    assert machine.version.startswith("1.1h")
    assert (machine.planner_blocks, machine.rx_buffer) == (15, 128)


@pytest.mark.parametrize(
    ("firmware_setup", "paper", "strokes"),
    [({}, "30x20mm", 2), (PLOTTER_LIKE, "A6", 8)],
    ids=["defaults", "plotter-like"],
)
def test_the_estimate_from_the_machine_is_within_10_percent_of_its_motion(
    firmware: Firmware, tmp_path, firmware_setup: dict, paper: str, strokes: int
) -> None:
    firmware.configure(firmware_setup)
    settings = firmware_settings(paper=paper, margin_mm=2)
    drawing = random_drawing(seed=2, strokes=strokes, pens=1).to_svg()
    with GrblDriver(firmware.port, settings) as driver:
        toolpath = plan_toolpath(drawing, settings, machine=driver.machine)
        job = PlotJob(toolpath, driver, job_file=tmp_path / "job.jsonl")
        result = job.run()
    assert result.completed
    assert result.estimated_s == pytest.approx(toolpath.stats.estimated_s, rel=1e-6)
    # The firmware's own clock while its carriage moves. (On a busy machine the simulated
    # board runs slower than the wall clock, its step generator sometimes stands dry
    # mid-move, which a board with its own CPU never does, and it waits on our host between
    # strokes: none of that is the machine's.) The pen commands' dwells are GRBL's 50 ms
    # steps; the stop delay ($1) is not motion.
    estimate = toolpath.stats.estimate
    stops = 2 * len(toolpath.strokes) * driver.machine.value(1) / 1000
    assert firmware.moving_s() == pytest.approx(
        estimate.draw_s + estimate.travel_s - stops, rel=0.10
    )
    kept = JobFile.load(tmp_path / "job.jsonl").machine
    assert kept is not None and kept.value(110) == firmware_setup.get(110, 500)


def test_a_drawing_beyond_the_travel_is_refused_before_the_first_move(
    firmware: Firmware,
) -> None:
    # The firmware's default travel is 200 x 200 mm; an A4 drawing reaches x = 287 mm.
    settings = firmware_settings(paper="A4")
    toolpath = plan_toolpath(random_drawing(seed=2, strokes=4, pens=1).to_svg(), settings)
    refusal = r"reaches x = \d+\.\d mm \(machine\), \d+\.\d mm beyond \$130=200 \(X travel\)"
    with (
        GrblDriver(firmware.port, settings, toolpath.sheet) as driver,
        pytest.raises(PlotterError, match=refusal),
    ):
        PlotJob(toolpath, driver).run()
    assert not firmware.samples().size  # the carriage never moved


def test_paper_larger_than_the_travel_is_fitted_inside_it_and_the_plan_says_so(
    firmware: Firmware,
) -> None:
    settings = firmware_settings(paper="A4")
    with GrblDriver(firmware.port, settings) as driver:
        machine = driver.machine
    drawing = random_drawing(seed=2, strokes=4, pens=1).to_svg()
    toolpath = plan_toolpath(drawing, settings, machine=machine)
    points = driver.device_from_paper(np.concatenate([s.points for s in toolpath.strokes]))
    assert points.min() >= 0 and (points.max(axis=0) <= 200.0).all()
    assert "fitted inside the plotter's travel (200 x 200 mm" in toolpath.summary()


@pytest.mark.parametrize("mask", [0, 1, 2, 3], ids=["WPos", "MPos", "WPos-Bf", "MPos-Bf"])
def test_status_reports_are_read_whatever_the_machine_sends(firmware: Firmware, mask: int) -> None:
    firmware.configure({**PLOTTER_LIKE, 10: mask})
    with GrblDriver(firmware.port, firmware_settings(paper="A6")) as driver:
        driver.move_to(10.0, 20.0)
        driver.wait_idle()
        status = driver.query_status()
    assert ("MPos:" if mask & 1 else "WPos:") in status.detail
    assert ("|Bf:" in status.detail) == bool(mask & 2)
    assert (status.x, status.y) == pytest.approx((10.0, 20.0), abs=0.005)


def test_in_laser_mode_a_plain_m3_leaves_the_pen_up_until_the_carriage_moves(
    firmware: Firmware,
) -> None:
    firmware.configure({**PLOTTER_LIKE, 32: 1})
    with firmware.open() as port:
        firmware.exchange(port, "G0")  # after a travel GRBL is in G0 mode
        firmware.exchange(port, "M3S1000")
        port.write(b"?")
        report = firmware.read_until(port, b">", 2.0)
    assert b"FS:0,0" in report


def test_in_laser_mode_our_pen_down_is_down_while_its_dwell_runs(firmware: Firmware) -> None:
    firmware.configure({**PLOTTER_LIKE, 32: 1})
    with GrblDriver(firmware.port, firmware_settings(paper="A6")) as driver:
        assert driver.machine is not None and driver.machine.laser_mode
        driver.move_to(10.0, 20.0)
        driver.pen_down()
        status = driver.query_status()
    assert "FS:0,1000" in status.detail


def test_a_machine_that_starts_locked_says_how_to_home_or_unlock_it(firmware: Firmware) -> None:
    firmware.configure({22: 1})
    firmware.kill()
    firmware.start()  # power on with homing enabled: GRBL starts locked
    driver = GrblDriver(firmware.port, firmware_settings())
    with pytest.raises(
        PlotterError,
        match=r"locked: it has homing enabled \(\$22=1\).*`dreamdraw plotter home`.*"
        r"`dreamdraw plotter unlock`",
    ):
        driver.connect()
    driver.unlock_at_connect = True
    with driver:
        assert driver.query_status().state == "Idle"
