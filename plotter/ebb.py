"""AxiDraw / EiBotBoard over serial: `SP` pen, `XM`/`SM` moves within the board's limits, `QG`.

Commands go one at a time, each answered `OK` (or `!N Err: ...`) once the board has taken
it into its motion queue. A stroke ends with pen up, then `QG` polling until the queue is
empty and the motors stand still, then `QS`: the step counters must read exactly where
the stroke ended, which proves it was drawn.
"""

from __future__ import annotations

import logging
import math
import re
import time

import numpy as np
from dreamdraw.plotter.driver import DeviceStatus, Driver
from dreamdraw.plotter.errors import ControllerError, DeviceFault, PortError

__all__ = ["EbbDriver", "ebb_moves"]

log = logging.getLogger("dreamdraw.plotter.ebb")

_HEX = re.compile(r"^[0-9A-Fa-f]{2}$")
_STEPS = re.compile(r"^-?\d+,-?\d+$")
_ERROR = re.compile(r"^!(\d+)\s*Err:?\s*(.*)$")
_MIN_FIRMWARE = (2, 6, 2)
_NUMBERS = re.compile(r"^-?\d+(,-?\d+)*$")


def ebb_moves(
    start: tuple[int, int],
    target: tuple[int, int],
    speed_steps_s: float,
    max_rate: float,
    max_ms: int,
    corexy: bool,
) -> list[tuple[int, int, int]]:
    """(duration ms, steps A, steps B) moves from `start` to `target` (axis steps).

    Each keeps both motors at or under `max_rate` steps/s and lasts at most `max_ms`;
    intermediate points are rounded from the straight line, so rounding never drifts.
    """
    da, db = target[0] - start[0], target[1] - start[1]
    if da == 0 and db == 0:
        return []
    motor = max(abs(da + db), abs(da - db)) if corexy else max(abs(da), abs(db))
    seconds = max(math.hypot(da, db) / speed_steps_s, motor / max_rate)
    pieces = max(1, math.ceil(seconds * 1000 / max_ms))
    moves = []
    here = start
    for k in range(1, pieces + 1):
        point = (start[0] + round(da * k / pieces), start[1] + round(db * k / pieces))
        a, b = point[0] - here[0], point[1] - here[1]
        motor_k = max(abs(a + b), abs(a - b)) if corexy else max(abs(a), abs(b))
        ms = max(1, math.ceil(seconds * 1000 / pieces), math.ceil(motor_k * 1000 / max_rate))
        moves.append((ms, a, b))
        here = point
    return moves


class EbbDriver(Driver):
    """EiBotBoard 2.x (AxiDraw and kin); origin where the carriage stands at connect."""

    protocol = "axidraw"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.steps = (0, 0)  # where we put the carriage, in axis steps from the origin
        self.pen_is_down = False
        self.version = ""

    # -- coordinates ---------------------------------------------------------------------
    def device_from_paper(self, points: np.ndarray) -> np.ndarray:
        return np.asarray(points, dtype=float).reshape(-1, 2) * self.settings.ebb_steps_per_mm

    def paper_from_device(self, points: np.ndarray) -> np.ndarray:
        return np.asarray(points, dtype=float).reshape(-1, 2) / self.settings.ebb_steps_per_mm

    # -- set-up --------------------------------------------------------------------------
    def _handshake(self, first: bool) -> None:
        link = self._link()
        link.write(b"\r")  # end any half-sent command
        link.discard_input(quiet_s=0.05)
        reply = self._query("V", lambda line: "EBB" in line, self.settings.connect_timeout_s)
        self.version = reply
        found = re.search(r"(\d+)\.(\d+)\.(\d+)", reply)
        if found and tuple(int(g) for g in found.groups()) < _MIN_FIRMWARE:
            raise PortError(
                f"EiBotBoard firmware {found.group(0)} is too old: QG needs 2.6.2 or newer; "
                "update it with the EBB firmware updater"
            )
        if not first:  # halt whatever the board still had queued from before the fault
            self._query("ES", lambda line: line == "OK")
        self.command("EM,1,1")  # both motors on, 1/16 microstepping
        self.command(f"SC,4,{self.settings.ebb_pen_up_position}")
        self.command(f"SC,5,{self.settings.ebb_pen_down_position}")
        if first:
            self.command("CS")  # the carriage's place now is the origin
            self.steps = (0, 0)
        else:
            self.steps = self._read_steps()
        self.command(f"SP,1,{round(self.settings.pen_up_delay_s * 1000)}")
        self.pen_is_down = False
        self.wait_idle()

    # -- commands ------------------------------------------------------------------------
    def command(self, text: str) -> None:
        """Send one command and wait for its OK."""
        self._query(text, lambda line: line == "OK")

    def _query(self, text: str, wanted, timeout: float | None = None) -> str:
        """Send `text`, return the first reply line `wanted` accepts (skipping stray OKs)."""
        link = self._link()
        link.write(text.encode("ascii") + b"\r")
        limit = timeout or self.settings.reply_timeout_s + self.settings.ebb_max_move_ms / 1000
        deadline = time.monotonic() + limit
        probed = False
        while True:
            line = link.read_line(0.02)
            if line is None:
                if time.monotonic() < deadline:
                    continue
                if probed or text == "QG":
                    raise DeviceFault(f"the EiBotBoard stopped answering (`{text}`)")
                # The reply may have been lost: a QG answered proves the board took `text`.
                probed = True
                link.write(b"QG\r")
                deadline = time.monotonic() + self.settings.reply_timeout_s
                wanted = _either(wanted, _HEX.match)
                continue
            error = _ERROR.match(line)
            if error:
                raise ControllerError(
                    f"the EiBotBoard refused `{text}`: {line}",
                    command=text,
                    code=int(error.group(1)),
                )
            if wanted(line):
                return line
            if line != "OK" and not _NUMBERS.match(line):
                log.warning("ignoring unexpected bytes from the EiBotBoard: %r", line[:40])

    def _read_steps(self) -> tuple[int, int]:
        line = self._query("QS", _STEPS.match)
        if not _STEPS.match(line):  # a probe's QG answered instead: ask again
            line = self._query("QS", _STEPS.match)
        self._expect_ok_after_data()
        m1, m2 = (int(v) for v in line.split(","))
        if self.settings.ebb_geometry == "corexy":
            return ((m1 + m2) // 2, (m1 - m2) // 2)
        return (m1, m2)

    def _expect_ok_after_data(self) -> None:
        """QS answers a data line, then OK; take that OK (or let a later read skip it)."""
        link = self._link()
        deadline = time.monotonic() + self.settings.reply_timeout_s
        while time.monotonic() < deadline:
            line = link.read_line(0.02)
            if line == "OK":
                return
            if line is not None:
                log.warning("ignoring unexpected bytes from the EiBotBoard: %r", line[:40])
        raise DeviceFault("the EiBotBoard did not finish its QS reply")

    def query_status(self) -> DeviceStatus:
        status = int(self._query("QG", _HEX.match), 16)
        x, y = self.paper_from_device(np.array([self.steps]))[0]
        self.status = DeviceStatus(
            state="Run" if status & 0x0F else "Idle", x=x, y=y, pen_down=bool(status & 0x10)
        )
        return self.status

    def wait_idle(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or 3600.0)
        while self.query_status().state != "Idle":
            if time.monotonic() > deadline:
                raise DeviceFault("the EiBotBoard did not finish its moves in time")
            time.sleep(0.005)

    def home(self) -> None:
        self.pen_up()
        self._move_steps((0, 0), self.settings.travel_speed_mm_s)
        self.wait_idle()

    def pen_up(self) -> None:
        self.command(f"SP,1,{round(self.settings.pen_up_delay_s * 1000)}")
        self.pen_is_down = False

    def pen_down(self) -> None:
        self.command(f"SP,0,{round(self.settings.pen_down_delay_s * 1000)}")
        self.pen_is_down = True

    def move_to(self, x: float, y: float) -> None:
        ((a, b),) = np.rint(self.device_from_paper(np.array([[x, y]]))).astype(int)
        speed = (
            self.settings.draw_speed_mm_s if self.pen_is_down else self.settings.travel_speed_mm_s
        )
        self._move_steps((int(a), int(b)), speed)

    def move_by(self, dx: float, dy: float) -> None:
        x, y = self.paper_from_device(np.array([self.steps]))[0]
        self.move_to(x + dx, y + dy)

    def _move_steps(self, target: tuple[int, int], speed_mm_s: float) -> None:
        s = self.settings
        corexy = s.ebb_geometry == "corexy"
        verb = "XM" if corexy else "SM"
        for ms, a, b in ebb_moves(
            self.steps,
            target,
            speed_mm_s * s.ebb_steps_per_mm,
            s.ebb_max_step_rate,
            s.ebb_max_move_ms,
            corexy,
        ):
            self.command(f"{verb},{ms},{a},{b}")
            self.steps = (self.steps[0] + a, self.steps[1] + b)

    def draw_stroke(self, points: np.ndarray) -> None:
        targets = [tuple(int(v) for v in p) for p in np.rint(self.device_from_paper(points))]
        self._move_steps(targets[0], self.settings.travel_speed_mm_s)
        self.pen_down()
        for target in targets[1:]:
            self._move_steps(target, self.settings.draw_speed_mm_s)
        self.pen_up()
        s = self.settings
        self.wait_idle(timeout=s.reply_timeout_s + 2 * s.ebb_max_move_ms / 1000 + s.pen_up_delay_s)
        counted = self._read_steps()
        if counted != self.steps:
            raise DeviceFault(
                f"the EiBotBoard's step counters read {counted}, not {self.steps}: commands were lost"
            )

    def abort(self) -> None:
        self._link().write(b"ES\r")


def _either(first, second):
    return lambda line: bool(first(line)) or bool(second(line))
