"""One driver interface over "a serial-like thing", and the factory that picks a protocol."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from dreamdraw.paper import Paper
from dreamdraw.plotter.errors import DeviceFault, PlotterError, PortError
from dreamdraw.plotter.link import Link
from dreamdraw.plotter.machine import GrblMachine
from dreamdraw.plotter.settings import PlotterSettings
from dreamdraw.plotter.toolpath import PenInfo

__all__ = ["Driver", "DeviceStatus", "open_driver", "driver_class", "PROTOCOLS"]

log = logging.getLogger("dreamdraw.plotter")


@dataclass
class DeviceStatus:
    """What the controller last said about itself; position in paper mm (None: unknown)."""

    state: str = "Unknown"
    x: float | None = None
    y: float | None = None
    pen_down: bool | None = None
    detail: str = ""


class Driver(ABC):
    """A plotter behind a serial-like port: connect, home, pen up/down, move, draw, close.

    Coordinates are paper mm (x right, y down from the top-left corner); each driver maps
    them to its machine. `draw_stroke` returns once the controller confirms the stroke is
    drawn and the pen is up again, and raises DeviceFault for faults a job recovers from.
    """

    protocol: ClassVar[str]
    supports_hold: ClassVar[bool] = False

    def __init__(self, port: str, settings: PlotterSettings, sheet: Paper | None = None) -> None:
        self.port_name = port
        self.settings = settings
        self.sheet = sheet or settings.sheet()
        self.link: Link | None = None
        self.status = DeviceStatus()
        # The controller's own settings, where its protocol can report them (GRBL `$$`).
        self.machine: GrblMachine | None = None

    @property
    def work_offset(self) -> tuple[float, float]:
        """Work coordinates = machine coordinates - this offset (mm)."""
        return (0.0, 0.0)

    # -- lifecycle -----------------------------------------------------------------------
    def connect(self) -> None:
        """Open the port and bring the controller to a known state (pen up, absolute mm)."""
        self.close()
        self.link = Link.open(self.port_name, self.settings.baud)
        try:
            self._handshake(first=True)
        except DeviceFault as exc:
            self.close()
            raise PortError(
                f"{self.port_name} does not answer like a {self.protocol} plotter at "
                f"{self.settings.baud} baud: {exc}"
            ) from None
        except BaseException:
            self.close()
            raise

    def recover(self, reason: str = "") -> None:
        """After a fault: reopen the port if needed and re-initialise, until reconnect_timeout_s."""
        deadline = time.monotonic() + self.settings.reconnect_timeout_s
        last: Exception | None = None
        while True:
            try:
                if self.link is None:
                    self.link = Link.open(self.port_name, self.settings.baud)
                self._handshake(first=False)
                return
            except (DeviceFault, PortError) as exc:
                last = exc
                log.warning("plotter recovery: %s", exc)
                self.close()
            if time.monotonic() >= deadline:
                raise PlotterError(
                    f"cannot reach the plotter on {self.port_name} after a fault ({reason}); "
                    f"last problem: {last}. Check the cable and power, then continue with "
                    "`dreamdraw plot --resume JOB`"
                )
            time.sleep(0.1)

    def close(self) -> None:
        if self.link is not None:
            self.link.close()
            self.link = None

    def __enter__(self) -> Driver:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- machine set-up ------------------------------------------------------------------
    @abstractmethod
    def home(self) -> None:
        """Go to the machine origin (a homing cycle where the machine has one)."""

    @abstractmethod
    def pen_up(self) -> None: ...

    @abstractmethod
    def pen_down(self) -> None: ...

    @abstractmethod
    def move_to(self, x: float, y: float) -> None:
        """Move to (x, y) paper mm with the pen as it is."""

    @abstractmethod
    def move_by(self, dx: float, dy: float) -> None:
        """Jog by (dx, dy) mm (paper directions) with the pen as it is."""

    @abstractmethod
    def wait_idle(self, timeout: float | None = None) -> None:
        """Return when every command sent has been carried out."""

    # -- plotting ------------------------------------------------------------------------
    @abstractmethod
    def draw_stroke(self, points: np.ndarray) -> None:
        """Travel to points[0], pen down, draw through points ((n, 2) mm), pen up; confirmed."""

    def select_pen(self, pen: PenInfo) -> bool:
        """Make `pen` current; True when the machine changed it itself (HPGL carousel)."""
        return False

    def announce_pen(self, pen: PenInfo) -> None:
        """Tell the controller which pen is now in the holder, where the protocol has a word
        for it (GRBL: the tool number); nothing otherwise."""
        return None

    def park(self) -> None:
        """Pen up at the origin, for a pen change or the end of a job."""
        self.pen_up()
        x, y = self.origin_on_paper()
        self.move_to(x, y)
        self.wait_idle()

    # -- realtime (any thread) -----------------------------------------------------------
    def hold(self) -> None:
        """Stop motion at once, keeping the queue (GRBL feed hold), where supports_hold."""
        raise PlotterError(f"{self.protocol} has no feed hold; pause at the end of a stroke")

    def release(self) -> None:
        """Continue after hold()."""
        raise PlotterError(f"{self.protocol} has no feed hold")

    @abstractmethod
    def abort(self) -> None:
        """Emergency stop: halt motion now and drop everything queued."""

    # -- coordinates ---------------------------------------------------------------------
    def origin_on_paper(self) -> tuple[float, float]:
        """The machine origin in paper mm."""
        return tuple(self.paper_from_device(np.zeros((1, 2)))[0])  # type: ignore[return-value]

    @abstractmethod
    def device_from_paper(self, points: np.ndarray) -> np.ndarray:
        """Paper mm (n, 2) -> the machine's own units and axes."""

    @abstractmethod
    def paper_from_device(self, points: np.ndarray) -> np.ndarray:
        """The machine's units and axes (n, 2) -> paper mm."""

    @abstractmethod
    def _handshake(self, first: bool) -> None:
        """Bring a freshly opened (or faulted) controller to pen up, ready for strokes."""

    def _link(self) -> Link:
        if self.link is None:
            raise DeviceFault(f"{self.port_name} is not open")
        return self.link


PROTOCOLS = ("grbl", "axidraw", "hpgl")


def driver_class(protocol: str) -> type[Driver]:
    """The Driver class for `grbl`, `axidraw` (EiBotBoard) or `hpgl`."""
    from dreamdraw.plotter.ebb import EbbDriver
    from dreamdraw.plotter.grbl import GrblDriver
    from dreamdraw.plotter.hpgl import HpglDriver

    classes: dict[str, type[Driver]] = {
        "grbl": GrblDriver,
        "axidraw": EbbDriver,
        "ebb": EbbDriver,
        "hpgl": HpglDriver,
    }
    if protocol not in classes:
        raise PlotterError(
            f"unknown plotter device {protocol!r}; use one of {', '.join(PROTOCOLS)}"
        )
    return classes[protocol]


def open_driver(
    port: str | None = None,
    settings: PlotterSettings | None = None,
    device: str | None = None,
    sheet: Paper | None = None,
    connect: bool = True,
) -> Driver:
    """A connected driver for `device` (default settings.device) on `port` (path or URL)."""
    settings = settings or PlotterSettings()
    port = port or settings.port
    if not port:
        raise PortError("no serial port given; pass --port (`dreamdraw plotter ports` lists them)")
    driver = driver_class(device or settings.device)(port, settings, sheet)
    if connect:
        driver.connect()
    return driver
