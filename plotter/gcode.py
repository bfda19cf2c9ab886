"""G-code for pen plotters: set-up, one block list per stroke, and whole programs."""

from __future__ import annotations

import numpy as np
from dreamdraw.plotter.settings import PlotterSettings

__all__ = ["gcode_number", "setup_gcode", "pen_gcode", "stroke_gcode", "travel_gcode"]


def gcode_number(value: float) -> str:
    """Shortest decimal with 3 places (GRBL's resolution): 12.5, 3, -0.125."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def setup_gcode(settings: PlotterSettings) -> list[str]:
    """Millimetres, absolute coordinates, pen up."""
    return ["G21", "G90", *pen_gcode(settings, down=False)]


def pen_gcode(settings: PlotterSettings, down: bool, laser_mode: bool = False) -> list[str]:
    """The configured pen command and a settle dwell (a dwell also syncs GRBL's planner).

    In GRBL's laser mode ($32=1) an `M3 S..` sent in G0 mode keeps the output off until the
    next G1 move, so the pen would drop only as the carriage starts and the dwell would wait
    for nothing; sent in G1 mode (which needs a feed) the output switches at once and the
    dwell lets it settle.
    """
    command = settings.grbl_pen_down if down else settings.grbl_pen_up
    if laser_mode and down and command.upper().lstrip().startswith(("M3", "M4")):
        command = f"G1F{gcode_number(settings.draw_speed_mm_s * 60)}{command}"
    delay = settings.pen_down_delay_s if down else settings.pen_up_delay_s
    return [command, f"G4P{gcode_number(delay)}"]


def travel_gcode(x: float, y: float) -> str:
    return f"G0X{gcode_number(x)}Y{gcode_number(y)}"


def stroke_gcode(
    points: np.ndarray, settings: PlotterSettings, laser_mode: bool = False
) -> list[str]:
    """Travel to the start, pen down, G1 through the points (machine mm), pen up."""
    feed = f"F{gcode_number(settings.draw_speed_mm_s * 60)}"
    lines = [travel_gcode(*points[0]), *pen_gcode(settings, down=True, laser_mode=laser_mode)]
    last = (gcode_number(points[0][0]), gcode_number(points[0][1]))
    for x, y in points[1:]:
        here = (gcode_number(x), gcode_number(y))
        if here == last:
            continue
        lines.append(f"G1X{here[0]}Y{here[1]}{feed}")
        feed, last = "", here
    return [*lines, *pen_gcode(settings, down=False)]
