"""GRBL 1.1 over serial: character-counting streaming against the 127-byte receive buffer.

Every stroke ends with pen up, a dwell (which waits for the planner to empty) and `$G`.
GRBL answers `$G` with `[GC:...]` when it reads that line, which after a dwell means once
everything before it has been carried out: the reply proves the stroke is on paper. Any
`[GC:]` also proves every line before its `$G` has been answered, so the `ok` count is
re-synchronised there: lost `ok`s are written off, a duplicated one is corrected.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
from dreamdraw.plotter.driver import DeviceStatus, Driver
from dreamdraw.plotter.errors import ControllerError, DeviceFault, PlotterError
from dreamdraw.plotter.gcode import pen_gcode, setup_gcode, stroke_gcode, travel_gcode
from dreamdraw.plotter.grbl_codes import alarm_meaning, error_meaning
from dreamdraw.plotter.machine import GrblMachine, parse_build_info, parse_settings
from dreamdraw.plotter.toolpath import PenInfo

__all__ = ["GrblDriver", "parse_status"]

log = logging.getLogger("dreamdraw.plotter.grbl")

BANNER = re.compile(r"Grbl\s+\S+")
_STATUS = re.compile(r"<([^>]*)>")
_MOVE = re.compile(r"G[01]X(-?[\d.]+)Y(-?[\d.]+)")
SOFT_RESET, STATUS_QUERY, FEED_HOLD, CYCLE_START = b"\x18", b"?", b"!", b"~"
# The planner is 16 blocks in GRBL 1.1 (one kept free).
_PLANNER_BLOCKS = 15
# A `$G` every this many lines re-synchronises the count of `ok`s mid-stroke ...
_SYNC_EVERY = 16
# ... and this many of the longest lines stay unused in the receive buffer, so that as
# many duplicated `ok`s between two syncs cannot make us overfill it.
_SPARE_LINES = 2


@dataclass
class _Sent:
    seq: int
    text: str
    size: int  # bytes including the newline


def parse_status(line: str) -> dict[str, str]:
    """`<Idle|MPos:1,2,0|Bf:15,128|FS:0,0>` -> {'state': 'Idle', 'MPos': '1,2,0', ...}."""
    match = _STATUS.search(line)
    if not match:
        return {}
    fields = match.group(1).split("|")
    out = {"state": fields[0].split(":")[0]}
    for item in fields[1:]:
        key, _, value = item.partition(":")
        out[key] = value
    return out


class GrblDriver(Driver):
    """GRBL 1.1 (servo or Z-axis pen), streaming by character counting or send-response."""

    protocol = "grbl"
    supports_hold = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._reset_stream()
        self.pen_is_down = False
        self.unexpected_oks = 0
        self.lost_oks = 0
        self.max_in_flight = 0
        self.machine_xy: tuple[float, float] | None = None  # last reported MPos
        self.cycle_restarts = 0  # times GRBL stopped mid-move and a cycle start resumed it
        self.planner_blocks = _PLANNER_BLOCKS
        self._wco = (0.0, 0.0)  # GRBL's last reported work coordinate offset
        self._planned_xy: tuple[float, float] | None = None
        self._absolute = True
        self._capture: list[str] | None = None  # `$$`/`$I` lines while they are read
        self._rx_buffer = self.settings.grbl_rx_buffer
        self.unlock_at_connect = False  # `dreamdraw plotter unlock`: $X instead of refusing
        self._last_end: tuple[float, float] | None = None  # where the last stroke ended

    # -- coordinates ---------------------------------------------------------------------
    def device_from_paper(self, points: np.ndarray) -> np.ndarray:
        out = np.array(points, dtype=float).reshape(-1, 2)
        if self.settings.grbl_invert_y:
            out[:, 1] = self.sheet.height_mm - out[:, 1]
        return out

    def paper_from_device(self, points: np.ndarray) -> np.ndarray:
        return self.device_from_paper(points)  # the flip is its own inverse

    # -- set-up ----------------------------------------------------------------------------
    def _handshake(self, first: bool) -> None:
        link = self._link()
        self._reset_stream()
        if first:
            link.write(b"\r\n\r\n")  # wake a controller that waits for input
        link.write(SOFT_RESET)  # known state: stop, flush, banner
        self._wait_banner(self.settings.connect_timeout_s)
        link.discard_input(quiet_s=0.05)
        self._reset_stream()
        status = self.query_status()
        if first:
            self.machine = self.read_machine()
        if not first and not self.settings.grbl_homing:
            self._check_position_kept()
        if first and status.state == "Alarm" and not self.settings.grbl_homing:
            if not self.unlock_at_connect:
                raise PlotterError(self._locked_message())
            self.unlock()
            status = self.query_status()
        if status.state == "Alarm" or (first and self.settings.grbl_homing):
            self._clear_alarm()
        self.send_lines(setup_gcode(self.settings))
        self.pen_is_down = False

    def read_machine(self) -> GrblMachine:
        """Ask `$$` and `$I`: the controller's own rates, accelerations, travel and buffers."""
        self._capture = []
        try:
            self.send_lines(["$$", "$I"])
            lines = self._capture
        finally:
            self._capture = None
        version, blocks, rx = parse_build_info(lines)
        machine = GrblMachine(parse_settings(lines), version, blocks, rx)
        self.planner_blocks = machine.planner_blocks
        self._rx_buffer = min(self.settings.grbl_rx_buffer, machine.rx_buffer)
        log.info("%s", machine.summary())
        return machine

    def _locked_message(self) -> str:
        homing = self.machine is not None and self.machine.homing
        why = "it has homing enabled ($22=1) and waits to be homed" if homing else "it is in alarm"
        return (
            f"the GRBL plotter on {self.port_name} is locked: {why}. Home it with "
            "`dreamdraw plotter home` after setting grbl_homing = true in [plotter] (it needs "
            "limit switches), or, with the pen at the paper's origin, unlock it where it stands "
            "with `dreamdraw plotter unlock`"
        )

    def unlock(self) -> None:
        """Clear an alarm with `$X`, trusting that the carriage is where GRBL thinks it is."""
        self.send_lines(["$X"])

    def _check_position_kept(self) -> None:
        """A power-cycled GRBL restarts at 0,0 wherever the carriage is; without homing
        nothing can put it right, and plotting on would draw everything shifted."""
        if self._last_end is None or self.machine_xy != (0.0, 0.0):
            return
        if float(np.hypot(*self._last_end)) > 1.0:
            x, y = self._last_end
            raise PlotterError(
                f"GRBL restarted and lost its position: it says 0,0 but the pen was near "
                f"{x:.1f},{y:.1f} (machine mm). Move the pen to the origin by hand, or enable "
                "homing (grbl_homing = true, with limit switches), then resume"
            )

    def _wait_banner(self, timeout: float) -> None:
        link = self._link()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = link.read_line(min(0.1, max(0.0, deadline - time.monotonic())))
            if line is not None and BANNER.search(line):
                return
        raise DeviceFault(f"no GRBL banner within {timeout:g} s after a soft reset")

    def _clear_alarm(self) -> None:
        if self.settings.grbl_homing:
            log.info("homing ($H)")
            self.send_lines(["$H"])
        else:
            log.info("unlocking ($X)")
            self.send_lines(["$X"])

    def query_status(self, timeout: float | None = None) -> DeviceStatus:
        """Ask `?` and wait for the report."""
        link = self._link()
        link.write(STATUS_QUERY)
        deadline = time.monotonic() + (timeout or self.settings.reply_timeout_s)
        while time.monotonic() < deadline:
            line = link.read_line(0.05)
            if line is None:
                continue
            if line.startswith("<"):
                self._on_status(line)
                return self.status
            if BANNER.search(line) and not self._in_job:
                continue  # a board just powered on prints its banner once more on our reset
            self._on_line(line)
        raise DeviceFault(f"no status report within {timeout or self.settings.reply_timeout_s:g} s")

    # -- Driver commands -----------------------------------------------------------------
    def home(self) -> None:
        if self.settings.grbl_homing:
            self.send_lines(["$H"])
        else:
            self.send_lines([*pen_gcode(self.settings, down=False), "G0X0Y0"])
            self.pen_is_down = False
        self.wait_idle()

    def announce_pen(self, pen: PenInfo) -> None:
        # GRBL accepts a T word and moves nothing for it; a sender or a simulator reading
        # the stream learns the pen from it.
        self.send_lines([f"T{pen.id}"])

    def pen_up(self) -> None:
        self.send_lines(pen_gcode(self.settings, down=False))
        self.pen_is_down = False

    def pen_down(self) -> None:
        self.send_lines(pen_gcode(self.settings, down=True, laser_mode=self._laser_mode))
        self.pen_is_down = True

    def move_to(self, x: float, y: float) -> None:
        ((mx, my),) = self.device_from_paper(np.array([[x, y]]))
        if self.pen_is_down:
            feed = self.settings.draw_speed_mm_s * 60
            self.send_lines([f"{travel_gcode(mx, my).replace('G0', 'G1', 1)}F{feed:.0f}"])
        else:
            self.send_lines([travel_gcode(mx, my)])

    def move_by(self, dx: float, dy: float) -> None:
        sign = -1 if self.settings.grbl_invert_y else 1
        self.send_lines(["G91", travel_gcode(dx, sign * dy), "G90"])

    def wait_idle(self, timeout: float | None = None) -> None:
        self.send_lines(["G4P0", "$G"], until_marker=True)

    def draw_stroke(self, points: np.ndarray) -> None:
        device = self.device_from_paper(points)
        travel, *drawing = stroke_gcode(device, self.settings, self._laser_mode)
        # The pen goes down only once the carriage is confirmed at the stroke's start; the
        # dwell makes `[GC:]` come when the travel ends, so one `?` normally confirms it.
        self.send_lines([travel, "G4P0", "$G"], until_marker=True)
        self._confirm_at((float(device[0][0]), float(device[0][1])))
        lines: list[str] = []
        for k, line in enumerate(drawing):
            lines.append(line)
            if (k + 1) % _SYNC_EVERY == 0:
                lines.append("$G")
        self.pen_is_down = True
        self.send_lines([*lines, "$G"], until_marker=True)
        self.pen_is_down = False
        self._last_end = (float(device[-1][0]), float(device[-1][1]))
        self._confirm_at(self._last_end)

    def _confirm_at(self, target: tuple[float, float]) -> None:
        """Wait until GRBL reports the carriage at `target` (work mm), at rest.

        `[GC:]` after a dwell normally proves the stroke is drawn. But when GRBL's step
        generator ran dry, the segments it had already taken from the planner no longer
        count as queued motion: its sync ends early and the rest of the move waits for the
        next cycle start. So the stroke counts as drawn only once the carriage is there.
        """
        deadline = time.monotonic() + self.settings.reply_timeout_s
        while True:
            status = self.query_status()
            fields = parse_status(status.detail)
            work = self._work_position(fields)
            there = work is not None and float(np.hypot(*np.subtract(work, target))) <= 0.01
            if there and status.state == "Idle":
                return
            if status.state == "Idle" and not there:
                self.cycle_restarts += 1
                log.warning("GRBL stopped short of the stroke's end; cycle start")
                self._link().write(CYCLE_START)
            if time.monotonic() > deadline:
                raise DeviceFault(
                    f"GRBL did not reach the end of the stroke ({status.state} at {work})"
                )
            time.sleep(0.02)

    @property
    def work_offset(self) -> tuple[float, float]:
        return self._wco

    @property
    def _laser_mode(self) -> bool:
        return self.machine is not None and self.machine.laser_mode

    def hold(self) -> None:
        self._link().write(FEED_HOLD)

    def release(self) -> None:
        self._link().write(CYCLE_START)

    def abort(self) -> None:
        self._link().write(SOFT_RESET)

    # -- streaming -----------------------------------------------------------------------
    def _reset_stream(self) -> None:
        self._queue: deque[_Sent] = deque()
        self._in_flight = 0
        self._seq = 0
        self._markers: deque[_Sent] = deque()  # `$G` lines whose [GC:] has not come
        self._marker_done: set[int] = set()
        self._status_asked: float | None = None
        self._probe: _Sent | None = None
        self._last_heard = self._last_progress = time.monotonic()
        self._in_job = False

    def send_lines(self, lines: list[str], until_marker: bool = False) -> None:
        """Stream lines and wait until all are acknowledged (or the last `$G` is answered)."""
        link = self._link()
        self._in_job = until_marker
        longest = max(len(line) + 1 for line in lines)
        limit = max(longest, self._rx_buffer - 1 - _SPARE_LINES * longest)
        counting = self.settings.grbl_streaming == "counting"
        marker: _Sent | None = None
        i = 0
        while True:
            while i < len(lines):
                size = len(lines[i]) + 1
                fits = self._in_flight + size <= limit if counting else not self._queue
                if not fits:
                    break
                sent = self._send(lines[i])
                if lines[i] == "$G":
                    self._markers.append(sent)
                    marker = sent
                i += 1
            if i == len(lines):
                if until_marker and marker is not None and marker.seq in self._marker_done:
                    return
                if not until_marker and not self._queue:
                    return
            line = link.read_line(0.02)
            if line is not None:
                self._last_heard = time.monotonic()
                self._on_line(line)
            else:
                self._keep_alive()

    def _send(self, text: str) -> _Sent:
        self._seq += 1
        sent = _Sent(self._seq, text, len(text) + 1)
        self._link().write(text.encode("ascii") + b"\n")
        self._queue.append(sent)
        self._in_flight += sent.size
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        return sent

    def _keep_alive(self) -> None:
        """Poll `?` when the controller is quiet; silence past reply_timeout_s is a fault."""
        now = time.monotonic()
        if self._status_asked is not None:
            if now - self._status_asked > self.settings.reply_timeout_s:
                raise DeviceFault(
                    f"GRBL stopped answering (no reply for {self.settings.reply_timeout_s:g} s)"
                )
            return
        if now - self._last_heard > self.settings.status_interval_s:
            self._link().write(STATUS_QUERY)
            self._status_asked = now

    def _on_line(self, line: str) -> None:
        if self._capture is not None and line.startswith(("$", "[VER:", "[OPT:")):
            self._capture.append(line)
        elif line == "ok":
            self._on_ok()
        elif line.startswith("error:"):
            self._on_error(line)
        elif line.startswith("ALARM:"):
            code = _code(line)
            raise DeviceFault(
                f"GRBL alarm {code}: {alarm_meaning(code)}", lost_position=code in (1, 3)
            )
        elif line.startswith("<"):
            self._on_status(line)
        elif line.startswith("[GC:"):
            self._on_marker(line)
        elif line.startswith("[MSG:") or line.startswith("["):
            log.info("GRBL says %s", line)
        elif BANNER.search(line):
            raise DeviceFault("the controller reset (GRBL banner in mid-job)", lost_position=True)
        else:
            log.warning("ignoring unexpected bytes from GRBL: %r", line[:40])

    def _on_ok(self) -> None:
        self._last_progress = time.monotonic()
        if not self._queue:
            self.unexpected_oks += 1
            log.warning("GRBL sent an 'ok' for no line (duplicated reply?)")
            return
        sent = self._queue.popleft()
        self._in_flight -= sent.size
        self._track_target(sent.text)

    def _track_target(self, text: str) -> None:
        """Keep where the last motion GRBL accepted ends (work mm); `ok` means it is planned."""
        if text in ("G90", "G91"):
            self._absolute = text == "G90"
            return
        move = _MOVE.match(text)
        if move is None:
            return
        x, y = float(move.group(1)), float(move.group(2))
        if self._absolute or self._planned_xy is None:
            self._planned_xy = (x, y) if self._absolute else None
        else:
            self._planned_xy = (self._planned_xy[0] + x, self._planned_xy[1] + y)

    def _on_error(self, line: str) -> None:
        code = _code(line)
        sent = self._queue.popleft() if self._queue else None
        if sent is not None:
            self._in_flight -= sent.size
        if code == 9:  # G-code locked: the controller is in alarm; we missed the ALARM line
            raise DeviceFault("GRBL is in alarm state (error:9, G-code locked)")
        command = sent.text if sent else "?"
        raise ControllerError(
            f"GRBL rejected `{command}` with error:{code} ({error_meaning(code)})",
            command=command,
            code=code,
        )

    def _on_marker(self, line: str) -> None:
        """`[GC:..]`: every line sent before this `$G` has been carried out."""
        self._last_progress = time.monotonic()
        if not self._markers:
            return
        marker = self._markers.popleft()
        while self._queue and self._queue[0].seq < marker.seq:
            lost = self._queue.popleft()
            self._in_flight -= lost.size
            self.lost_oks += 1
            log.warning("GRBL's reply to `%s` was lost; resynchronised", lost.text)
        if not self._queue or self._queue[0].seq != marker.seq:
            # A duplicated `ok` already retired this `$G`; its own `ok` is still to come.
            self._queue.appendleft(marker)
            self._in_flight += marker.size
        self._marker_done.add(marker.seq)
        if self._probe is marker:
            self._probe = None

    def _on_status(self, line: str) -> None:
        fields = parse_status(line)
        self._status_asked = None
        state = fields.get("state", "Unknown")
        work = self._work_position(fields)
        x = y = None
        if work is not None:
            ((x, y),) = self.paper_from_device(np.array([work]))
        self.status = DeviceStatus(state=state, x=x, y=y, pen_down=self.pen_is_down, detail=line)
        if state == "Alarm" and self._in_job:
            raise DeviceFault("GRBL is in alarm state")
        if self._restart_stalled_cycle(fields, work):
            return
        self._maybe_probe(fields)

    def _work_position(self, fields: dict[str, str]) -> tuple[float, float] | None:
        """The pen in work coordinates (mm) from `MPos` or `WPos`, whichever `$10` asks for.

        GRBL sends the work offset (`WCO:`) only now and then; the last one is kept.
        """
        try:
            if "WCO" in fields:
                wx, wy = (float(v) for v in fields["WCO"].split(",")[:2])
                self._wco = (wx, wy)
            if "MPos" in fields:
                mx, my = (float(v) for v in fields["MPos"].split(",")[:2])
                self.machine_xy = (mx, my)
                return (mx - self._wco[0], my - self._wco[1])
            if "WPos" in fields:
                px, py = (float(v) for v in fields["WPos"].split(",")[:2])
                self.machine_xy = (px + self._wco[0], py + self._wco[1])
                return (px, py)
        except ValueError:
            pass
        return None

    def _restart_stalled_cycle(
        self, fields: dict[str, str], work: tuple[float, float] | None
    ) -> bool:
        """Idle with motion still queued: the step generator ran dry and GRBL ended the cycle.

        GRBL restarts a cycle by itself only while it reads new lines; inside a sync (`M3`,
        `M5`, `G4`) it would wait for ever, so a cycle start (`~`) resumes the queued motion
        where it stopped. Seen as Bf's planner count or, without Bf, as a pen short of the
        last planned target. True when it sent one.
        """
        if fields.get("state") != "Idle" or not self._queue:
            return False
        buffers = fields.get("Bf")
        if buffers:
            try:
                queued = int(buffers.split(",")[0]) < self.planner_blocks
            except ValueError:
                return False
        elif work is not None and self._planned_xy is not None:
            queued = float(np.hypot(*np.subtract(work, self._planned_xy))) > 0.01
        else:
            return False
        if not queued:
            return False
        self.cycle_restarts += 1
        log.warning("GRBL went idle with motion still queued (planner ran dry); cycle start")
        self._link().write(CYCLE_START)
        self._last_progress = time.monotonic()
        return True

    def _maybe_probe(self, fields: dict[str, str]) -> None:
        """Idle with empty buffers while we still wait for replies: they were lost.

        Send a `$G` probe (3 bytes into a buffer the controller says is empty); its
        `[GC:]` retires every line before it.
        """
        if not self._queue or fields.get("state") != "Idle":
            return
        # A dwell also reads Idle; only trust a silence longer than any dwell we send.
        longest_dwell = max(self.settings.pen_up_delay_s, self.settings.pen_down_delay_s)
        quiet = time.monotonic() - self._last_progress
        if quiet > self.settings.reply_timeout_s + self.settings.status_interval_s + longest_dwell:
            raise DeviceFault(
                f"GRBL is idle but {len(self._queue)} lines sent to it were never answered"
            )
        if self._probe is not None or quiet < self.settings.status_interval_s + longest_dwell:
            return
        buffers = fields.get("Bf")
        if buffers:
            try:
                blocks, rx = (int(v) for v in buffers.split(","))
            except ValueError:
                return
            if blocks < self.planner_blocks or rx < self._rx_buffer - 1:
                return
        self._probe = self._send("$G")
        self._markers.append(self._probe)


def _code(line: str) -> int:
    try:
        return int(line.split(":", 1)[1].strip())
    except (IndexError, ValueError):
        return -1
