"""Our GRBL simulator agrees with the real firmware: one scripted session, the same replies
and the same sequence of states, so the fast fault tests and the soak stay honest."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import serial
from dreamdraw.plotter.sim.grbl import GrblSimulator

from tests.plotter.firmware import Firmware

_REPORT = re.compile(rb"<([A-Za-z]+)(:\d)?\|[MW]Pos:(-?[\d.]+),(-?[\d.]+)")


@dataclass(frozen=True)
class Step:
    """Bytes to send, then wait for `replies` reply lines (ok, error, ALARM, banner), a
    settled state and, for a move, the carriage at `at` (mm); `then` is sent `after`
    seconds into the step."""

    send: bytes
    replies: int = 1
    then: bytes = b""
    after: float = 0.0
    settle: tuple[str, ...] = ("Idle",)
    at: tuple[float, float] | None = None


# Banner, settings, build info, a stream with pen commands, a dwell and long moves, a feed
# hold and resume, a soft reset in mid-move (ALARM:3), G-code refused while locked, unlock,
# and two refused commands. `?` runs through all of it.
SESSION = [
    Step(b"\x18", replies=1),
    Step(b"$$\n"),
    Step(b"$I\n"),
    Step(b"G21\n"),
    Step(b"G90\n"),
    Step(b"G0X4Y3\n", at=(4, 3)),
    Step(b"M3S1000\n"),
    Step(b"G4P0.3\n"),
    Step(b"G1X6Y3F300\n", at=(6, 3)),
    Step(b"M5\n"),
    Step(b"G0X14Y3\n", then=b"!", after=0.6, settle=("Hold:0",)),
    Step(b"~", replies=0, at=(14, 3)),
    Step(b"G0X4Y3\n", then=b"\x18", after=0.5, replies=2, settle=("Alarm",)),
    Step(b"G0X1\n", settle=("Alarm",)),
    Step(b"$X\n"),
    Step(b"$Q\n"),
    Step(b"G5\n"),
]


def _is_reply(line: str) -> bool:
    return line in ("ok",) or line.startswith(("error:", "ALARM:", "Grbl "))


def run_session(port_path: str, timeout_s: float = 20.0) -> list[tuple[list[str], list[str]]]:
    """Each step's reply lines (status reports left out) and the states `?` saw, collapsed.

    The firmware on a busy machine sometimes ends a move early (its step generator ran
    dry) and reads Idle short of the target; a cycle start resumes it, as our driver does,
    and that Idle is not counted as a state.
    """
    out = []
    with serial.Serial(port_path, 115200, timeout=0.02) as port:
        time.sleep(0.3)
        port.reset_input_buffer()
        for step in SESSION:
            port.write(step.send)
            started = time.monotonic()
            time.sleep(0.1)  # the first `?` after the line is parsed, not racing it
            sent_then = not step.then
            buffer, lines, states = b"", [], []
            position: tuple[float, float] | None = None
            latest = ""  # the last state with its detail (Hold:0 is a finished hold)
            while True:
                now = time.monotonic() - started
                if not sent_then and now >= step.after:
                    port.write(step.then)
                    sent_then = True
                port.write(b"?")
                time.sleep(0.05)
                buffer += port.read(4096)
                *complete, buffer = re.split(rb"\r?\n", buffer)
                for raw in complete:
                    for state, detail, x, y in _REPORT.findall(raw):
                        position = (float(x), float(y))
                        latest = (state + detail).decode()
                        if states[-2:] == ["Run", "Idle"] and state == b"Run":
                            states.pop()  # the stall, resumed
                        elif not states or states[-1] != state.decode():
                            states.append(state.decode())
                    text = re.sub(rb"<[^>]*>", b"", raw).decode("latin-1").strip()
                    if text:
                        lines.append(text)
                arrived = step.at is None or (
                    position is not None
                    and max(abs(a - b) for a, b in zip(position, step.at, strict=True)) < 1e-3
                )
                if states and states[-1] == "Idle" and step.at is not None and not arrived:
                    port.write(b"~")
                done = sum(_is_reply(line) for line in lines) >= step.replies
                settled = latest in step.settle or (states and states[-1] in step.settle)
                if sent_then and done and arrived and settled:
                    break
                assert now < timeout_s, (step, lines, states)
            out.append((lines, states))
    return out


def test_our_simulator_answers_a_session_as_the_firmware_does(firmware: Firmware) -> None:
    firmware.open().close()  # its first boot (no EEPROM yet) prints error:7 and the defaults
    real = run_session(firmware.port)
    with GrblSimulator(max_rate_mm_min=500.0, bed_mm=(200.0, 200.0)) as simulator:
        ours = run_session(simulator.port)
    for step, (theirs, mine) in zip(SESSION, zip(real, ours, strict=True), strict=True):
        assert mine == theirs, step


# A pen named by its tool number: GRBL 1.1h takes T, moves nothing for it, shows it in $G
# and forgets it with the next block; a tool above 255 or below 0 is refused.
TOOL_LINES = ["T2", "$G", "G4P0", "$G", "T256", "T-1"]


def tool_replies(port_path: str) -> list[str]:
    """Each of TOOL_LINES' replies, after a soft reset."""
    with serial.Serial(port_path, 115200, timeout=0.02) as port:
        time.sleep(0.3)
        port.write(b"\x18")
        Firmware.read_until(port, b"Grbl 1.1h", 5.0)
        time.sleep(0.05)
        port.reset_input_buffer()
        return [Firmware.exchange(port, line) for line in TOOL_LINES]


def test_a_tool_word_is_taken_and_reported_by_our_simulator_as_by_the_firmware(
    firmware: Firmware,
) -> None:
    firmware.open().close()
    real = tool_replies(firmware.port)
    assert real[0] == "ok" and " T2 " in real[1] and " T0 " in real[3], real
    with GrblSimulator() as simulator:
        assert tool_replies(simulator.port) == real
