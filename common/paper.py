"""Paper sizes in millimetres, shared by the drawing (canvas aspect) and the plotter (the sheet).

The named sizes are vpype's page-size table (checked against vpype by the tests), kept here as
data so that reading a config needs no geometry library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["PAPER_SIZES_MM", "Paper", "PaperError", "PaperSettings", "parse_paper"]

# vpype.PAGE_SIZES in mm, portrait (width, height).
PAPER_SIZES_MM: dict[str, tuple[float, float]] = {
    "A6": (105.0, 148.0),
    "A5": (148.0, 210.0),
    "A4": (210.0, 297.0),
    "A3": (297.0, 420.0),
    "A2": (420.0, 594.0),
    "A1": (594.0, 841.0),
    "A0": (841.0, 1189.0),
    "LETTER": (215.9, 279.4),
    "LEGAL": (215.9, 355.6),
    "EXECUTIVE": (185.15, 266.7),
    "TABLOID": (279.4, 431.8),
}

_CUSTOM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*x\s*(\d+(?:\.\d+)?)\s*mm\s*$", re.IGNORECASE)


class PaperError(ValueError):
    """A paper size or orientation that cannot be used; the message lists what can."""


@dataclass(frozen=True)
class Paper:
    """A sheet as it lies on the plotter: width and height in mm."""

    width_mm: float
    height_mm: float
    name: str = ""

    def __post_init__(self) -> None:
        if not (self.width_mm > 0 and self.height_mm > 0):
            raise PaperError(
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
    """`A4`, `A5-portrait`, `letter` or `WxHmm` (custom, taken as given) to a Paper in mm."""
    text = spec.strip()
    custom = _CUSTOM.match(text)
    if custom:
        return Paper(float(custom.group(1)), float(custom.group(2)), name=text.lower())
    name, _, orient = text.partition("-")
    orient = (orient or orientation).lower()
    if orient not in ("landscape", "portrait"):
        raise PaperError(f"unknown paper orientation {orient!r}; use landscape or portrait")
    size = PAPER_SIZES_MM.get(name.upper())
    if size is None:
        known = ", ".join(PAPER_SIZES_MM)
        raise PaperError(
            f"unknown paper size {spec!r}; use one of {known}, or WxHmm such as 300x200mm"
        )
    width, height = size if orient == "portrait" else size[::-1]
    return Paper(width, height, name=f"{name.upper()} {orient}")


@dataclass
class PaperSettings:
    """The paper on the plotter; the drawing takes its aspect ratio from the same sheet."""

    size: str = field(
        default="A4", metadata={"doc": "A6 ... A0, letter, legal, executive, tabloid, or WxHmm"}
    )
    orientation: Literal["landscape", "portrait"] = field(
        default="landscape", metadata={"doc": "how a named paper size lies on the plotter"}
    )

    def __post_init__(self) -> None:
        parse_paper(self.size, self.orientation)

    def paper(self) -> Paper:
        """The sheet these settings describe."""
        return parse_paper(self.size, self.orientation)
