"""Simulated plotters on a pty: GRBL, EiBotBoard (AxiDraw) and HPGL, with injectable faults."""

from dreamdraw.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "base": ["FAULT_KINDS", "Fault", "PtySimulator", "SimStats"],
        "ebb": ["EbbSimulator"],
        "grbl": ["GrblSimulator"],
        "hpgl": ["HpglSimulator"],
    },
)
