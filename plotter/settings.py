"""Plotter settings as they appear in the `[plotter]` table of the venue config."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from dreamdraw.paper import Paper, PaperError, parse_paper
from dreamdraw.plotter.errors import PlotterError
from dreamdraw.settings import check_bounds, setting

__all__ = ["PlotterSettings"]


@dataclass
class PlotterSettings:
    """The pen plotter: paper, toolpath planning, kinematics, and each protocol's options."""

    # -- the machine ---------------------------------------------------------------
    device: Literal["grbl", "axidraw", "hpgl"] = setting(
        "grbl", "protocol: grbl (G-code), axidraw (EiBotBoard) or hpgl"
    )
    port: str | None = setting(
        None,
        "serial port (/dev/ttyUSB0, COM3) or pyserial URL (socket://host:port);\n"
        "`dreamdraw plotter ports` lists ports",
    )
    baud: int = setting(115200, "serial speed (HPGL plotters: often 9600)", gt=0)

    # -- paper and layout ----------------------------------------------------------
    paper: str = field(
        default="A4",
        metadata={
            "doc": "A6 ... A0, letter, legal, executive, tabloid, or WxHmm",
            "from": "paper.size",
        },
    )
    orientation: Literal["landscape", "portrait"] = field(
        default="landscape",
        metadata={"doc": "how a named paper size lies on the plotter", "from": "paper.orientation"},
    )
    margin_mm: float = setting(10.0, "blank border kept on every side", ge=0)
    fit: Literal["page", "content", "none"] = setting(
        "page",
        "page: scale the SVG's page into the margins; content: scale the drawn\n"
        "lines' bounds; none: plot at the SVG's own size (error if it does not fit)",
    )
    rotate: Literal["auto", "never", "always"] = setting(
        "auto", "turn the drawing 90 degrees: auto (when that fits the paper better)"
    )
    tolerance_mm: float = setting(0.1, "curves are flattened to lines within this distance", gt=0)
    merge_tolerance_mm: float = setting(
        0.05, "lines whose ends are this close are joined into one", ge=0
    )
    min_stroke_mm: float = setting(
        0.2, "strokes shorter than this are below what the pen can draw", ge=0
    )
    short_strokes: Literal["drop", "keep"] = setting(
        "drop", "drop strokes shorter than min_stroke_mm, or keep them (and count them)"
    )
    ordering: Literal["ours", "vpype", "none"] = setting(
        "ours",
        "stroke order: ours (greedy + 2-opt/or-opt), vpype (merge + linesort),\nnone (as drawn)",
    )
    optimize_time_s: float = setting(0.3, "time the 2-opt/or-opt pass may take per drawing", ge=0)

    # -- kinematics (time estimate) ------------------------------------------------
    draw_speed_mm_s: float = setting(50.0, "pen-down feed rate", gt=0)
    travel_speed_mm_s: float = setting(150.0, "pen-up travel speed (GRBL: match $110/$111)", gt=0)
    acceleration_mm_s2: float = setting(1000.0, "acceleration", gt=0)
    junction_deviation_mm: float = setting(0.01, "cornering tolerance (GRBL's $11)", ge=0)
    pen_up_delay_s: float = setting(0.15, "time the pen takes to lift (dwell after pen up)", ge=0)
    pen_down_delay_s: float = setting(
        0.15, "time the pen takes to touch down (dwell after pen down)", ge=0
    )

    # -- streaming -----------------------------------------------------------------
    pen_change: Literal["prompt", "device"] = setting(
        "prompt",
        "prompt: pause and ask the attendant to change pens; device: the plotter\n"
        "selects pens itself (HPGL carousel)",
    )
    reply_timeout_s: float = setting(
        5.0, "a controller silent (no reply, no status) this long has faulted", gt=0
    )
    connect_timeout_s: float = setting(
        5.0, "how long to wait for the controller after opening the port", gt=0
    )
    reconnect_timeout_s: float = setting(
        30.0, "after a fault, how long to keep trying to reach the controller again", ge=0
    )
    max_restarts: int = setting(10, "faults a job survives before it stops with an error", ge=0)

    # -- GRBL ----------------------------------------------------------------------
    grbl_pen_up: str = setting(
        "M5", "G-code that lifts the pen (servo: M5 or M3 S..; Z axis: G0 Z5)"
    )
    grbl_pen_down: str = setting(
        "M3 S1000", "G-code that lowers the pen (servo: M3 S..; Z axis: G1 Z0 F600)"
    )
    grbl_streaming: Literal["counting", "send-response"] = setting(
        "counting",
        "counting: keep the 127-byte receive buffer full (fast);\n"
        "send-response: one line at a time (slow, for unreliable links)",
    )
    grbl_rx_buffer: int = setting(
        128, "the controller's receive buffer (GRBL: 128, 127 usable)", ge=16
    )
    grbl_homing: bool = setting(
        False,
        "the machine has limit switches ($22=1): home with $H on connect and\n"
        "after an alarm, instead of unlocking with $X",
    )
    grbl_invert_y: bool = setting(
        True, "machine Y points up (origin at the paper's bottom-left corner)"
    )
    status_interval_s: float = setting(
        0.5, "poll the controller's status (?) this often when it is quiet", gt=0
    )

    # -- AxiDraw / EiBotBoard ------------------------------------------------------
    ebb_steps_per_mm: float = setting(80.0, "motor steps per mm at 1/16 microstepping", gt=0)
    ebb_pen_up_position: int = setting(16000, "servo position for pen up (SC,4; units of 83.3 ns)")
    ebb_pen_down_position: int = setting(
        12000, "servo position for pen down (SC,5; units of 83.3 ns)"
    )
    ebb_geometry: Literal["corexy", "direct"] = setting(
        "corexy", "corexy: AxiDraw (XM moves); direct: one motor per axis (SM moves)"
    )
    ebb_max_step_rate: float = setting(
        25000.0, "steps per second a move may ask of either motor", gt=0
    )
    ebb_max_move_ms: int = setting(
        1000, "moves longer than this are split (keeps abort quick)", ge=2
    )

    # -- HPGL ----------------------------------------------------------------------
    hpgl_flow_control: Literal["escb", "xonxoff"] = setting(
        "escb", "escb: ask the free buffer (ESC.B) before each block; xonxoff: obey XOFF"
    )
    hpgl_units_per_mm: float = setting(40.0, "plotter units per mm", gt=0)

    def __post_init__(self) -> None:
        try:
            check_bounds(self)
        except ValueError as exc:
            raise PlotterError(f"plotter.{exc}") from None

    def sheet(self) -> Paper:
        """The sheet on the plotter (mm), from `paper` and `orientation`."""
        try:
            return parse_paper(self.paper, self.orientation)
        except PaperError as exc:
            raise PlotterError(str(exc)) from None

    def with_options(self, **changes: Any) -> PlotterSettings:
        """A copy with the given fields changed; None values leave a field as it is."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise PlotterError(f"unknown plotter setting {unknown[0]!r}")
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
