"""Plots written to files for other senders: G-code and HPGL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dreamdraw.plotter import PlotterError, PlotterSettings, plan_toolpath, write_plot_file


def test_gcode_file_has_setup_strokes_and_a_pause_per_pen_change(
    drawing_svg: str, tmp_path: Path
) -> None:
    settings = PlotterSettings(optimize_time_s=0.05)
    toolpath = plan_toolpath(drawing_svg, settings)
    path = tmp_path / "out.gcode"
    assert write_plot_file(toolpath, path, settings) == "gcode"
    lines = path.read_text().splitlines()
    assert lines[1:5] == ["G21", "G90", "M5", "G4P0.15"]
    assert sum(line.startswith("M3 S1000") for line in lines) == len(toolpath.strokes)
    assert [line for line in lines if line.startswith("M0")] == [
        "M0 (put in pen 2 (blue), then resume)"
    ]
    assert [line for line in lines if line.startswith("T")] == ["T1", "T2"]  # pens named
    assert lines[-1] == "M2"
    assert all(len(line) <= 80 for line in lines)
    # Machine Y points up: the first stroke's start is flipped on the sheet.
    x, y = toolpath.strokes[0].points[0]
    assert f"G0X{x:.3f}".rstrip("0").rstrip(".") in lines[lines.index("(pen 1 (black))") + 1]
    flipped = float(re.search(r"Y([-\d.]+)", lines[lines.index("(pen 1 (black))") + 1]).group(1))
    assert flipped == pytest.approx(210 - y, abs=1e-3)


def test_hpgl_file_selects_each_pen_in_plotter_units(drawing_svg: str, tmp_path: Path) -> None:
    settings = PlotterSettings(optimize_time_s=0.05)
    toolpath = plan_toolpath(drawing_svg, settings)
    path = tmp_path / "out.hpgl"
    assert write_plot_file(toolpath, path, settings) == "hpgl"
    text = path.read_text()
    assert text.startswith("IN;VS5.0;\nSP1;")
    assert "SP2;" in text and text.rstrip().endswith("PU0,0;SP0;")
    x, y = toolpath.strokes[0].points[0]
    assert f"PU{round(x * 40)},{round((210 - y) * 40)};" in text


def test_unknown_file_type_is_a_clear_error(drawing_svg: str, tmp_path: Path) -> None:
    settings = PlotterSettings(optimize_time_s=0.05)
    with pytest.raises(PlotterError, match="cannot tell the format"):
        write_plot_file(plan_toolpath(drawing_svg, settings), tmp_path / "out.txt", settings)
