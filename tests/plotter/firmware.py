"""The real GRBL 1.1h firmware (../shared/grbl-sim) built once and served on a pty per test.

The kit is a test fixture like the PostgreSQL server: `$GRBL_SIM` names a built
`grbl_sim.exe`, `$GRBL_SIM_KIT` a kit folder; otherwise the kit is looked up next to the
repository (`../shared/grbl-sim`). Without the kit, gcc/make or socat FirmwareKit.build
raises FirmwareMissing saying what is missing (the tests skip on it, or fail under
`CI=true`). Also used by `bench.plotter`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import serial

__all__ = ["Firmware", "FirmwareKit", "FirmwareMissing", "find_kit"]

REPO_ROOT = Path(__file__).resolve().parents[2]
BANNER = b"Grbl 1.1h"
STEP_SAMPLE_S = 0.001  # the firmware writes the carriage's position this often while moving
SERVO_RESPONSE_S = 0.02  # a hobby servo needs far longer than this to lift a pen
_PRIORITY = ["nice", "-n", "-10"] if os.geteuid() == 0 else []


def find_kit() -> Path:
    """The grbl-sim kit folder: $GRBL_SIM_KIT, else ../shared/grbl-sim beside the repository."""
    named = os.environ.get("GRBL_SIM_KIT")
    return Path(named) if named else REPO_ROOT.parent / "shared" / "grbl-sim"


class FirmwareMissing(RuntimeError):
    """The firmware cannot be built or served here; the message says what is missing."""


@dataclass(frozen=True)
class FirmwareKit:
    """A built firmware program and the socat that serves it."""

    exe: Path
    socat: str

    @classmethod
    def build(cls, out_dir: Path) -> FirmwareKit:
        """Find socat, then take $GRBL_SIM or build the kit into `out_dir` (~3 s)."""
        socat = shutil.which("socat")
        if socat is None:
            raise FirmwareMissing("socat is not installed (tests/system-packages.sh installs it)")
        named = os.environ.get("GRBL_SIM")
        if named:
            if not os.access(named, os.X_OK):
                raise FirmwareMissing(f"$GRBL_SIM={named} is not an executable grbl_sim.exe")
            return cls(Path(named), socat)
        kit = find_kit()
        if not (kit / "build.sh").is_file():
            raise FirmwareMissing(f"no GRBL firmware kit at {kit} (set $GRBL_SIM_KIT or $GRBL_SIM)")
        for tool in ("gcc", "make"):
            if shutil.which(tool) is None:
                raise FirmwareMissing(f"{tool} is not installed; it builds the firmware in {kit}")
        built = subprocess.run(
            [str(kit / "build.sh"), str(out_dir)], capture_output=True, text=True, timeout=300
        )
        if built.returncode != 0:
            raise RuntimeError(f"building the GRBL firmware failed:\n{built.stderr}")
        return cls(Path(built.stdout.strip().splitlines()[-1]), socat)


@dataclass
class Firmware:
    """One firmware behind a pty at `port`, keeping EEPROM.DAT and blocks.out in `folder`."""

    kit: FirmwareKit
    folder: Path
    port: str = field(init=False)
    process: subprocess.Popen | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = str(self.folder / "grbl.tty")

    # -- lifecycle -----------------------------------------------------------------------
    def start(self, timeout: float = 5.0) -> Firmware:
        """Serve the firmware (socat + grbl_sim.exe, as serve.sh does) and wait for the pty."""
        command = (
            f"{self.kit.exe} -n -b {self.folder / 'blocks.out'} "
            f"-s {self.folder / 'steps.out'} -r {STEP_SAMPLE_S}"
        )
        # The firmware's main loop must keep ahead of its simulated stepper interrupts, as it
        # does on a board with its own CPU; on a busy machine it falls behind, the stepper
        # runs dry mid-move and the firmware stalls. A higher priority (where allowed) keeps it
        # in time.
        self.process = subprocess.Popen(
            [
                *_PRIORITY,
                self.kit.socat,
                f"PTY,raw,echo=0,link={self.port}",
                f"EXEC:'{command}',pty,raw,echo=0",
            ],
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"socat did not serve the firmware: {self.process.stderr}")
            time.sleep(0.02)
        return self

    def kill(self) -> None:
        """End the port at once, as when the USB cable is pulled (socat goes; the firmware
        sees its line close, finishes its record and ends)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        self.process.wait(timeout=5)
        deadline = time.monotonic() + 8.0  # it ends within ~2 s once idle; then killed
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.02)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.port)

    # -- talking to it directly ----------------------------------------------------------
    def configure(self, settings: dict[int, float], timeout: float = 5.0) -> None:
        """Write `$N=V` settings (kept in EEPROM.DAT), one line at a time, each answered `ok`."""
        with self.open() as port:
            for number, value in settings.items():
                reply = self.exchange(port, f"${number}={value:g}", timeout)
                if not reply.endswith("ok"):
                    raise RuntimeError(f"${number}={value:g} was answered {reply!r}")

    def open(self) -> serial.Serial:
        """A raw port to the firmware, after a soft reset has printed the banner."""
        port = serial.Serial(self.port, 115200, timeout=0.02)
        port.write(b"\x18")
        self.read_until(port, BANNER, 5.0)
        time.sleep(0.05)
        port.reset_input_buffer()
        return port

    @staticmethod
    def read_until(port: serial.Serial, marker: bytes, timeout: float) -> bytes:
        """Bytes read until `marker` arrives; RuntimeError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        data = b""
        while marker not in data:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no {marker!r} from the firmware; got {data[-200:]!r}")
            data += port.read(256)
        return data

    @classmethod
    def exchange(cls, port: serial.Serial, line: str, timeout: float = 5.0) -> str:
        """Send one line; the replies up to its `ok` or `error:N`, joined with newlines."""
        port.write(line.encode("ascii") + b"\n")
        data = b""
        deadline = time.monotonic() + timeout
        while not (data.endswith(b"ok\r\n") or b"error:" in data and data.endswith(b"\r\n")):
            if time.monotonic() > deadline:
                raise RuntimeError(f"no reply to {line!r}; got {data[-200:]!r}")
            data += port.read(256)
        return "\n".join(part for part in data.decode("latin-1").splitlines() if part)

    # -- its record ----------------------------------------------------------------------
    def block_moves(self, steps_per_mm: float = 250.0) -> np.ndarray:
        """The moves of the blocks recorded in blocks.out, (n, 2) machine mm.

        The harness notes the newest planned block once per byte time, so blocks planned in
        one burst (the lines waiting behind a dwell) go unrecorded; each recorded move is
        still one block's own.
        """
        path = self.folder / "blocks.out"
        if not path.exists():
            return np.zeros((0, 2))
        rows = [
            [float(v) for v in line.split(",")[:2]]
            for line in path.read_text().splitlines()
            if line.strip()
        ]
        ends = np.vstack([np.zeros((1, 2)), np.array(rows).reshape(-1, 2)])
        return np.diff(ends, axis=0) / steps_per_mm

    def samples(self, steps_per_mm: float = 250.0) -> np.ndarray:
        """The firmware's own record of its motion: (n, 4) time s, x mm, y mm, pen down (0/1).

        One row every STEP_SAMPLE_S of machine time while a block runs, and at every block
        change; the pen is the spindle PWM the servo follows (M3 S>0: down).
        """
        path = self.folder / "steps.out"
        rows = [
            [float(v) for v in line.replace(",", " ").split()]
            for line in path.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
        data = np.array(rows, dtype=float).reshape(-1, 5)
        return np.column_stack(
            [data[:, 0], data[:, 1:3] / steps_per_mm, (data[:, 4] > 0).astype(float)]
        )

    def standstills(self, standing_s: float = 0.02) -> tuple[float, int]:
        """Where the carriage stood still with a move under way: (seconds, times pen down).

        The record has a row every STEP_SAMPLE_S while a block runs. A standstill of
        >= standing_s between two moving rows is the simulated step generator run dry (a
        board short of CPU on a busy machine); no move GRBL plans stands that long.
        """
        samples = self.samples()
        t, xy, down = samples[:, 0], samples[:, 1:3], samples[:, 3] > 0
        moved = np.flatnonzero(np.any(np.diff(xy, axis=0) != 0, axis=1))
        total, pen_down = 0.0, 0
        for before, after in zip(moved[:-1], moved[1:], strict=True):
            spell = t[after] - t[before + 1]
            gaps = np.diff(t[before + 1 : after + 1])
            inside_block = not len(gaps) or gaps.max() < 2 * STEP_SAMPLE_S
            if spell >= standing_s and inside_block:
                total += float(spell)
                pen_down += bool(down[before + 1 : after + 1].all())
        return total, pen_down

    def moving_s(self) -> float:
        """Seconds of the firmware's clock with a move under way, standstills left out."""
        t = self.samples()[:, 0]
        steps = np.diff(t)
        return float(steps[steps < 2 * STEP_SAMPLE_S].sum()) - self.standstills()[0]

    def pen_paths(self, steps_per_mm: float = 250.0) -> list[np.ndarray]:
        """Every pen-down path the firmware drew, (n, 2) machine mm, in drawing order.

        GRBL lifts the pen (`M5`) only once the planner is empty, so the first sample with
        the pen up is where the pen left the paper; it closes its path. The PWM flickers
        for a few ms when the simulated stepper restarts after running dry (on a busy
        machine); a servo cannot follow that, so shorter spells keep the pen as it was.
        """
        samples = self.samples(steps_per_mm)
        down = _debounced(samples, SERVO_RESPONSE_S)
        # The PWM also drops while the stepper stands after running dry: a pen-up spell in
        # which the carriage stays within two steps leaves the same line on the paper.
        edges = np.flatnonzero(np.diff(down.astype(int)))
        for lift, lower in zip(edges[:-1], edges[1:], strict=True):
            gap = samples[lift : lower + 2]
            moved = float(np.abs(gap[:, 1:3] - gap[0, 1:3]).max()) * steps_per_mm
            if down[lift] and moved <= 2.5:
                down[lift + 1 : lower + 1] = True
        paths: list[np.ndarray] = []
        start: int | None = None
        for i, is_down in enumerate(down):
            if is_down and start is None:
                start = i
            elif not is_down and start is not None:
                paths.append(samples[start : i + 1, 1:3])
                start = None
        if start is not None:
            paths.append(samples[start:, 1:3])
        return paths


def _debounced(samples: np.ndarray, shortest_s: float) -> np.ndarray:
    """Pen down per sample, spells shorter than `shortest_s` (machine time) taking the state
    of the spell before them."""
    down = samples[:, 3] > 0
    starts = np.concatenate(([0], np.flatnonzero(np.diff(down.astype(int))) + 1))
    ends = np.concatenate((starts[1:], [len(down)]))
    state = bool(down[0])
    out = down.copy()
    for begin, end in zip(starts, ends, strict=True):
        until = samples[end, 0] if end < len(down) else np.inf
        if begin == 0 or until - samples[begin, 0] >= shortest_s:
            state = bool(down[begin])
        out[begin:end] = state
    return out
