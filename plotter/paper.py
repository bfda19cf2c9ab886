"""Paper sizes in mm, from vpype's page-size table or a `WxHmm` spec."""

from __future__ import annotations

from dataclasses import dataclass

import vpype as vp
from dreamdraw.plotter.errors import PlotterError

__all__ = ["Sheet", "parse_sheet", "MM"]

# CSS pixels (vpype's unit) per millimetre.
MM: float = vp.convert_length("1mm")


@dataclass(frozen=True)
class Sheet:
    """A sheet of paper as it lies on the plotter: width and height in mm."""

    width_mm: float
    height_mm: float
    name: str = ""

    def label(self) -> str:
        return self.name or f"{self.width_mm:g}x{self.height_mm:g}mm"


def parse_sheet(spec: str, orientation: str = "landscape") -> Sheet:
    """`A4`, `A4-portrait`, `letter`, or `WxHmm` (taken as given) to a Sheet in mm."""
    text = spec.strip()
    name, _, orient = text.partition("-")
    orient = (orient or orientation).lower()
    if orient not in ("landscape", "portrait"):
        raise PlotterError(f"unknown paper orientation {orient!r}; use landscape or portrait")
    try:
        width_px, height_px = vp.convert_page_size(name.lower())
    except ValueError:
        known = ", ".join(k.upper() for k in vp.PAGE_SIZES if k != "tight")
        raise PlotterError(
            f"unknown paper size {spec!r}; use one of {known}, or WxHmm such as 300x200mm"
        ) from None
    width, height = width_px / MM, height_px / MM
    if not (width > 0 and height > 0):
        raise PlotterError(f"paper must have a positive size, got {spec!r}")
    if name.lower() in vp.PAGE_SIZES:
        width, height = sorted((width, height), reverse=orient == "landscape")
        return Sheet(round(width, 3), round(height, 3), name=f"{name.upper()} {orient}")
    return Sheet(round(width, 3), round(height, 3), name=text.lower())
