"""A toolpath written to a file for other senders: G-code (.gcode) or HPGL (.hpgl)."""

from __future__ import annotations

from pathlib import Path

from dreamdraw.plotter.errors import PlotterError
from dreamdraw.plotter.gcode import pen_gcode, setup_gcode, stroke_gcode
from dreamdraw.plotter.grbl import GrblDriver
from dreamdraw.plotter.hpgl import HpglDriver, stroke_hpgl
from dreamdraw.plotter.settings import PlotterSettings
from dreamdraw.plotter.toolpath import Toolpath

__all__ = ["toolpath_gcode", "toolpath_hpgl", "write_plot_file", "FILE_FORMATS"]

FILE_FORMATS = {
    ".gcode": "gcode",
    ".nc": "gcode",
    ".gc": "gcode",
    ".ngc": "gcode",
    ".hpgl": "hpgl",
    ".hpg": "hpgl",
    ".plt": "hpgl",
}


def toolpath_gcode(toolpath: Toolpath, settings: PlotterSettings) -> str:
    """The whole plot as G-code (machine mm); `M0` pauses for each pen change, and `T<id>`
    names each pen as our driver does."""
    machine = GrblDriver("", settings, toolpath.sheet)
    lines = [
        f"(dreamdraw plot of {toolpath.source or 'a drawing'}: {toolpath.stats.strokes} strokes, "
        f"about {toolpath.stats.estimated_s / 60:.1f} min)",
        *setup_gcode(settings),
    ]
    for k, (pen, indices) in enumerate(toolpath.layers()):
        if k:
            lines += ["G0X0Y0", f"M0 (put in {pen.label()}, then resume)"]
        lines += [f"T{pen.id}", f"({pen.label()})"]
        for i in indices:
            lines += stroke_gcode(machine.device_from_paper(toolpath.strokes[i].points), settings)
    lines += [*pen_gcode(settings, down=False), "G0X0Y0", "M2"]
    return "\n".join(lines) + "\n"


def toolpath_hpgl(toolpath: Toolpath, settings: PlotterSettings) -> str:
    """The whole plot as HPGL (40 units per mm, Y up); each pen's layer selects its pen."""
    plotter = HpglDriver("", settings, toolpath.sheet)
    out = [f"IN;VS{settings.draw_speed_mm_s / 10:.1f};"]
    for pen, indices in toolpath.layers():
        out.append(f"SP{pen.id};")
        out += [stroke_hpgl(plotter.device_from_paper(toolpath.strokes[i].points)) for i in indices]
    out.append("PU0,0;SP0;")
    return "\n".join(out) + "\n"


def write_plot_file(toolpath: Toolpath, path: str | Path, settings: PlotterSettings) -> str:
    """Write G-code or HPGL as the file name says; returns the format written."""
    path = Path(path)
    kind = FILE_FORMATS.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(FILE_FORMATS))
        raise PlotterError(f"cannot tell the format of {path}: name it {known}")
    text = (
        toolpath_gcode(toolpath, settings) if kind == "gcode" else toolpath_hpgl(toolpath, settings)
    )
    try:
        path.write_text(text, encoding="ascii")
    except OSError as exc:
        raise PlotterError(f"cannot write {path}: {exc}") from None
    return kind
