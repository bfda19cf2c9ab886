"""Simulated plotters on a pty: GRBL, EiBotBoard (AxiDraw) and HPGL, with injectable faults."""

from plotter.sim.base import FAULT_KINDS, Fault, PtySimulator, SimStats
from plotter.sim.ebb import EbbSimulator
from plotter.sim.grbl import GrblSimulator
from plotter.sim.hpgl import HpglSimulator

__all__ = [
    "EbbSimulator",
    "FAULT_KINDS",
    "Fault",
    "GrblSimulator",
    "HpglSimulator",
    "PtySimulator",
    "SimStats",
]
