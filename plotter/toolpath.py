"""Toolpaths: any SVG or vpype Document flattened, fitted to the paper, merged and ordered."""

from __future__ import annotations

import io
import json
import math
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import shapely
import vpype as vp
from dreamdraw.paper import Paper
from dreamdraw.plotter.errors import PlotterError
from dreamdraw.plotter.kinematics import TimeEstimate, estimate_time
from dreamdraw.plotter.machine import GrblMachine
from dreamdraw.plotter.ordering import (
    merge_lines,
    order_none,
    order_ours,
    order_vpype,
    pen_up_length,
    vpype_merge_lines,
)
from dreamdraw.plotter.settings import PlotterSettings
from dreamdraw.vocabulary import format_tag, untag

# CSS pixels (vpype's unit) per millimetre.
MM: float = vp.convert_length("1mm")

__all__ = [
    "PenInfo",
    "Toolpath",
    "ToolpathStats",
    "ToolpathStroke",
    "machine_home",
    "plan_toolpath",
    "read_document",
]

# Share of the tolerance left to line simplification; the rest covers vpype's curve sampling.
_SIMPLIFY_SHARE = 0.75


@dataclass(frozen=True)
class PenInfo:
    """A pen = a layer: id, name, ink colour (#rrggbb), nib width in mm (None: unknown)."""

    id: int
    name: str = ""
    color: str = "#000000"
    width_mm: float | None = None

    def label(self) -> str:
        return f"pen {self.id}" + (f" ({self.name})" if self.name else "")


@dataclass
class ToolpathStroke:
    """One pen-down polyline: pen id and points (n, 2) in mm on the paper (y down)."""

    pen: int
    points: np.ndarray

    @property
    def length_mm(self) -> float:
        d = np.diff(self.points, axis=0)
        return float(np.hypot(d[:, 0], d[:, 1]).sum())


@dataclass
class ToolpathStats:
    """What the plan costs: lengths in mm, time in seconds."""

    strokes: int
    pen_down_mm: float
    pen_up_mm: float
    lifts: int
    estimate: TimeEstimate
    scale: float  # mm on paper per mm in the source
    rotated: bool
    short_strokes: int  # strokes shorter than min_stroke_mm (dropped or kept, see settings)
    short_dropped: bool
    plan_s: float
    travel_mm: tuple[float, float] | None = None  # fitted inside this travel, smaller than paper

    @property
    def estimated_s(self) -> float:
        return self.estimate.total_s

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["estimate"] = self.estimate.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolpathStats:
        est = data["estimate"]
        return cls(
            **{**data, "estimate": TimeEstimate(est["draw_s"], est["travel_s"], est["pen_s"])}
        )


@dataclass
class Toolpath:
    """Strokes in plot order (grouped by pen) on a sheet, with their pens and statistics."""

    sheet: Paper
    pens: list[PenInfo]
    strokes: list[ToolpathStroke]
    stats: ToolpathStats
    home: tuple[float, float] = (0.0, 0.0)
    source: str = field(default="")

    def pen(self, pen_id: int) -> PenInfo:
        for pen in self.pens:
            if pen.id == pen_id:
                return pen
        return PenInfo(pen_id)

    def layers(self) -> Iterator[tuple[PenInfo, list[int]]]:
        """Each pen with the indices of its strokes, in plot order."""
        run: list[int] = []
        for i, stroke in enumerate(self.strokes):
            if run and self.strokes[run[-1]].pen != stroke.pen:
                yield self.pen(self.strokes[run[-1]].pen), run
                run = []
            run.append(i)
        if run:
            yield self.pen(self.strokes[run[-1]].pen), run

    def to_document(self) -> vp.Document:
        """The toolpath as a vpype Document in CSS px (layers = pens)."""
        document = vp.Document(page_size=(self.sheet.width_mm * MM, self.sheet.height_mm * MM))
        for pen, indices in self.layers():
            lines = [
                (self.strokes[i].points[:, 0] + 1j * self.strokes[i].points[:, 1]) * MM
                for i in indices
            ]
            document.add(vp.LineCollection(lines), pen.id)
            document.layers[pen.id].set_property(vp.METADATA_FIELD_NAME, pen.name)
            document.layers[pen.id].set_property(vp.METADATA_FIELD_COLOR, vp.Color(pen.color))
        return document

    def summary(self) -> str:
        """A few human lines: size, pens, lengths and the time estimate."""
        s = self.stats
        minutes, seconds = divmod(round(s.estimated_s), 60)
        lines = [
            f"{s.strokes} strokes on {self.sheet.label()} "
            f"({self.sheet.width_mm:g} x {self.sheet.height_mm:g} mm), scale {s.scale:.3f}"
            + (", rotated 90 degrees" if s.rotated else ""),
            "pens: " + ", ".join(p.label() for p, _ in self.layers()),
            f"pen down {s.pen_down_mm / 1000:.2f} m, pen up {s.pen_up_mm / 1000:.2f} m, "
            f"{s.lifts} lifts",
            f"estimated time {minutes} min {seconds:02d} s "
            f"(drawing {s.estimate.draw_s:.0f} s, travel {s.estimate.travel_s:.0f} s, "
            f"pen {s.estimate.pen_s:.0f} s)",
        ]
        if s.travel_mm is not None:
            lines.append(
                f"fitted inside the plotter's travel ({s.travel_mm[0]:g} x {s.travel_mm[1]:g} mm "
                "by $130/$131), which is smaller than the paper"
            )
        if s.short_strokes:
            verb = "dropped" if s.short_dropped else "kept"
            lines.append(f"{s.short_strokes} strokes shorter than the pen can draw were {verb}")
        return "\n".join(lines)

    # -- JSON ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": format_tag("toolpath"),
            "sheet": asdict(self.sheet),
            "pens": [asdict(p) for p in self.pens],
            "home": list(self.home),
            "source": self.source,
            "strokes": [
                {"pen": s.pen, "points": np.round(s.points, 4).tolist()} for s in self.strokes
            ],
            "stats": self.stats.to_dict(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Toolpath:
        data = untag(data, "toolpath", PlotterError)
        try:
            return cls(
                sheet=Paper(**data["sheet"]),
                pens=[PenInfo(**p) for p in data["pens"]],
                strokes=[
                    ToolpathStroke(
                        int(s["pen"]), np.asarray(s["points"], dtype=float).reshape(-1, 2)
                    )
                    for s in data["strokes"]
                ],
                stats=ToolpathStats.from_dict(data["stats"]),
                home=tuple(data.get("home", (0.0, 0.0))),
                source=data.get("source", ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PlotterError(f"toolpath JSON is missing or has a bad field: {exc}") from None

    @classmethod
    def from_json(cls, text: str) -> Toolpath:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PlotterError(f"toolpath JSON is malformed: {exc}") from None
        return cls.from_dict(data)


def machine_home(settings: PlotterSettings, sheet: Paper) -> tuple[float, float]:
    """Where the machine's origin lies on the paper (mm, y down): the carriage's rest point."""
    y_up = settings.device == "hpgl" or (settings.device == "grbl" and settings.grbl_invert_y)
    return (0.0, sheet.height_mm if y_up else 0.0)


def read_document(source: str | Path | TextIO, quantization_mm: float = 0.1) -> vp.Document:
    """Read any SVG (text, path or file object) with vpype's reader, curves sampled every mm."""
    name = "SVG"
    try:
        if isinstance(source, Path) or (
            isinstance(source, str) and not source.lstrip().startswith("<")
        ):
            name = str(source)
            text = Path(source).read_text(encoding="utf-8")
        elif isinstance(source, str):
            text = source
        else:
            text = source.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise PlotterError(f"cannot read {name}: {exc}") from None
    try:
        return vp.read_multilayer_svg(io.StringIO(text), quantization=quantization_mm * MM)
    except Exception as exc:  # vpype and svgelements raise many types on bad input
        raise PlotterError(f"{name} is not a readable SVG: {exc}") from None


def plan_toolpath(
    source: vp.Document | str | Path,
    settings: PlotterSettings | None = None,
    sheet: Paper | None = None,
    machine: GrblMachine | None = None,
) -> Toolpath:
    """Plan a plot: flatten, fit to the sheet, drop short strokes, merge and order per pen.

    source: a vpype Document (CSS px), SVG text, or an SVG file path.
    machine: the controller's own settings (read at connect): the drawing is fitted inside
    its travel when the paper is larger, and timed with its rates and accelerations.
    """
    settings = settings or PlotterSettings()
    sheet = sheet or settings.sheet()
    started = time.perf_counter()
    if isinstance(source, vp.Document):
        document, label = source, "document"
    else:
        label = (
            str(source)
            if isinstance(source, Path) or not str(source).lstrip().startswith("<")
            else "SVG"
        )
        document = _read_for_sheet(source, settings, sheet)
    layers = {lid: list(lc) for lid, lc in sorted(document.layers.items()) if len(lc)}
    if not layers:
        raise PlotterError(f"nothing to plot: {label} has no lines")
    box = _source_box(document, settings)
    area = _within_travel(settings, sheet, machine)
    place = _placement(box, settings, sheet, area)
    home = machine_home(settings, sheet)
    home_c = complex(*home)

    pens: list[PenInfo] = []
    strokes: list[ToolpathStroke] = []
    short = 0
    pen_up = 0.0
    total_lines = sum(len(lines) for lines in layers.values())
    for layer_id, lines in layers.items():
        budget = settings.optimize_time_s * len(lines) / total_lines
        fitted = _simplify([place(line) for line in lines], settings.tolerance_mm * _SIMPLIFY_SHARE)
        merge = vpype_merge_lines if settings.ordering == "vpype" else merge_lines
        fitted = merge(fitted, settings.merge_tolerance_mm)
        lengths = [float(np.abs(np.diff(line)).sum()) for line in fitted]
        is_short = [length < settings.min_stroke_mm for length in lengths]
        short += sum(is_short)
        if settings.short_strokes == "drop":
            fitted = [line for line, s in zip(fitted, is_short, strict=True) if not s]
        if not fitted:
            continue
        ordered = _order(fitted, home_c, settings, budget)
        pen_up += pen_up_length(ordered, home_c)
        pens.append(_pen_info(layer_id, document.layers[layer_id]))
        strokes += [ToolpathStroke(layer_id, np.column_stack([ln.real, ln.imag])) for ln in ordered]
    if not strokes:
        raise PlotterError(
            f"nothing to plot: every stroke in {label} is shorter than "
            f"min_stroke_mm = {settings.min_stroke_mm:g} mm"
        )
    _check_on_sheet(strokes, sheet, label)
    estimate = estimate_time([s.points for s in strokes], settings, home, machine)
    stats = ToolpathStats(
        strokes=len(strokes),
        pen_down_mm=sum(s.length_mm for s in strokes),
        pen_up_mm=pen_up,
        lifts=len(strokes),
        estimate=estimate,
        scale=place.scale,
        rotated=place.rotated,
        short_strokes=short,
        short_dropped=settings.short_strokes == "drop",
        plan_s=time.perf_counter() - started,
        travel_mm=machine.travel_mm if area is not None and machine is not None else None,
    )
    return Toolpath(sheet, pens, strokes, stats, home=home, source=label)


# -- reading -----------------------------------------------------------------------------


def _read_for_sheet(source: str | Path, settings: PlotterSettings, sheet: Paper) -> vp.Document:
    """Read an SVG sampling curves finely enough for the tolerance once scaled to the sheet."""
    share = settings.tolerance_mm * (1 - _SIMPLIFY_SHARE)
    # Chord error of a curve sampled every q is about q^2 / (8 r); q = 4 * share keeps it
    # within `share` down to radii of 2 * share, far below any nib.
    sample_mm = 4 * share
    guess = _page_scale_guess(source, settings, sheet)
    document = read_document(source, sample_mm / guess)
    scale = _placement(_source_box(document, settings), settings, sheet).scale
    if scale > 1.5 * guess:  # content much smaller than its page: sample again, finer
        document = read_document(source, sample_mm / scale)
    return document


def _page_scale_guess(source: str | Path, settings: PlotterSettings, sheet: Paper) -> float:
    """mm on paper per source mm, from the SVG's width/height alone (1 when unknown)."""
    try:
        if isinstance(source, Path) or not source.lstrip().startswith("<"):
            root = next(ET.iterparse(str(source), events=("start",)))[1]
        else:
            root = next(ET.iterparse(io.StringIO(source), events=("start",)))[1]
        width = vp.convert_length(root.attrib["width"]) / MM
        height = vp.convert_length(root.attrib["height"]) / MM
    except Exception:  # any problem here shows up, with a good message, in the real read
        return 1.0
    if settings.fit != "page" or not (width > 0 and height > 0):
        return 1.0
    return _placement((0.0, 0.0, width * MM, height * MM), settings, sheet).scale


# -- fitting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Placement:
    """Source px -> paper mm: scale (mm per source mm), optional quarter turn, offset."""

    box: tuple[float, float, float, float]
    scale: float
    rotated: bool
    offset: complex

    def __call__(self, line: np.ndarray) -> np.ndarray:
        x0, y0, _, y1 = self.box
        z = (line - complex(x0, y0)) / MM
        if self.rotated:  # a quarter turn clockwise (y down): (x, y) -> (h - y, x)
            z = 1j * z + (y1 - y0) / MM
        return z * self.scale + self.offset


def _source_box(
    document: vp.Document, settings: PlotterSettings
) -> tuple[float, float, float, float]:
    """The source rectangle (px) that is fitted: the page, or the lines' bounds."""
    if settings.fit != "content" and document.page_size is not None:
        w, h = document.page_size
        if w > 0 and h > 0:
            return (0.0, 0.0, float(w), float(h))
    bounds = document.bounds()
    if bounds is None:
        raise PlotterError("nothing to plot: the drawing has no lines")
    x0, y0, x1, y1 = bounds
    return (x0, y0, max(x1, x0 + 1e-6), max(y1, y0 + 1e-6))


def _placement(
    box: tuple[float, float, float, float],
    settings: PlotterSettings,
    sheet: Paper,
    area: tuple[float, float, float, float] | None = None,
) -> _Placement:
    """Source px -> paper mm, fitted inside `area` (paper mm; default the whole sheet)."""
    x0, y0, x1, y1 = box
    w, h = (x1 - x0) / MM, (y1 - y0) / MM
    ax0, ay0, ax1, ay1 = area or (0.0, 0.0, sheet.width_mm, sheet.height_mm)
    avail_w = ax1 - ax0 - 2 * settings.margin_mm
    avail_h = ay1 - ay0 - 2 * settings.margin_mm
    if settings.fit != "none" and (avail_w <= 0 or avail_h <= 0):
        raise PlotterError(
            f"margin {settings.margin_mm:g} mm leaves no room on {sheet.label()} "
            f"({sheet.width_mm:g} x {sheet.height_mm:g} mm); use a smaller --margin"
        )
    if settings.rotate == "always":
        rotated = True
    elif settings.rotate == "never":
        rotated = False
    else:
        rotated = (w > h * 1.001 and avail_h > avail_w * 1.001) or (
            h > w * 1.001 and avail_w > avail_h * 1.001
        )
    if rotated:
        w, h = h, w
    if settings.fit == "none":
        return _Placement(box, 1.0, rotated, 0j)
    scale = min(avail_w / w, avail_h / h)
    left = ax0 + settings.margin_mm + (avail_w - w * scale) / 2
    top = ay0 + settings.margin_mm + (avail_h - h * scale) / 2
    offset = complex(left, top)
    return _Placement(box, scale, rotated, offset)


def _within_travel(
    settings: PlotterSettings, sheet: Paper, machine: GrblMachine | None
) -> tuple[float, float, float, float] | None:
    """The part of the sheet the carriage reaches (paper mm), when smaller than the sheet.

    The machine's origin is the paper's corner at home (bottom-left for G-code with Y up),
    and its travel ($130, $131) reaches from there.
    """
    if machine is None:
        return None
    tx, ty = machine.travel_mm
    if tx >= sheet.width_mm and ty >= sheet.height_mm:
        return None
    w, h = min(tx, sheet.width_mm), min(ty, sheet.height_mm)
    home_x, home_y = machine_home(settings, sheet)
    top = home_y - h if home_y > 0 else 0.0
    return (home_x, top, home_x + w, top + h)


def _check_on_sheet(strokes: list[ToolpathStroke], sheet: Paper, label: str) -> None:
    points = np.concatenate([s.points for s in strokes])
    lo, hi = points.min(axis=0), points.max(axis=0)
    slack = 1e-6
    if lo.min() < -slack or hi[0] > sheet.width_mm + slack or hi[1] > sheet.height_mm + slack:
        raise PlotterError(
            f"{label} spans x {lo[0]:.1f}..{hi[0]:.1f} mm, y {lo[1]:.1f}..{hi[1]:.1f} mm, "
            f"which does not fit on {sheet.label()} ({sheet.width_mm:g} x {sheet.height_mm:g} mm); "
            "use fit = page or content (--fit), or a larger --paper"
        )


# -- geometry ----------------------------------------------------------------------------


def _simplify(lines: list[np.ndarray], tolerance: float) -> list[np.ndarray]:
    """Douglas-Peucker every line (complex, mm) in one vectorised shapely call."""
    multi = [line for line in lines if len(line) >= 2]
    if not multi:
        return []
    coords = np.concatenate([np.column_stack([ln.real, ln.imag]) for ln in multi])
    index = np.repeat(np.arange(len(multi)), [len(ln) for ln in multi])
    simple = shapely.simplify(
        shapely.linestrings(coords, indices=index), tolerance, preserve_topology=False
    )
    out_coords, out_index = shapely.get_coordinates(simple, return_index=True)
    cuts = np.flatnonzero(np.diff(out_index)) + 1
    return [c[:, 0] + 1j * c[:, 1] for c in np.split(out_coords, cuts) if len(c)]


def _order(
    lines: list[np.ndarray], home: complex, settings: PlotterSettings, budget_s: float
) -> list[np.ndarray]:
    if settings.ordering == "none":
        return order_none(lines, home)
    if settings.ordering == "vpype":
        return order_vpype(lines, home)
    return order_ours(lines, home, budget_s)


def _pen_info(layer_id: int, layer: vp.LineCollection) -> PenInfo:
    name = str(layer.property(vp.METADATA_FIELD_NAME) or "")
    name = name.removeprefix(f"{layer_id} ").strip()  # Inkscape labels such as "2 blue"
    color = layer.property(vp.METADATA_FIELD_COLOR)
    width = layer.property(vp.METADATA_FIELD_PEN_WIDTH)
    return PenInfo(
        id=layer_id,
        name=name,
        color=color.as_rgb_hex() if isinstance(color, vp.Color) else "#000000",
        width_mm=round(float(width) / MM, 4) if width and math.isfinite(float(width)) else None,
    )
