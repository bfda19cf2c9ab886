"""A simulated GRBL 1.1 controller: 128-byte receive buffer, 16-block planner, real replies."""

from __future__ import annotations

import math
import re
import time
from collections import deque
from dataclasses import dataclass
from typing import ClassVar

from dreamdraw.plotter.machine import GRBL_DEFAULTS
from dreamdraw.plotter.sim.base import Fault, PtySimulator

__all__ = ["GrblSimulator"]

BANNER = "\r\nGrbl 1.1h ['$' for help]\r\n"
UNLOCK_HINT = "[MSG:'$H'|'$X' to unlock]\r\n"
RX_BUFFER_SIZE = 128  # GRBL keeps one byte free: 127 usable
PLANNER_SIZE = 15  # 16 blocks, one kept free
LINE_MAX = 80
MAX_TOOL = 255  # a T word above this is error:38
_WORD = re.compile(r"([A-Z])([-+]?[0-9]*\.?[0-9]*)")
_SET = re.compile(r"^\$(\d+)=([-+]?[0-9]*\.?[0-9]+)$")
# Settings GRBL prints as integers (masks, flags, times in ms or s); the rest with 3 decimals.
_INTEGER_SETTINGS = {0, 1, 2, 3, 4, 5, 6, 10, 13, 20, 21, 22, 23, 26, 30, 31, 32}

Point = tuple[float, float, float]


@dataclass
class _Block:
    start: Point
    end: Point
    duration: float  # simulated seconds


@dataclass
class _Line:
    text: str
    size: int  # bytes it took in the receive buffer, newline included
    lose_reply: bool = False
    duplicate_reply: bool = False


class GrblSimulator(PtySimulator):
    """GRBL 1.1 on a pty.

    pen: "servo" (M3 with S > 0 lowers the pen; M5 or S0 lifts it) or "z" (Z below
    z_down_mm is down). homing: $22=1, a limit switch at the origin; a power cycle then
    forgets the position and locks in alarm until $H. max_rate_mm_min: G0 speed.
    error_code: what an injected "error" fault answers. baud: see PtySimulator.
    """

    protocol = "grbl"
    units_per_mm = 1.0
    y_up = True
    version: ClassVar[str] = "1.1h"

    def __init__(
        self,
        speedup: float = 1.0,
        faults: list[Fault] | None = None,
        seed: int = 0,
        pen: str = "servo",
        z_down_mm: float = 0.5,
        homing: bool = False,
        max_rate_mm_min: float = 9000.0,
        bed_mm: tuple[float, float] = (450.0, 450.0),
        error_code: int = 20,
        baud: int | None = None,
    ) -> None:
        self.pen = pen
        self.z_down_mm = z_down_mm
        self.homing = homing
        self.max_rate = max_rate_mm_min
        self.bed_mm = bed_mm
        self.error_code = error_code
        self.status_mask = 1  # $10: MPos, no buffer report (GRBL's default)
        self._written: dict[int, float] = {}
        self.rx = bytearray()
        self.pos: Point = (0.0, 0.0, 5.0 if pen == "z" else 0.0)  # the controller's belief
        self.offset = (0.0, 0.0)  # physical carriage minus the controller's belief
        self.alarm = homing  # GRBL with homing enabled starts locked
        self._booting_until: float | None = None  # a restart's boot time: input is lost
        # The pen in the holder, as the last T word named it (0: none yet). GRBL itself
        # keeps a block's T only until the next block (`tool`, what $G reports); the pen
        # stays in the holder through resets.
        self.loaded_pen = 0
        self._reset_controller()
        super().__init__(speedup, faults, seed, baud)

    # -- state ---------------------------------------------------------------------------
    def _reset_controller(self) -> None:
        self.rx.clear()
        self.planner: deque[_Block] = deque()
        self.block_started = 0.0
        self.pending: _Line | None = None  # parsed, waiting for the planner or a sync
        self.dwell_until: float | None = None
        self.homing_until: float | None = None
        self.hold = False
        self._resume = False
        self.spindle_on = False
        self.spindle_s = 0.0
        self.feed = 0.0
        self.motion_mode = 0
        self.absolute = True
        self.tool = 0
        self._advanced_to = getattr(self, "clock", 0.0)
        self._drained_with_pen_down = False

    @property
    def physical(self) -> tuple[float, float]:
        return (self.pos[0] + self.offset[0], self.pos[1] + self.offset[1])

    def _pen_is_down(self) -> bool:
        if self.pen == "z":
            return self.pos[2] < self.z_down_mm
        return self.spindle_on and self.spindle_s > 0

    def state(self) -> str:
        """GRBL's machine state as its status report names it."""
        if self.alarm:
            return "Alarm"
        if self.homing_until is not None:
            return "Home"
        if self.hold:
            return "Hold:0"
        return "Run" if self.planner else "Idle"

    def _moving(self) -> bool:
        return bool(self.planner) or self.homing_until is not None

    # -- input ---------------------------------------------------------------------------
    def _receive(self, data: bytes) -> None:
        if self._booting_until is not None:
            return  # the controller is restarting: what arrives now is lost
        for byte in data:
            if byte == 0x3F:  # ?
                self._report_status()
            elif byte == 0x21:  # !  (a hold in mid-job; an idle GRBL ignores it)
                busy = self.planner or self.dwell_until is not None or self.pending is not None
                self.hold = self.hold or bool(busy)
            elif byte == 0x7E:  # ~  (acts on GRBL's next realtime pass, after a `?` with it)
                self._resume = True
            elif byte == 0x18:
                self._soft_reset()
            elif len(self.rx) < RX_BUFFER_SIZE - 1:
                self.rx.append(byte)
            else:
                self.stats.overflowed += 1
        pending = self.pending.size if self.pending else 0
        self.stats.max_unacked = max(self.stats.max_unacked, len(self.rx) + pending)

    def _report_status(self) -> None:
        x, y, z = self._position_in_block(self.planner[0]) if self.planner else self.pos
        # $10: bit 0 machine (MPos) or work (WPos) position, bit 1 the buffer counts.
        kind = "MPos" if self.status_mask & 1 else "WPos"
        buffers = (
            f"|Bf:{PLANNER_SIZE - len(self.planner)},{RX_BUFFER_SIZE - len(self.rx)}"
            if self.status_mask & 2
            else ""
        )
        self._send(
            f"<{self.state()}|{kind}:{x:.3f},{y:.3f},{z:.3f}{buffers}"
            f"|FS:{self.feed if self.planner else 0:.0f},{self.spindle_s:.0f}>\r\n"
        )

    # -- resets and alarms ---------------------------------------------------------------
    def _soft_reset(self, boot_s: float = 0.0) -> None:
        """A reset (0x18, or the controller restarting, which takes `boot_s` real seconds)."""
        if self._moving():
            self._stop_motion_here()
            self._send("ALARM:3\r\n")
            self.alarm = True
        self._reset_controller()
        self._pen_changed()
        if boot_s > 0:
            self._booting_until = time.monotonic() + boot_s
        else:
            self._send(BANNER + (UNLOCK_HINT if self.alarm else ""))

    def _on_power_cycle(self) -> None:
        # A hardware reset: the controller forgets where it is; the carriage stays put.
        self._stop_motion_here()
        self.offset = self.physical
        self.pos = (0.0, 0.0, self.pos[2])
        self._reset_controller()
        self._pen_changed()
        self.alarm = self.homing
        self._send(BANNER + (UNLOCK_HINT if self.alarm else ""))

    def _raise_alarm(self, code: int) -> None:
        """Halt with ALARM:code; like GRBL, the spindle (servo pen) switches off."""
        self._stop_motion_here()
        self.alarm = True
        self.rx.clear()
        self.pending = None
        self.dwell_until = None
        self.spindle_on = False
        self._pen_changed()
        self._send(f"ALARM:{code}\r\n[MSG:Reset to continue]\r\n")

    def _stop_motion_here(self) -> None:
        """Halt now: the block in progress ends where the carriage is."""
        if self.planner:
            self._move_to(self._position_in_block(self.planner[0]))
        self.planner.clear()
        self.homing_until = None
        self.hold = False

    # -- motion --------------------------------------------------------------------------
    def _position_in_block(self, block: _Block) -> Point:
        elapsed = self.clock - self.block_started
        t = 1.0 if block.duration <= 0 else min(1.0, max(0.0, elapsed / block.duration))
        return tuple(a + (b - a) * t for a, b in zip(block.start, block.end, strict=True))  # type: ignore[return-value]

    def _move_to(self, target: Point) -> None:
        """The carriage reaches `target`; ink is recorded while the pen is down."""
        self.pos = target
        if self.pen == "z":
            self._pen_changed()
        self._drew_to(self.physical)

    def _pen_id(self) -> int:
        return self.loaded_pen

    def _pen_changed(self) -> None:
        down = self._pen_is_down()
        if down != self._drawing:
            self._pen_moved(down, self.physical)
            self._drained_with_pen_down = False

    def _next_event_in(self) -> float:
        if self.planner and not self.hold:
            return max(0.0, self.block_started + self.planner[0].duration - self.clock)
        return 0.002

    def _advance(self) -> None:
        if self._booting_until is not None:
            if time.monotonic() < self._booting_until:
                return
            self._booting_until = None
            self._send(BANNER + (UNLOCK_HINT if self.alarm else ""))
        elapsed, self._advanced_to = self.clock - self._advanced_to, self.clock
        if self._resume:
            self.hold = self._resume = False
        if self.hold:
            self.block_started += elapsed  # a held block makes no progress
        while self.planner and self.clock >= self.block_started + self.planner[0].duration:
            block = self.planner.popleft()
            self.block_started += block.duration
            self._move_to(block.end)
            if not self.planner:
                self.block_started = self.clock
                self._drained_with_pen_down = self._pen_is_down()
        if self.homing_until is not None and self.clock >= self.homing_until:
            self.homing_until = None
            self.offset = (0.0, 0.0)
            self.pos = (0.0, 0.0, self.pos[2])
            self.alarm = False
            self._finish_pending()
        if self.dwell_until is not None and self.clock >= self.dwell_until:
            self.dwell_until = None
            self._finish_pending()
        self._process_lines()

    # -- line processing -----------------------------------------------------------------
    def _process_lines(self) -> None:
        while self.dwell_until is None and self.homing_until is None and not self.frozen:
            if self.pending is None:
                self.pending = self._take_line()
                if self.pending is None:
                    return
                if self.pending.text.strip() and self._inject(self.pending):
                    self.pending = None
                    continue
            if not self._execute(self.pending):
                return
            if self.dwell_until is None and self.homing_until is None:
                self.pending = None

    def _take_line(self) -> _Line | None:
        for i, byte in enumerate(self.rx):
            if byte in (10, 13):
                text = bytes(self.rx[:i]).decode("latin-1")
                del self.rx[: i + 1]
                return _Line(text, i + 1)
        return None

    def _inject(self, line: _Line) -> bool:
        """Fire the faults due at this line; True if one of them consumed the line."""
        self.stats.lines_in += 1
        consumed = False
        for fault in self._faults_for(self.stats.lines_in):
            if self._fire_link_fault(fault):
                if fault.kind == "vanish":  # the board loses power with the port
                    self._stop_motion_here()
                    self.rx.clear()
                    return True
            elif fault.kind == "error":
                self._send(f"error:{self.error_code}\r\n")
                consumed = True
            elif fault.kind == "alarm":
                self._raise_alarm(1)
                consumed = True
            elif fault.kind == "reset":
                self._soft_reset(boot_s=0.05)
                self.pending = None
                return True
            elif fault.kind == "lose":
                line.lose_reply = True
            elif fault.kind == "duplicate":
                line.duplicate_reply = True
        return consumed

    def _reply(self, line: _Line, text: str = "ok") -> None:
        if text != "ok" or not line.lose_reply:
            self._send(f"{text}\r\n")
        if text == "ok" and line.duplicate_reply:
            self._send("ok\r\n")

    def _finish_pending(self) -> None:
        if self.pending is not None:
            self._reply(self.pending)
            self.pending = None

    def _execute(self, line: _Line) -> bool:
        """Carry out one line; False when it must wait (planner full, or a sync)."""
        text = line.text.strip().upper().replace(" ", "")
        if line.size - 1 > LINE_MAX:
            self._reply(line, "error:11")
        elif not text:
            self._reply(line)
        elif text.startswith("$"):
            return self._system_command(text, line)
        elif self.alarm:
            self._reply(line, "error:9")
        else:
            try:
                words = _parse(text)
            except ValueError as exc:
                self._reply(line, f"error:{exc.args[0]}")
                return True
            return self._gcode(words, line)
        return True

    def _gcode(self, words: list[tuple[str, float]], line: _Line) -> bool:
        codes = {letter: value for letter, value in words if letter not in "GM"}
        g = [value for letter, value in words if letter == "G"]
        m = [value for letter, value in words if letter == "M"]
        if any(v not in (0, 1, 4, 17, 21, 54, 90, 91, 94) for v in g) or any(
            v not in (2, 3, 5, 30) for v in m
        ):
            self._reply(line, "error:20")
            return True
        if any(letter not in "XYZFSPNT" for letter in codes):
            self._reply(line, "error:20")
            return True
        if any(value < 0 for letter, value in codes.items() if letter in "FNPTS"):
            self._reply(line, "error:4")
            return True
        if codes.get("T", 0) > MAX_TOOL:
            self._reply(line, "error:38")
            return True
        syncs = 4 in g or bool(m) or "S" in codes
        if syncs and self.planner:
            return False  # GRBL empties the planner before a dwell or a spindle change
        axes = {a: codes[a] for a in "XYZ" if a in codes}
        if axes and len(self.planner) >= PLANNER_SIZE:
            return False
        if "F" in codes:
            self.feed = codes["F"]
        # GRBL 1.1h sets its tool from every block, 0 when the block names none.
        self.tool = int(codes.get("T", 0))
        if "T" in codes:
            self.loaded_pen = self.tool
        for value in g:
            if value in (0, 1):
                self.motion_mode = int(value)
            elif value in (90, 91):
                self.absolute = value == 90
        if m or "S" in codes:
            if 3 in m:
                self.spindle_on = True
            if 5 in m:
                self.spindle_on = False
            self.spindle_s = codes.get("S", self.spindle_s)
            self._pen_changed()
        if 4 in g:
            if "P" not in codes:
                self._reply(line, "error:28")
                return True
            self.dwell_until = self.clock + codes["P"]
            return True  # the ok comes when the dwell ends
        if axes:
            start = self.planner[-1].end if self.planner else self.pos
            target = tuple(
                (axes[a] if self.absolute else start[i] + axes[a]) if a in axes else start[i]
                for i, a in enumerate("XYZ")
            )
            if self.motion_mode == 1 and self.feed <= 0:
                self._reply(line, "error:22")
                return True
            x, y = target[0] + self.offset[0], target[1] + self.offset[1]
            if not (-1e-6 <= x <= self.bed_mm[0] + 1e-6 and -1e-6 <= y <= self.bed_mm[1] + 1e-6):
                self._raise_alarm(2)
                return True
            rate = self.feed if self.motion_mode == 1 else self.max_rate
            self._queue_move(start, target, rate)  # type: ignore[arg-type]
        self._reply(line)
        return True

    def _queue_move(self, start: Point, target: Point, feed_mm_min: float) -> None:
        distance = math.dist(start, target)
        if distance <= 0:
            return
        if not self.planner:
            self.block_started = self.clock
            if self._drained_with_pen_down and self._pen_is_down():
                self.stats.starved += 1
            self._drained_with_pen_down = False
        self.planner.append(_Block(start, target, distance / (feed_mm_min / 60.0)))

    def _system_command(self, text: str, line: _Line) -> bool:
        if text == "$G":
            self._send(
                f"[GC:G{self.motion_mode} G54 G17 G21 {'G90' if self.absolute else 'G91'} G94 "
                f"{'M3' if self.spindle_on else 'M5'} M9 T{self.tool} F{self.feed:g} S{self.spindle_s:g}]\r\n"
            )
            self._reply(line)
        elif text == "$X":
            if self.alarm:
                self.alarm = False
                self._send("[MSG:Caution: Unlocked]\r\n")
            self._reply(line)
        elif text == "$H":
            if not self.homing:
                self._reply(line, "error:5")
                return True
            if self.planner:
                return False
            travel = math.hypot(*self.physical)
            self.homing_until = self.clock + travel / (self.max_rate / 60.0) + 0.05
        elif text == "$$":
            if self._moving():
                self._reply(line, "error:8")
                return True
            for number, value in sorted(self.settings().items()):
                self._send(f"${number}={_setting_text(number, value)}\r\n")
            self._reply(line)
        elif text == "$I":
            self._send(
                f"[VER:{self.version}.20190830:]\r\n[OPT:V,{PLANNER_SIZE},{RX_BUFFER_SIZE}]\r\n"
            )
            self._reply(line)
        elif match := _SET.match(text):
            self._set(int(match.group(1)), float(match.group(2)))
            self._reply(line)
        else:
            # GRBL reads anything else as `$N=V`: no number is error:2, no `=` error:3.
            self._reply(line, "error:3" if text[1:2].isdigit() else "error:2")
        return True

    def settings(self) -> dict[int, float]:
        """`$$` as this simulator reports it: GRBL's defaults and what it models itself."""
        return {
            **GRBL_DEFAULTS,
            **self._written,
            10: self.status_mask,
            22: float(self.homing),
            110: self.max_rate,
            111: self.max_rate,
            130: self.bed_mm[0],
            131: self.bed_mm[1],
        }

    def _set(self, number: int, value: float) -> None:
        """`$N=V`: the settings the simulator models change its behaviour."""
        self._written[number] = value
        if number == 10:
            self.status_mask = int(value)
        elif number == 22:
            self.homing = bool(value)
        elif number in (110, 111):
            self.max_rate = value
        elif number in (130, 131):
            bed = list(self.bed_mm)
            bed[number - 130] = value
            self.bed_mm = (bed[0], bed[1])


def _setting_text(number: int, value: float) -> str:
    return f"{value:.0f}" if number in _INTEGER_SETTINGS else f"{value:.3f}"


def _parse(text: str) -> list[tuple[str, float]]:
    """G-code words; ValueError(GRBL error code) on a malformed line."""
    words = []
    pos = 0
    while pos < len(text):
        match = _WORD.match(text, pos)
        if not match:
            raise ValueError(1)
        letter, number = match.groups()
        if number in ("", ".", "+", "-"):
            raise ValueError(2)
        words.append((letter, float(number)))
        pos = match.end()
    return words
