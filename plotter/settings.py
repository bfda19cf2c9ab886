"""Plotter settings as they appear in the `[plotter]` table of the venue config."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PlotterSettings"]


@dataclass
class PlotterSettings:
    """The pen plotter."""
