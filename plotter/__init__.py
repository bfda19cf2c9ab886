"""The pen plotter."""

from plotter.errors import PlotterError
from plotter.settings import PlotterSettings

__all__ = ["PlotterError", "PlotterSettings"]
