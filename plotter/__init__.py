"""The pen plotter: toolpaths from any SVG, GRBL / AxiDraw / HPGL drivers, jobs that survive faults."""

from plotter.driver import PROTOCOLS, DeviceStatus, Driver, driver_class, open_driver
from plotter.ebb import EbbDriver
from plotter.errors import ControllerError, DeviceFault, PlotterError, PortError
from plotter.export import toolpath_gcode, toolpath_hpgl, write_plot_file
from plotter.grbl import GrblDriver
from plotter.hpgl import HpglDriver
from plotter.job import JobFile, JobResult, PlotJob, Progress, Restart
from plotter.kinematics import TimeEstimate, estimate_time
from plotter.link import PortInfo, list_ports
from plotter.paper import Sheet, parse_sheet
from plotter.settings import PlotterSettings
from plotter.sim import FAULT_KINDS, EbbSimulator, Fault, GrblSimulator, HpglSimulator, PtySimulator
from plotter.simulate import SimulatedPlot, drawn_on_paper, plot_on_simulator, simulator_for
from plotter.toolpath import (
    PenInfo,
    Toolpath,
    ToolpathStats,
    ToolpathStroke,
    plan_toolpath,
    read_document,
)
from plotter.trace import TraceReport, compare_trace

__all__ = [
    "FAULT_KINDS",
    "PROTOCOLS",
    "ControllerError",
    "DeviceFault",
    "DeviceStatus",
    "Driver",
    "EbbDriver",
    "EbbSimulator",
    "Fault",
    "GrblDriver",
    "GrblSimulator",
    "HpglDriver",
    "HpglSimulator",
    "JobFile",
    "JobResult",
    "PenInfo",
    "PlotJob",
    "PlotterError",
    "PlotterSettings",
    "PortError",
    "PortInfo",
    "Progress",
    "PtySimulator",
    "Restart",
    "Sheet",
    "SimulatedPlot",
    "TimeEstimate",
    "Toolpath",
    "ToolpathStats",
    "ToolpathStroke",
    "TraceReport",
    "compare_trace",
    "driver_class",
    "drawn_on_paper",
    "estimate_time",
    "list_ports",
    "open_driver",
    "parse_sheet",
    "plan_toolpath",
    "plot_on_simulator",
    "read_document",
    "simulator_for",
    "toolpath_gcode",
    "toolpath_hpgl",
    "write_plot_file",
]
