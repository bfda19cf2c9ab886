"""Errors a user of the plotter package can cause."""

__all__ = ["PlotterError"]


class PlotterError(ValueError):
    """Bad plotter input, settings or hardware state; the message says what to do."""
