"""A simulated EiBotBoard (AxiDraw): `\\r`-terminated commands, a small motion FIFO, OK replies."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from dreamdraw.plotter.sim.base import Fault, PtySimulator

__all__ = ["EbbSimulator"]

VERSION = "EBBv13_and_above EB Firmware Version 2.8.1"
MAX_STEP_RATE = 25000.0


@dataclass
class _Motion:
    kind: str  # "move" or "pen"
    duration: float  # simulated seconds
    delta: tuple[int, int] = (0, 0)  # axis steps (A, B), for moves
    pen_down: bool = False  # for pen commands
    queued_at: float = 0.0


class EbbSimulator(PtySimulator):
    """An EiBotBoard on a pty.

    geometry: "corexy" (AxiDraw: XM,t,A,B moves motor1 by A+B and motor2 by A-B) or
    "direct" (SM,t,s1,s2). The trace is in axis steps (A, B); steps_per_mm converts them.
    fifo_depth: motion commands queued behind the one executing (1 on firmware 2.x).
    """

    protocol = "axidraw"
    y_up = False

    def __init__(
        self,
        speedup: float = 1.0,
        faults: list[Fault] | None = None,
        seed: int = 0,
        steps_per_mm: float = 80.0,
        geometry: str = "corexy",
        fifo_depth: int = 1,
    ) -> None:
        self.units_per_mm = steps_per_mm  # type: ignore[misc]
        self.geometry = geometry
        self.fifo_depth = fifo_depth
        self.rx = bytearray()
        self.axes = (0, 0)  # where the carriage is, in axis steps
        self.origin = (0, 0)  # what the step counters count from (CS moves it here)
        self._free_at = 0.0  # when the last motion ended
        self.fifo: deque[_Motion] = deque()
        self.current: _Motion | None = None
        self.current_started = 0.0
        self.current_from = (0, 0)
        self.pen_down = False
        self.motors_enabled = False
        self.servo = {4: 16000, 5: 12000}
        self._blocked: tuple[str, bool, bool] | None = None  # a command waiting for FIFO room
        super().__init__(speedup, faults, seed)

    def _on_power_cycle(self) -> None:
        # A USB drop without a power loss: the board keeps its queue and its counters.
        pass

    # -- input ---------------------------------------------------------------------------
    def _receive(self, data: bytes) -> None:
        self.rx += data

    def _next_event_in(self) -> float:
        if self.current is not None:
            return max(0.0, self.current_started + self.current.duration - self.clock)
        return 0.002

    def _advance(self) -> None:
        self._run_motion()
        while not self.frozen:
            if self._blocked is not None:
                if not self._queue_room():
                    return
                command, lose, duplicate = self._blocked
                self._blocked = None
                self._execute(command, lose, duplicate)
                if self._blocked is not None:
                    return
                continue
            command = self._take_command()
            if command is None:
                return
            self.stats.lines_in += 1
            lose = duplicate = False
            consumed = False
            for fault in self._faults_for(self.stats.lines_in):
                if self._fire_link_fault(fault):
                    if fault.kind == "vanish":
                        _drop_partial(self.rx)
                elif fault.kind == "error":
                    self._send("!8 Err: Unknown command 'XX:XX'\r\n")
                    consumed = True
                elif fault.kind == "lose":
                    lose = True
                elif fault.kind == "duplicate":
                    duplicate = True
            if consumed:
                continue
            self._execute(command, lose, duplicate)

    def _take_command(self) -> str | None:
        for i, byte in enumerate(self.rx):
            if byte in (10, 13):
                text = bytes(self.rx[:i]).decode("latin-1").strip()
                del self.rx[: i + 1]
                if text:
                    return text
                return self._take_command()
        return None

    def _queue_room(self) -> bool:
        return len(self.fifo) < self.fifo_depth or self.current is None

    # -- motion --------------------------------------------------------------------------
    def _run_motion(self) -> None:
        while True:
            if self.current is None:
                if not self.fifo:
                    return
                self._begin(self.fifo.popleft())
            if self.clock < self.current_started + self.current.duration:
                return
            self._finish_current()

    def _begin(self, motion: _Motion) -> None:
        self.current = motion
        self.current_started = max(self._free_at, motion.queued_at)
        self.current_from = self.axes
        if motion.kind == "pen":
            self.pen_down = motion.pen_down
            self._pen_moved(self.pen_down, self.axes)

    def _finish_current(self) -> None:
        motion = self.current
        assert motion is not None
        if motion.kind == "move":
            self.axes = (
                self.current_from[0] + motion.delta[0],
                self.current_from[1] + motion.delta[1],
            )
            self._drew_to(self.axes)
        self._free_at = self.current_started + motion.duration
        self.current = None

    def _stop_now(self) -> tuple[int, int]:
        """ES: halt the executing move where it is, drop the FIFO; steps left undone."""
        left = (0, 0)
        motion = self.current
        if motion is not None and motion.kind == "move":
            t = min(1.0, max(0.0, (self.clock - self.current_started) / motion.duration))
            done = (round(motion.delta[0] * t), round(motion.delta[1] * t))
            self.axes = (self.current_from[0] + done[0], self.current_from[1] + done[1])
            self._drew_to(self.axes)
            left = (motion.delta[0] - done[0], motion.delta[1] - done[1])
        self.current = None
        self._free_at = self.clock
        self.fifo.clear()
        return left

    # -- commands ------------------------------------------------------------------------
    def _ok(self, lose: bool, duplicate: bool) -> None:
        if not lose:
            self._send("OK\r\n")
        if duplicate:
            self._send("OK\r\n")

    def _error(self, message: str) -> None:
        self._send(f"!8 Err: {message}\r\n")

    def _execute(self, command: str, lose: bool = False, duplicate: bool = False) -> None:
        parts = command.split(",")
        name = parts[0].upper()
        try:
            args = [int(p) for p in parts[1:]]
        except ValueError:
            self._error(f"bad parameter in '{command}'")
            return
        if name in ("SM", "XM", "SP", "HM") and not self._queue_room():
            self._blocked = (command, lose, duplicate)  # the EBB waits for FIFO room
            return
        if name == "V":
            self._send(VERSION + "\r\n")
        elif name == "QG":
            status = (
                (0x10 if self.pen_down else 0)
                | (0x08 if self.current is not None else 0)
                | (0x06 if self.current is not None and self.current.kind == "move" else 0)
                | (0x01 if self.fifo else 0)
            )
            self._send(f"{status:02X}\r\n")
        elif name == "QS":
            self._send(f"{self._motor_steps()[0]},{self._motor_steps()[1]}\r\n")
            self._ok(lose, duplicate)
        elif name == "QP":
            self._send(f"{0 if self.pen_down else 1}\r\n")
            self._ok(lose, duplicate)
        elif name == "CS":
            self._zero()
            self._ok(lose, duplicate)
        elif name == "EM":
            self.motors_enabled = bool(args) and args[0] != 0
            self._ok(lose, duplicate)
        elif name == "SC" and len(args) == 2:
            self.servo[args[0]] = args[1]
            self._ok(lose, duplicate)
        elif name == "SP" and args and args[0] in (0, 1):
            delay = (args[1] if len(args) > 1 else 0) / 1000.0
            self.fifo.append(_Motion("pen", delay, pen_down=args[0] == 0, queued_at=self.clock))
            self._ok(lose, duplicate)
        elif name in ("SM", "XM") and len(args) == 3:
            self._move(name, args, lose, duplicate)
        elif name == "HM" and args:
            if self.current is not None or self.fifo:
                self._blocked = (command, lose, duplicate)  # HM waits for the motors to stop
                return
            delta = (self.origin[0] - self.axes[0], self.origin[1] - self.axes[1])
            steps = max(abs(delta[0] + delta[1]), abs(delta[0] - delta[1]), 1)
            motion = _Motion("move", steps / max(args[0], 1), delta=delta, queued_at=self.clock)
            self.fifo.append(motion)
            self._ok(lose, duplicate)
        elif name == "ES":
            left = self._stop_now()
            self._send(f"1,0,0,{left[0]},{left[1]}\r\n")
            self._ok(lose, duplicate)
        elif name == "R":
            self._stop_now()
            self._ok(lose, duplicate)
        else:
            self._error(f"Unknown command '{command}'")

    def _move(self, name: str, args: list[int], lose: bool, duplicate: bool) -> None:
        duration_ms, s1, s2 = args
        if name == "XM":
            delta = (s1, s2)
            motors = (s1 + s2, s1 - s2)
        else:
            motors = (s1, s2)
            delta = (s1, s2) if self.geometry == "direct" else ((s1 + s2) // 2, (s1 - s2) // 2)
        if duration_ms < 1:
            self._error(f"duration must be at least 1 ms in '{name},{','.join(map(str, args))}'")
            return
        if max(abs(motors[0]), abs(motors[1])) / (duration_ms / 1000.0) > MAX_STEP_RATE:
            self._error(f"step rate above {MAX_STEP_RATE:g} steps/s")
            return
        if not self.motors_enabled:
            self.motors_enabled = True  # like the EBB, a move enables the motors
        self.fifo.append(_Motion("move", duration_ms / 1000.0, delta=delta, queued_at=self.clock))
        self._ok(lose, duplicate)

    def _motor_steps(self) -> tuple[int, int]:
        a, b = self.axes[0] - self.origin[0], self.axes[1] - self.origin[1]
        if self.geometry == "corexy":
            return (a + b, a - b)
        return (a, b)

    def _zero(self) -> None:
        # CS: the step counters restart here; the trace keeps the carriage's real place.
        self.origin = self.axes


def _drop_partial(rx: bytearray) -> None:
    """A dropped link loses the command it was cutting through: keep whole ones only."""
    last = max(rx.rfind(b"\r"), rx.rfind(b"\n"))
    del rx[last + 1 :]
