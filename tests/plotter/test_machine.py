"""A GRBL machine's own settings: parsing `$$`/`$I`, the travel check, and GRBL's timing."""

from __future__ import annotations

import numpy as np
import pytest
from dreamdraw.plotter.errors import PlotterError
from dreamdraw.plotter.gcode import pen_gcode
from dreamdraw.plotter.kinematics import Kinematics
from dreamdraw.plotter.machine import GrblMachine, parse_build_info, parse_settings
from dreamdraw.plotter.settings import PlotterSettings


def test_settings_and_build_info_are_read_from_grbl_replies() -> None:
    settings = parse_settings(["$110=6000.000", "$11=0.010", "[MSG:hi]", "$22=1", "ok"])
    assert settings == {110: 6000.0, 11: 0.01, 22: 1.0}
    assert parse_build_info(["[VER:1.1h.20190830:]", "[OPT:V,15,128]", "ok"]) == (
        "1.1h.20190830",
        15,
        128,
    )


def test_a_drawing_beyond_the_travel_names_the_setting_and_the_overshoot() -> None:
    machine = GrblMachine({130: 200, 131: 200})
    points = np.array([[10.0, 10.0], [287.0, 150.0]])
    with pytest.raises(
        PlotterError, match=r"reaches x = 287\.0 mm \(machine\), 87\.0 mm beyond \$130=200"
    ):
        machine.check_travel(points)


def test_a_work_offset_shifts_where_the_travel_lies() -> None:
    machine = GrblMachine({130: 200, 131: 200})
    points = np.array([[0.0, 0.0], [150.0, 100.0]])
    machine.check_travel(points)
    with pytest.raises(PlotterError, match=r"reaches x = 210\.0 mm \(machine\), 10\.0 mm beyond"):
        machine.check_travel(points, offset=(60.0, 0.0))


def test_with_homing_only_the_drawings_extent_must_fit_the_travel() -> None:
    machine = GrblMachine({22: 1, 130: 200, 131: 100})
    machine.check_travel(np.array([[-50.0, -50.0], [140.0, 40.0]]))
    with pytest.raises(PlotterError, match=r"spans 110\.0 mm in y, 10\.0 mm beyond \$131=100"):
        machine.check_travel(np.array([[0.0, -50.0], [10.0, 60.0]]))


def test_grbl_limits_each_axis_so_a_diagonal_travels_faster() -> None:
    machine = GrblMachine({110: 600, 111: 600, 120: 1e6, 121: 1e6})
    grbl = Kinematics.from_machine(PlotterSettings(), machine)
    along_x = grbl.chain_time(np.array([[0.0, 0.0], [100.0, 0.0]]))
    diagonal = grbl.chain_time(np.array([[0.0, 0.0], [100.0, 100.0]]))
    assert along_x == pytest.approx(10.0, rel=1e-3)
    assert diagonal == pytest.approx(10.0, rel=1e-3)  # 141 mm at 14.1 mm/s


def test_grbl_dwells_in_whole_50_ms_steps_and_holds_after_each_stop() -> None:
    grbl = Kinematics.from_machine(PlotterSettings(), GrblMachine({1: 25}))
    assert grbl.dwell(0.12) == pytest.approx(0.15)
    assert grbl.stop_delay_s == pytest.approx(0.025)
    assert Kinematics.from_machine(PlotterSettings(), GrblMachine({1: 255})).stop_delay_s == 0.0


def test_in_laser_mode_the_pen_goes_down_in_g1_mode() -> None:
    settings = PlotterSettings(draw_speed_mm_s=50, pen_down_delay_s=0.2)
    assert pen_gcode(settings, down=True) == ["M3 S1000", "G4P0.2"]
    assert pen_gcode(settings, down=True, laser_mode=True) == ["G1F3000M3 S1000", "G4P0.2"]
    assert pen_gcode(settings, down=False, laser_mode=True)[0] == "M5"
