"""HPGL over serial: `IN;SP n;PU x,y;PD ...;` in plotter units, with ESC.B or XON/XOFF flow.

HPGL has no acknowledgements; a stroke ends with `PU;OA;OE;`. The plotter answers the
output instructions in order, after carrying out everything before them: `OA` must report
the pen up at the stroke's last point, and `OE` must report no error.
"""

from __future__ import annotations

import logging
import re
import time

import numpy as np
from dreamdraw.plotter.driver import DeviceStatus, Driver
from dreamdraw.plotter.errors import ControllerError, DeviceFault
from dreamdraw.plotter.toolpath import PenInfo

__all__ = ["HpglDriver", "HPGL_ERRORS", "HPGL_IO_ERRORS", "stroke_hpgl"]

log = logging.getLogger("dreamdraw.plotter.hpgl")

ESC = b"\x1b"
# Points per PD instruction: short instructions keep every one well inside any buffer.
_POINTS_PER_PD = 16
_POSITION = re.compile(r"^\s*(-?\d+)\s*,\s*(-?\d+)\s*,\s*(\d+)\s*$")
_NUMBER = re.compile(r"^\s*(\d+)\s*$")

HPGL_ERRORS: dict[int, str] = {
    1: "instruction not recognised",
    2: "wrong number of parameters",
    3: "bad parameter",
    5: "unknown character set",
    6: "position overflow",
}
HPGL_IO_ERRORS: dict[int, str] = {
    10: "output instruction received while another output was pending",
    11: "invalid byte after ESC.",
    12: "invalid byte in a device control instruction",
    13: "parameter out of range",
    14: "too many parameters",
    15: "framing, parity or overrun error on the serial line",
    16: "input buffer overflow",
}


def stroke_hpgl(units: np.ndarray) -> str:
    """PU to the first point, PD through the rest (integer plotter units), PU."""
    pts = [f"{int(x)},{int(y)}" for x, y in units]
    out = [f"PU{pts[0]};"]
    rest = pts[1:] or pts[:1]
    for k in range(0, len(rest), _POINTS_PER_PD):
        out.append(f"PD{','.join(rest[k : k + _POINTS_PER_PD])};")
    out.append("PU;")
    return "".join(out)


class HpglDriver(Driver):
    """An HPGL plotter (HP 7475A and kin); origin at the paper's bottom-left, Y up."""

    protocol = "hpgl"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pen_is_down = False
        self.model = ""
        self.pen_number = 1

    # -- coordinates ---------------------------------------------------------------------
    def device_from_paper(self, points: np.ndarray) -> np.ndarray:
        out = np.array(points, dtype=float).reshape(-1, 2)
        out[:, 1] = self.sheet.height_mm - out[:, 1]
        return np.rint(out * self.settings.hpgl_units_per_mm)

    def paper_from_device(self, points: np.ndarray) -> np.ndarray:
        out = np.array(points, dtype=float).reshape(-1, 2) / self.settings.hpgl_units_per_mm
        out[:, 1] = self.sheet.height_mm - out[:, 1]
        return out

    # -- set-up --------------------------------------------------------------------------
    def _handshake(self, first: bool) -> None:
        link = self._link()
        link.write(ESC + b".K")  # abort whatever was buffered before a fault
        link.discard_input(quiet_s=0.05)
        self._device_query(b".E", timeout=self.settings.connect_timeout_s)
        speed_cm_s = self.settings.draw_speed_mm_s / 10
        self.send(f"IN;SP{self.pen_number};VS{speed_cm_s:.1f};")
        self.model = self._output("OI;", lambda line: bool(line.strip()))
        self.pen_is_down = False

    def _device_query(self, code: bytes, timeout: float | None = None) -> int:
        """ESC.B / ESC.E / ESC.O: answered at once, outside the buffer; returns the number.

        Only asked while no output instruction is pending, so any reply already waiting is
        stale (a duplicate) and is dropped first: a stale free-space count would overfill.
        """
        link = self._link()
        link.discard_input(quiet_s=0.0)
        link.write(ESC + code)
        line = self._read(lambda text: bool(_NUMBER.match(text)), timeout)
        return int(line)

    def _read(self, wanted, timeout: float | None = None) -> str:
        link = self._link()
        deadline = time.monotonic() + (timeout or self.settings.reply_timeout_s)
        while time.monotonic() < deadline:
            line = link.read_line(0.02)
            if line is None:
                continue
            if wanted(line):
                return line
            log.warning("ignoring unexpected bytes from the HPGL plotter: %r", line[:40])
        raise DeviceFault("the HPGL plotter stopped answering")

    def _output(self, instruction: str, wanted, timeout: float | None = None) -> str:
        self.send(instruction)
        return self._read(wanted, timeout)

    # -- sending with flow control -------------------------------------------------------
    def send(self, text: str, allowance_s: float = 0.0) -> None:
        """Send instructions, never more than the plotter says it has room for.

        allowance_s: how long the plotter may legitimately keep its buffer full (the
        time its queued moves take), on top of reply_timeout_s.
        """
        data = text.encode("ascii")
        if self.settings.hpgl_flow_control == "escb":
            self._send_escb(data, allowance_s)
        else:
            self._send_xonxoff(data, allowance_s)

    def _send_escb(self, data: bytes, allowance_s: float) -> None:
        link = self._link()
        patience = self.settings.reply_timeout_s + allowance_s
        deadline = time.monotonic() + patience
        while data:
            free = self._device_query(b".B")
            if free <= 0:
                if time.monotonic() > deadline:
                    raise DeviceFault("the HPGL plotter's buffer stayed full")
                time.sleep(0.01)
                continue
            link.write(data[:free])
            data = data[free:]
            deadline = time.monotonic() + patience

    def _send_xonxoff(self, data: bytes, allowance_s: float) -> None:
        link = self._link()
        chunk = 32  # small chunks: an XOFF is obeyed within 32 bytes
        patience = self.settings.reply_timeout_s + allowance_s
        deadline = time.monotonic() + patience
        while data:
            link.poll()
            if link.xoff:
                if time.monotonic() > deadline:
                    raise DeviceFault("the HPGL plotter sent XOFF and never XON")
                time.sleep(0.005)
                continue
            link.write(data[:chunk])
            data = data[chunk:]
            deadline = time.monotonic() + patience

    # -- Driver commands -----------------------------------------------------------------
    def select_pen(self, pen: PenInfo) -> bool:
        self.pen_number = pen.id
        self.send(f"SP{pen.id};")
        return True

    def home(self) -> None:
        self.send("PU0,0;")
        self.pen_is_down = False
        self.wait_idle()

    def pen_up(self) -> None:
        self.send("PU;")
        self.pen_is_down = False

    def pen_down(self) -> None:
        self.send("PD;")
        self.pen_is_down = True

    def move_to(self, x: float, y: float) -> None:
        ((u, v),) = self.device_from_paper(np.array([[x, y]]))
        self.send(f"{'PD' if self.pen_is_down else 'PU'}{int(u)},{int(v)};")

    def move_by(self, dx: float, dy: float) -> None:
        u, v = (
            round(dx * self.settings.hpgl_units_per_mm),
            round(-dy * self.settings.hpgl_units_per_mm),
        )
        self.send(f"PR;{'PD' if self.pen_is_down else 'PU'}{u},{v};PA;")

    def query_status(self) -> DeviceStatus:
        line = self._output("OA;", lambda text: bool(_POSITION.match(text)))
        u, v, pen = (int(g) for g in _POSITION.match(line).groups())  # type: ignore[union-attr]
        ((x, y),) = self.paper_from_device(np.array([[u, v]]))
        self.status = DeviceStatus("Idle", x=x, y=y, pen_down=bool(pen))
        return self.status

    def wait_idle(self, timeout: float | None = None) -> None:
        self.query_status()

    def draw_stroke(self, points: np.ndarray) -> None:
        units = self.device_from_paper(points)
        # Generous time the stroke's own moves may take (double the plain estimate).
        drawn = float(np.hypot(*np.diff(points, axis=0).T).sum()) if len(points) > 1 else 0.0
        allowance = 2 * (drawn / self.settings.draw_speed_mm_s) + 0.5
        self.send(stroke_hpgl(units), allowance)
        self._confirm_at((int(units[-1][0]), int(units[-1][1])), allowance)

    def _confirm_at(self, end: tuple[int, int], allowance_s: float) -> None:
        """`OA;OE;` must say: pen up at `end`, no error. Ask twice before calling it a fault."""
        for _ in range(2):
            self.send("OA;OE;", allowance_s)
            position, code = self._position_and_error(allowance_s)
            if code:
                raise ControllerError(
                    f"the HPGL plotter reports error {code} "
                    f"({HPGL_ERRORS.get(code, 'unknown error')}) in the last stroke",
                    code=code,
                )
            if position == (*end, 0):
                return
            log.warning("HPGL plotter at %s, not %s with the pen up; asking again", position, end)
        raise DeviceFault(f"the HPGL plotter did not confirm the stroke ({self._io_error_text()})")

    def _position_and_error(self, allowance_s: float) -> tuple[tuple[int, int, int] | None, int]:
        """Read the replies to `OA;OE;`: a position (None if it went missing) and an error."""
        link = self._link()
        position = None
        deadline = time.monotonic() + self.settings.reply_timeout_s + allowance_s
        while time.monotonic() < deadline:
            line = link.read_line(0.02)
            if line is None:
                continue
            at, number = _POSITION.match(line), _NUMBER.match(line)
            if at and position is None:
                position = tuple(int(g) for g in at.groups())
            elif number:
                return position, int(number.group(1))  # type: ignore[return-value]
            else:
                log.warning("ignoring reply from the HPGL plotter: %r", line[:40])
        return position, 0  # type: ignore[return-value]

    def _io_error_text(self) -> str:
        """What ESC.E (I/O error) and ESC.O (status) say, for a fault's message."""
        try:
            code = self._device_query(b".E", timeout=0.5)
            status = self._device_query(b".O", timeout=0.5)
        except DeviceFault:
            return "no answer to ESC.E either"
        error = (
            f"I/O error {code}: {HPGL_IO_ERRORS.get(code, 'unknown')}" if code else "no I/O error"
        )
        return f"{error}, status {status}"

    def abort(self) -> None:
        self._link().write(ESC + b".K" + b"PU;")
