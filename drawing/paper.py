"""Paper sizes in millimetres and the canvas that matches their aspect ratio."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dreamdraw.drawing.errors import DrawingError

__all__ = ["Paper", "parse_paper", "PAPER_SIZES_MM"]

# ISO 216 and US sizes, portrait (width, height) in mm.
PAPER_SIZES_MM: dict[str, tuple[float, float]] = {
    "A2": (420.0, 594.0),
    "A3": (297.0, 420.0),
    "A4": (210.0, 297.0),
    "A5": (148.0, 210.0),
    "A6": (105.0, 148.0),
    "LETTER": (215.9, 279.4),
    "LEGAL": (215.9, 355.6),
    "TABLOID": (279.4, 431.8),
}

_CUSTOM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*x\s*(\d+(?:\.\d+)?)\s*mm\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Paper:
    """A sheet: width and height in mm, as it lies on the plotter."""

    width_mm: float
    height_mm: float
    name: str = ""

    def __post_init__(self) -> None:
        if not (self.width_mm > 0 and self.height_mm > 0):
            raise DrawingError(
                f"paper must have positive size, got {self.width_mm}x{self.height_mm} mm"
            )

    def canvas_size(self, short_side_px: int) -> tuple[int, int]:
        """Canvas (width, height) in px with the paper's aspect ratio and the given short side."""
        if self.width_mm >= self.height_mm:
            return round(short_side_px * self.width_mm / self.height_mm), short_side_px
        return short_side_px, round(short_side_px * self.height_mm / self.width_mm)

    def label(self) -> str:
        return self.name or f"{self.width_mm:g}x{self.height_mm:g}mm"


def parse_paper(spec: str, orientation: str = "landscape") -> Paper:
    """Parse `A4`, `A5-portrait`, `letter` or `WxHmm` (custom, taken as given) into a Paper."""
    text = spec.strip()
    custom = _CUSTOM.match(text)
    if custom:
        return Paper(float(custom.group(1)), float(custom.group(2)), name=f"{text.lower()}")
    name, _, orient = text.partition("-")
    orient = (orient or orientation).lower()
    if orient not in ("landscape", "portrait"):
        raise DrawingError(f"unknown paper orientation {orient!r}; use landscape or portrait")
    size = PAPER_SIZES_MM.get(name.upper())
    if size is None:
        known = ", ".join(sorted(PAPER_SIZES_MM))
        raise DrawingError(
            f"unknown paper size {spec!r}; use one of {known}, or WxHmm such as 300x200mm"
        )
    w, h = size
    if orient == "landscape":
        w, h = h, w
    return Paper(w, h, name=f"{name.upper()} {orient}")
