"""The pen plotter: toolpaths from any SVG, GRBL / AxiDraw / HPGL drivers, jobs that survive faults."""

from dreamdraw.plotter.driver import PROTOCOLS, DeviceStatus, Driver, driver_class, open_driver
from dreamdraw.plotter.ebb import EbbDriver
from dreamdraw.plotter.errors import ControllerError, DeviceFault, PlotterError, PortError
from dreamdraw.plotter.export import toolpath_gcode, toolpath_hpgl, write_plot_file
from dreamdraw.plotter.grbl import GrblDriver
from dreamdraw.plotter.hpgl import HpglDriver
from dreamdraw.plotter.job import JobFile, JobResult, PlotJob, Progress, Restart
from dreamdraw.plotter.kinematics import TimeEstimate, estimate_time
from dreamdraw.plotter.link import PortInfo, list_ports
from dreamdraw.plotter.paper import Sheet, parse_sheet
from dreamdraw.plotter.settings import PlotterSettings
from dreamdraw.plotter.sim import (
    FAULT_KINDS,
    EbbSimulator,
    Fault,
    GrblSimulator,
    HpglSimulator,
    PtySimulator,
)
from dreamdraw.plotter.simulate import (
    SimulatedPlot,
    drawn_on_paper,
    plot_on_simulator,
    simulator_for,
)
from dreamdraw.plotter.toolpath import (
    PenInfo,
    Toolpath,
    ToolpathStats,
    ToolpathStroke,
    plan_toolpath,
    read_document,
)
from dreamdraw.plotter.trace import TraceReport, compare_trace

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
