"""Simulated plotters on a pty: GRBL, EiBotBoard (AxiDraw) and HPGL, with injectable faults."""

from dreamdraw.plotter.sim.base import FAULT_KINDS, Fault, PtySimulator, SimStats
from dreamdraw.plotter.sim.ebb import EbbSimulator
from dreamdraw.plotter.sim.grbl import GrblSimulator
from dreamdraw.plotter.sim.hpgl import HpglSimulator

__all__ = [
    "EbbSimulator",
    "FAULT_KINDS",
    "Fault",
    "GrblSimulator",
    "HpglSimulator",
    "PtySimulator",
    "SimStats",
]
