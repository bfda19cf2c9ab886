"""A simulated HPGL pen plotter: a byte buffer, ESC.B/ESC.E/ESC.O/ESC.K, XON/XOFF, OA/OE/OI."""

from __future__ import annotations

import math
from collections import deque

from dreamdraw.plotter.sim.base import Fault, PtySimulator

__all__ = ["HpglSimulator"]

XON, XOFF = b"\x11", b"\x13"
_OUTPUTS = ("OA", "OE", "OI", "OS")


class HpglSimulator(PtySimulator):
    """An HPGL plotter on a pty (40 units per mm, origin bottom-left).

    buffer_size: bytes of instructions it holds (overflow: I/O error 16, bytes lost).
    xonxoff: send XOFF when fewer than low_water bytes are free, XON above high_water.
    """

    protocol = "hpgl"
    units_per_mm = 40.0
    y_up = True

    def __init__(
        self,
        speedup: float = 1.0,
        faults: list[Fault] | None = None,
        seed: int = 0,
        buffer_size: int = 1024,
        xonxoff: bool = True,
        low_water: int = 128,
        high_water: int = 512,
        draw_mm_s: float = 100.0,
        travel_mm_s: float = 380.0,
        model: str = "7475A",
    ) -> None:
        self.buffer_size = buffer_size
        self.xonxoff = xonxoff
        self.low_water, self.high_water = low_water, high_water
        self.max_draw_mm_s = draw_mm_s
        self.draw_speed = draw_mm_s * self.units_per_mm
        self.travel_speed = travel_mm_s * self.units_per_mm
        self.model = model
        self.buffer = bytearray()
        self._escape = bytearray()  # a device-control sequence being read
        self.sent_xoff = False
        self.io_error = 0
        self.hpgl_error = 0
        self.pos = (0, 0)
        self.pen_down = False
        self.pen = 0
        self.relative = False
        self.moves: deque[tuple[int, int]] = deque()  # targets of the instruction running
        self.move_from = (0, 0)
        self.move_started = 0.0
        self.move_time = 0.0
        self._reply_faults: tuple[bool, bool] = (False, False)
        super().__init__(speedup, faults, seed)

    def _on_power_cycle(self) -> None:
        # The plotter has its own power: a cable drop loses nothing but bytes in transit.
        pass

    # -- input ---------------------------------------------------------------------------
    def _receive(self, data: bytes) -> None:
        for byte in data:
            if self._escape or byte == 0x1B:
                self._escape.append(byte)
                self._device_control()
            elif len(self.buffer) < self.buffer_size:
                self.buffer.append(byte)
            else:
                self.stats.overflowed += 1
                self.io_error = 16
        self.stats.max_unacked = max(self.stats.max_unacked, len(self.buffer))
        self._flow()

    def _device_control(self) -> None:
        seq = bytes(self._escape)
        if len(seq) < 3:
            if len(seq) == 2 and seq[1:2] != b".":
                self.io_error = 11
                self._escape.clear()
            return
        code = chr(seq[2])
        if code in "@HIMN" and not seq.endswith(b":"):
            return  # parameters run up to a colon
        self._escape.clear()
        if code == "B":
            self._send(f"{self.buffer_size - len(self.buffer)}\r")
        elif code == "E":
            self._send(f"{self.io_error}\r")
            self.io_error = 0
        elif code == "O":
            busy = self.buffer or self.moves
            self._send(f"{0 if busy else 8}\r")
        elif code == "K":
            self.buffer.clear()
            self.moves.clear()
        elif code in "@HIMN":
            pass
        else:
            self.io_error = 11

    def _flow(self) -> None:
        if not self.xonxoff:
            return
        free = self.buffer_size - len(self.buffer)
        if not self.sent_xoff and free < self.low_water:
            self._out += XOFF
            self.sent_xoff = True
        elif self.sent_xoff and free > self.high_water:
            self._out += XON
            self.sent_xoff = False

    # -- execution -----------------------------------------------------------------------
    def _next_event_in(self) -> float:
        if self.moves:
            return max(0.0, self.move_started + self.move_time - self.clock)
        return 0.002

    def _advance(self) -> None:
        while not self.frozen:
            if self.moves:
                if self.clock < self.move_started + self.move_time:
                    return
                self.pos = self.moves.popleft()
                self._drew_to(self.pos)
                self.move_started += self.move_time
                self._start_move()
                continue
            instruction = self._take_instruction()
            if instruction is None:
                return
            self._flow()
            self.stats.lines_in += 1
            if self._inject(self.stats.lines_in):
                continue
            self._execute(instruction)

    def _take_instruction(self) -> str | None:
        end = self.buffer.find(b";")
        if end < 0:
            return None
        text = bytes(self.buffer[:end]).decode("latin-1").strip().upper()
        del self.buffer[: end + 1]
        return text if text else self._take_instruction()

    def _inject(self, number: int) -> bool:
        lose = duplicate = consumed = False
        for fault in self._faults_for(number):
            if self._fire_link_fault(fault):
                if fault.kind == "vanish":
                    _drop_partial(self.buffer, b";")
            elif fault.kind == "error":
                self.hpgl_error = 1  # the instruction is not understood, so not carried out
                consumed = True
            elif fault.kind == "lose":
                lose = True
            elif fault.kind == "duplicate":
                duplicate = True
        self._reply_faults = (lose, duplicate)
        return consumed

    def _reply(self, text: str) -> None:
        lose, duplicate = self._reply_faults
        if not lose:
            self._send(text + "\r")
        if duplicate:
            self._send(text + "\r")

    def _execute(self, instruction: str) -> None:
        name, params = instruction[:2], instruction[2:]
        try:
            values = [float(v) for v in params.replace(" ", ",").split(",") if v]
        except ValueError:
            self.hpgl_error = 3
            return
        if name == "IN":
            self._pen(False)
            self.relative = False
            self.hpgl_error = 0
        elif name == "SP":
            self._pen(False)
            self.pen = int(values[0]) if values else 0
        elif name in ("PU", "PD"):
            if len(values) % 2:
                self.hpgl_error = 2
                return
            self._pen(name == "PD")
            here = self.pos
            for k in range(0, len(values), 2):
                target = (round(values[k]), round(values[k + 1]))
                if self.relative:
                    target = (here[0] + target[0], here[1] + target[1])
                self.moves.append(target)
                here = target
            self.move_started = self.clock
            self._start_move()
        elif name == "VS":
            if values:
                self.draw_speed = min(values[0] * 10.0, self.max_draw_mm_s) * self.units_per_mm
        elif name == "PA":
            self.relative = False
        elif name == "PR":
            self.relative = True
        elif name == "OA":
            self._reply(f"{self.pos[0]},{self.pos[1]},{int(self.pen_down)}")
        elif name == "OE":
            self._reply(f"{self.hpgl_error}")
            self.hpgl_error = 0
        elif name == "OI":
            self._reply(self.model)
        elif name == "OS":
            self._reply(f"{8 if not self.buffer else 0}")
        else:
            self.hpgl_error = 1

    def _pen_id(self) -> int:
        return self.pen

    def _pen(self, down: bool) -> None:
        if down != self.pen_down:
            self.pen_down = down
            self._pen_moved(down, self.pos)

    def _start_move(self) -> None:
        if not self.moves:
            return
        self.move_from = self.pos
        target = self.moves[0]
        speed = self.draw_speed if self.pen_down else self.travel_speed
        self.move_time = math.dist(self.move_from, target) / speed


def _drop_partial(buffer: bytearray, end: bytes) -> None:
    """A dropped link loses the command it was cutting through: keep whole ones only."""
    last = buffer.rfind(end)
    del buffer[last + 1 :]
