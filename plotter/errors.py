"""Errors a user of the plotter package can cause, and the faults a job recovers from."""

__all__ = ["PlotterError", "PortError", "ControllerError", "DeviceFault"]


class PlotterError(ValueError):
    """Bad plotter input, settings or hardware state; the message says what to do."""


class PortError(PlotterError):
    """A serial port that does not exist, is busy, or answers nothing we understand."""


class ControllerError(PlotterError):
    """The controller refused a command (GRBL `error:N`, EBB `!N Err`, HPGL error code)."""

    def __init__(self, message: str, command: str = "", code: int | None = None) -> None:
        super().__init__(message)
        self.command = command
        self.code = code


class DeviceFault(PlotterError):
    """A fault a job can recover from: port lost, alarm, controller reset, silence.

    `lost_position` says the controller no longer knows where the pen is.
    """

    def __init__(self, message: str, lost_position: bool = False) -> None:
        super().__init__(message)
        self.lost_position = lost_position
