"""The stroke model: pens, cubic Bézier strokes and the Drawing that holds them."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from dreamdraw.drawing.errors import DrawingError
from dreamdraw.paper import Paper
from dreamdraw.vocabulary import dump_tagged, load_tagged

__all__ = ["Pen", "Stroke", "Drawing", "parse_color", "parse_pens", "DEFAULT_PENS"]

SVG_NS = "http://www.w3.org/2000/svg"
INKSCAPE_NS = "http://www.inkscape.org/namespaces/inkscape"


def parse_color(text: str) -> tuple[float, float, float]:
    """`#rrggbb` or `#rgb` to an RGB triple in [0, 1]."""
    value = text.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if len(value) != 6:
        raise DrawingError(f"pen colour {text!r} is not #rrggbb")
    try:
        return tuple(int(value[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]
    except ValueError:
        raise DrawingError(f"pen colour {text!r} is not #rrggbb") from None


@dataclass(frozen=True)
class Pen:
    """A pen in the plotter: layer id (>= 1), ink colour `#rrggbb`, nib width in mm."""

    id: int = 1
    color: str = "#000000"
    width_mm: float = 0.8
    name: str = "black"

    def __post_init__(self) -> None:
        if self.id < 1:
            raise DrawingError(f"pen id must be >= 1, got {self.id}")
        if not self.width_mm > 0:
            raise DrawingError(f"pen {self.id} width_mm must be positive, got {self.width_mm}")
        parse_color(self.color)

    @property
    def rgb(self) -> tuple[float, float, float]:
        return parse_color(self.color)


def parse_pens(text: str) -> list[Pen]:
    """`#rrggbb[:WIDTH_MM],...` -> pens with ids 1..n (default width 0.8 mm)."""
    pens = []
    for i, item in enumerate(p for p in text.split(",") if p.strip()):
        color, _, width = item.strip().partition(":")
        try:
            width_mm = float(width) if width else 0.8
        except ValueError:
            raise DrawingError(
                f"pen {item!r}: width must be a number of mm, as in #000000:0.8"
            ) from None
        pens.append(Pen(i + 1, color.strip(), width_mm, color.strip()))
    if not pens:
        raise DrawingError("no pens given; use --pens '#000000:0.8,#c8102e:0.8'")
    return pens


DEFAULT_PENS: tuple[Pen, ...] = (
    Pen(1, "#000000", 0.8, "black"),
    Pen(2, "#1f4fbf", 0.8, "blue"),
    Pen(3, "#c8102e", 0.8, "red"),
)


@dataclass
class Stroke:
    """One open path drawn by one pen.

    points: 3k+1 cubic Bézier control points in canvas px (k >= 1 segments).
    width_px / rgba: per-stroke width (full width, px) and colour for classic mode;
    None means the pen's nib and ink.
    """

    pen: int
    points: list[tuple[float, float]]
    width_px: float | None = None
    rgba: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        n = len(self.points)
        if n < 4 or (n - 1) % 3:
            raise DrawingError(f"a stroke needs 3k+1 control points (k >= 1), got {n}")
        self.points = [(float(x), float(y)) for x, y in self.points]
        if not all(math.isfinite(v) for p in self.points for v in p):
            raise DrawingError("stroke control points must be finite numbers")

    @property
    def segments(self) -> int:
        return (len(self.points) - 1) // 3


@dataclass
class Drawing:
    """A drawing of a dream: canvas (px) on paper (mm), pens, strokes, and how it was made."""

    canvas_width: int
    canvas_height: int
    paper: Paper
    pens: list[Pen]
    strokes: list[Stroke] = field(default_factory=list)
    prompt: str = ""
    mode: str = "plotter"
    seed: int | None = None
    negative_prompts: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    model_id: str = ""
    model_is_random: bool = False
    scores: list[tuple[int, float]] = field(default_factory=list)
    final_score: float | None = None
    model_label: str | None = None  # in words, when the model is not real (random, toy)

    def __post_init__(self) -> None:
        if self.canvas_width < 1 or self.canvas_height < 1:
            raise DrawingError("canvas must be at least 1x1 px")
        ids = [p.id for p in self.pens]
        if len(set(ids)) != len(ids):
            raise DrawingError(f"pen ids must be unique, got {ids}")
        for stroke in self.strokes:
            if stroke.pen not in ids:
                raise DrawingError(f"stroke uses pen {stroke.pen}, which is not among pens {ids}")

    # -- geometry --------------------------------------------------------------------
    @property
    def mm_per_px(self) -> float:
        """Millimetres per canvas px (the canvas has the paper's aspect ratio)."""
        return self.paper.width_mm / self.canvas_width

    def pen(self, pen_id: int) -> Pen:
        for pen in self.pens:
            if pen.id == pen_id:
                return pen
        raise DrawingError(f"no pen {pen_id}")

    def stroke_width_px(self, stroke: Stroke) -> float:
        if stroke.width_px is not None:
            return stroke.width_px
        return self.pen(stroke.pen).width_mm / self.mm_per_px

    # -- JSON ------------------------------------------------------------------------
    def to_json(self) -> str:
        return dump_tagged(asdict(self), "drawing")

    @classmethod
    def from_json(cls, text: str) -> Drawing:
        data = load_tagged(text, "drawing", DrawingError)
        try:
            data["paper"] = Paper(**data["paper"])
            data["pens"] = [Pen(**p) for p in data["pens"]]
            data["strokes"] = [
                Stroke(
                    pen=s["pen"],
                    points=[tuple(p) for p in s["points"]],
                    width_px=s.get("width_px"),
                    rgba=tuple(s["rgba"]) if s.get("rgba") is not None else None,
                )
                for s in data["strokes"]
            ]
            data["scores"] = [tuple(s) for s in data.get("scores", [])]
            return cls(**data)
        except (KeyError, TypeError) as exc:
            raise DrawingError(f"drawing JSON is missing or has a bad field: {exc}") from None

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Drawing:
        try:
            return cls.from_json(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise DrawingError(f"cannot read drawing {path}: {exc}") from None

    # -- SVG -------------------------------------------------------------------------
    def to_svg(self) -> str:
        """SVG in real mm, one Inkscape layer per pen, round caps and joins."""
        s = self.mm_per_px
        w, h = self.paper.width_mm, self.paper.height_mm
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="{SVG_NS}" xmlns:inkscape="{INKSCAPE_NS}" '
            f'width="{w:g}mm" height="{h:g}mm" viewBox="0 0 {w:g} {h:g}">',
            f"<title>{escape(self.prompt)}</title>",
            f"<desc>{escape(self._description())}</desc>",
        ]
        for pen in self.pens:
            strokes = [st for st in self.strokes if st.pen == pen.id]
            out.append(
                f'<g inkscape:groupmode="layer" inkscape:label={quoteattr(f"{pen.id} {pen.name}")} '
                f'id="layer{pen.id}" fill="none" stroke={quoteattr(pen.color)} '
                f'stroke-width="{pen.width_mm:g}" stroke-linecap="round" stroke-linejoin="round">'
            )
            for st in strokes:
                out.append(f'<path {self._stroke_attrs(st)}d="{_path_data(st.points, s)}"/>')
            out.append("</g>")
        out.append("</svg>")
        return "\n".join(out) + "\n"

    def _stroke_attrs(self, stroke: Stroke) -> str:
        attrs = ""
        if stroke.width_px is not None:
            attrs += f'stroke-width="{stroke.width_px * self.mm_per_px:.4g}" '
        if stroke.rgba is not None:
            r, g, b, a = stroke.rgba
            attrs += f'stroke="#{_hex(r)}{_hex(g)}{_hex(b)}" stroke-opacity="{a:.4g}" '
        return attrs

    def _description(self) -> str:
        note = self.model_label or (
            "random-weight test model, not a real drawing model" if self.model_is_random else ""
        )
        label = f" ({note})" if note else ""
        return f"dreamdraw {self.mode} drawing, model {self.model_id}{label}, seed {self.seed}"

    # -- raster ----------------------------------------------------------------------
    def render(self, width_px: int | None = None, device: str = "cpu"):
        """Render to an RGB float tensor [3, H, W] in [0, 1] at `width_px` (default: canvas)."""
        from dreamdraw.drawing.raster import render_drawing

        return render_drawing(self, width_px=width_px, device=device)

    def write(self, folder: str | Path, png_width: int = 1200) -> dict[str, Path]:
        """Write drawing.json, drawing.svg and drawing.png (png_width px wide) into folder."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {ext: folder / f"drawing.{ext}" for ext in ("json", "svg", "png")}
        self.save(paths["json"])
        paths["svg"].write_text(self.to_svg(), encoding="utf-8")
        self.to_png(paths["png"], png_width)
        return paths

    def to_png(self, path: str | Path, width_px: int | None = None) -> None:
        """Write a PNG at any resolution (default: the canvas size); its Description says how
        it was made (model, and in words when the model is not real)."""
        from PIL import Image
        from PIL.PngImagePlugin import PngInfo

        image = self.render(width_px)
        array = (image.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
        info = PngInfo()
        info.add_text("Description", self._description())
        Image.fromarray(array, "RGB").save(path, pnginfo=info)


def _hex(v: float) -> str:
    return f"{round(min(max(v, 0.0), 1.0) * 255):02x}"


def _path_data(points: list[tuple[float, float]], scale: float) -> str:
    (x0, y0), rest = points[0], points[1:]
    parts = [f"M {x0 * scale:.3f} {y0 * scale:.3f}"]
    for i in range(0, len(rest), 3):
        c = " ".join(f"{x * scale:.3f} {y * scale:.3f}" for x, y in rest[i : i + 3])
        parts.append(f"C {c}")
    return " ".join(parts)
