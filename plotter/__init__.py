"""The pen plotter: toolpaths from any SVG, GRBL / AxiDraw / HPGL drivers, jobs that survive faults."""

from dreamdraw.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "driver": ["PROTOCOLS", "DeviceStatus", "Driver", "driver_class", "open_driver"],
        "ebb": ["EbbDriver"],
        "errors": ["ControllerError", "DeviceFault", "PlotterError", "PortError"],
        "export": ["toolpath_gcode", "toolpath_hpgl", "write_plot_file"],
        "grbl": ["GrblDriver"],
        "hpgl": ["HpglDriver"],
        "job": ["JobFile", "JobResult", "PlotJob", "Progress", "Restart"],
        "kinematics": ["Kinematics", "TimeEstimate", "estimate_time"],
        "machine": ["GRBL_DEFAULTS", "GrblMachine"],
        "link": ["PortInfo", "list_ports"],
        "settings": ["PlotterSettings"],
        "sim": [
            "FAULT_KINDS",
            "EbbSimulator",
            "Fault",
            "GrblSimulator",
            "HpglSimulator",
            "PtySimulator",
        ],
        "simulate": ["SimulatedPlot", "drawn_on_paper", "plot_on_simulator", "simulator_for"],
        "toolpath": [
            "PenInfo",
            "Toolpath",
            "ToolpathStats",
            "ToolpathStroke",
            "plan_toolpath",
            "read_document",
        ],
        "trace": ["TraceReport", "compare_trace"],
    },
)
