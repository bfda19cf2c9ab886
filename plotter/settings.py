"""Plotter settings as they appear in the `[plotter]` table of the venue config."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from dreamdraw.paper import Paper, PaperError, parse_paper
from dreamdraw.plotter.errors import PlotterError

__all__ = ["PlotterSettings"]


@dataclass
class PlotterSettings:
    """The pen plotter: paper, toolpath planning, kinematics, and each protocol's options."""

    # -- the machine ---------------------------------------------------------------
    device: Literal["grbl", "axidraw", "hpgl"] = field(
        default="grbl",
        metadata={"doc": "protocol: grbl (G-code), axidraw (EiBotBoard) or hpgl"},
    )
    port: str | None = field(
        default=None,
        metadata={
            "doc": "serial port (/dev/ttyUSB0, COM3) or pyserial URL (socket://host:port);\n"
            "`dreamdraw plotter ports` lists ports"
        },
    )
    baud: int = field(default=115200, metadata={"doc": "serial speed (HPGL plotters: often 9600)"})

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
    margin_mm: float = field(default=10.0, metadata={"doc": "blank border kept on every side"})
    fit: Literal["page", "content", "none"] = field(
        default="page",
        metadata={
            "doc": "page: scale the SVG's page into the margins; content: scale the drawn\n"
            "lines' bounds; none: plot at the SVG's own size (error if it does not fit)"
        },
    )
    rotate: Literal["auto", "never", "always"] = field(
        default="auto",
        metadata={"doc": "turn the drawing 90 degrees: auto (when that fits the paper better)"},
    )
    tolerance_mm: float = field(
        default=0.1, metadata={"doc": "curves are flattened to lines within this distance"}
    )
    merge_tolerance_mm: float = field(
        default=0.05, metadata={"doc": "lines whose ends are this close are joined into one"}
    )
    min_stroke_mm: float = field(
        default=0.2,
        metadata={"doc": "strokes shorter than this are below what the pen can draw"},
    )
    short_strokes: Literal["drop", "keep"] = field(
        default="drop",
        metadata={"doc": "drop strokes shorter than min_stroke_mm, or keep them (and count them)"},
    )
    ordering: Literal["ours", "vpype", "none"] = field(
        default="ours",
        metadata={
            "doc": "stroke order: ours (greedy + 2-opt/or-opt), vpype (merge + linesort),\n"
            "none (as drawn)"
        },
    )
    optimize_time_s: float = field(
        default=0.3, metadata={"doc": "time the 2-opt/or-opt pass may take per drawing"}
    )

    # -- kinematics (time estimate) ------------------------------------------------
    draw_speed_mm_s: float = field(default=50.0, metadata={"doc": "pen-down feed rate"})
    travel_speed_mm_s: float = field(
        default=150.0, metadata={"doc": "pen-up travel speed (GRBL: match $110/$111)"}
    )
    acceleration_mm_s2: float = field(default=1000.0, metadata={"doc": "acceleration"})
    junction_deviation_mm: float = field(
        default=0.01, metadata={"doc": "cornering tolerance (GRBL's $11)"}
    )
    pen_up_delay_s: float = field(
        default=0.15, metadata={"doc": "time the pen takes to lift (dwell after pen up)"}
    )
    pen_down_delay_s: float = field(
        default=0.15, metadata={"doc": "time the pen takes to touch down (dwell after pen down)"}
    )

    # -- streaming -----------------------------------------------------------------
    pen_change: Literal["prompt", "device"] = field(
        default="prompt",
        metadata={
            "doc": "prompt: pause and ask the attendant to change pens; device: the plotter\n"
            "selects pens itself (HPGL carousel)"
        },
    )
    reply_timeout_s: float = field(
        default=5.0,
        metadata={"doc": "a controller silent (no reply, no status) this long has faulted"},
    )
    connect_timeout_s: float = field(
        default=5.0, metadata={"doc": "how long to wait for the controller after opening the port"}
    )
    reconnect_timeout_s: float = field(
        default=30.0,
        metadata={"doc": "after a fault, how long to keep trying to reach the controller again"},
    )
    max_restarts: int = field(
        default=10, metadata={"doc": "faults a job survives before it stops with an error"}
    )

    # -- GRBL ----------------------------------------------------------------------
    grbl_pen_up: str = field(
        default="M5",
        metadata={"doc": "G-code that lifts the pen (servo: M5 or M3 S..; Z axis: G0 Z5)"},
    )
    grbl_pen_down: str = field(
        default="M3 S1000",
        metadata={"doc": "G-code that lowers the pen (servo: M3 S..; Z axis: G1 Z0 F600)"},
    )
    grbl_streaming: Literal["counting", "send-response"] = field(
        default="counting",
        metadata={
            "doc": "counting: keep the 127-byte receive buffer full (fast);\n"
            "send-response: one line at a time (slow, for unreliable links)"
        },
    )
    grbl_rx_buffer: int = field(
        default=128, metadata={"doc": "the controller's receive buffer (GRBL: 128, 127 usable)"}
    )
    grbl_homing: bool = field(
        default=False,
        metadata={
            "doc": "the machine has limit switches ($22=1): home with $H on connect and\n"
            "after an alarm, instead of unlocking with $X"
        },
    )
    grbl_invert_y: bool = field(
        default=True,
        metadata={"doc": "machine Y points up (origin at the paper's bottom-left corner)"},
    )
    status_interval_s: float = field(
        default=0.5,
        metadata={"doc": "poll the controller's status (?) this often when it is quiet"},
    )

    # -- AxiDraw / EiBotBoard ------------------------------------------------------
    ebb_steps_per_mm: float = field(
        default=80.0, metadata={"doc": "motor steps per mm at 1/16 microstepping"}
    )
    ebb_pen_up_position: int = field(
        default=16000, metadata={"doc": "servo position for pen up (SC,4; units of 83.3 ns)"}
    )
    ebb_pen_down_position: int = field(
        default=12000, metadata={"doc": "servo position for pen down (SC,5; units of 83.3 ns)"}
    )
    ebb_geometry: Literal["corexy", "direct"] = field(
        default="corexy",
        metadata={"doc": "corexy: AxiDraw (XM moves); direct: one motor per axis (SM moves)"},
    )
    ebb_max_step_rate: float = field(
        default=25000.0, metadata={"doc": "steps per second a move may ask of either motor"}
    )
    ebb_max_move_ms: int = field(
        default=1000, metadata={"doc": "moves longer than this are split (keeps abort quick)"}
    )

    # -- HPGL ----------------------------------------------------------------------
    hpgl_flow_control: Literal["escb", "xonxoff"] = field(
        default="escb",
        metadata={"doc": "escb: ask the free buffer (ESC.B) before each block; xonxoff: obey XOFF"},
    )
    hpgl_units_per_mm: float = field(default=40.0, metadata={"doc": "plotter units per mm"})

    def __post_init__(self) -> None:
        positive = (
            "tolerance_mm",
            "draw_speed_mm_s",
            "travel_speed_mm_s",
            "acceleration_mm_s2",
            "reply_timeout_s",
            "connect_timeout_s",
            "status_interval_s",
            "ebb_steps_per_mm",
            "ebb_max_step_rate",
            "hpgl_units_per_mm",
            "baud",
        )
        for name in positive:
            if not getattr(self, name) > 0:
                raise PlotterError(f"plotter.{name} must be positive, got {getattr(self, name)}")
        non_negative = (
            "margin_mm",
            "merge_tolerance_mm",
            "min_stroke_mm",
            "optimize_time_s",
            "junction_deviation_mm",
            "pen_up_delay_s",
            "pen_down_delay_s",
            "reconnect_timeout_s",
            "max_restarts",
        )
        for name in non_negative:
            if getattr(self, name) < 0:
                raise PlotterError(
                    f"plotter.{name} must not be negative, got {getattr(self, name)}"
                )
        if self.grbl_rx_buffer < 16:
            raise PlotterError(
                f"plotter.grbl_rx_buffer must be at least 16, got {self.grbl_rx_buffer}"
            )
        if self.ebb_max_move_ms < 2:
            raise PlotterError(
                f"plotter.ebb_max_move_ms must be at least 2, got {self.ebb_max_move_ms}"
            )

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
