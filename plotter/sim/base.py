"""What every simulated plotter shares: a pty, a thread, a clock, faults, and the pen's trace."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import select
import shutil
import tempfile
import threading
import time
import tty
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:
    from dreamdraw.plotter.toolpath import PenInfo

__all__ = ["Fault", "PtySimulator", "SimStats", "FAULT_KINDS"]

log = logging.getLogger("dreamdraw.plotter.sim")

MARGIN_GREY = "#b4b4b4"  # around the sheet in pictures: ink beyond the paper shows on it
SHEET_OUTLINE = "#404040"

# error: reject the line; alarm: halt with an alarm; reset: the controller restarts;
# garbage: junk bytes on the line; lose / duplicate: the line's reply goes missing / comes
# twice; vanish: the port disappears for `seconds`; stall: the controller freezes for
# `seconds`.
FAULT_KINDS = ("error", "alarm", "reset", "garbage", "lose", "duplicate", "vanish", "stall")


@dataclass(frozen=True)
class Fault:
    """A fault fired when the simulator takes its `at_line`-th command line (from 1)."""

    kind: str
    at_line: int
    seconds: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; use one of {', '.join(FAULT_KINDS)}")


@dataclass
class SimStats:
    """What the simulator measured: bytes, buffer use, starvation, faults."""

    bytes_in: int = 0
    lines_in: int = 0
    first_byte_at: float | None = None
    last_byte_at: float | None = None
    max_unacked: int = 0  # most bytes received and not yet answered, at any moment
    overflowed: int = 0  # bytes dropped because the receive buffer was full
    starved: int = 0  # times motion stopped mid-stroke waiting for the host
    faults: list[Fault] = field(default_factory=list)

    @property
    def bytes_per_s(self) -> float:
        if self.first_byte_at is None or self.last_byte_at is None:
            return 0.0
        span = self.last_byte_at - self.first_byte_at
        return self.bytes_in / span if span > 0 else 0.0


class PtySimulator(ABC):
    """A plotter on a pseudo-terminal; point a driver at `port` (a stable symlink).

    speedup: simulated seconds per real second (moves, dwells, homing).
    faults: fired by command-line count; see FAULT_KINDS.
    baud: if given, bytes from the host arrive no faster than a serial line at this speed
    (10 bits a byte); a pty alone is much faster than any real link.
    """

    protocol: ClassVar[str]
    units_per_mm: ClassVar[float] = 1.0  # device units per mm, for pictures
    y_up: ClassVar[bool] = False  # device Y points up (G-code, HPGL) or down (AxiDraw)

    def __init__(
        self,
        speedup: float = 1.0,
        faults: list[Fault] | None = None,
        seed: int = 0,
        baud: int | None = None,
    ):
        self.speedup = speedup
        self.baud = baud
        self._byte_credit = 0.0
        self._credit_at = time.monotonic()
        self.faults = sorted(faults or [], key=lambda f: f.at_line)
        self.stats = SimStats()
        self.rng = random.Random(seed)
        self._dir = Path(tempfile.mkdtemp(prefix=f"dreamdraw-{self.protocol}-sim-"))
        self.port = str(self._dir / "port")
        self.pty_path = ""
        self._master = self._slave = -1
        self._out = bytearray()
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._running = False
        self._frozen_until = 0.0  # real time a stall ends
        self._reconnect_at: float | None = None  # real time a vanished port comes back
        self._last_real = time.monotonic()
        self.clock = 0.0  # simulated seconds
        self._paths: list[list[tuple[float, float]]] = []
        self._path_pens: list[int] = []
        self._drawing = False
        self._open_pty()

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> PtySimulator:
        self._running = True
        self._last_real = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"{self.protocol}-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._close_pty()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> PtySimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the pen's trace -----------------------------------------------------------------
    @property
    def pen_is_down(self) -> bool:
        """Whether the pen is on the paper now."""
        return self._drawing

    def drawn_paths(self) -> list[np.ndarray]:
        """Every pen-down path so far, (n, 2) in device units, in the order drawn."""
        with self._lock:
            return [np.array(p, dtype=float).reshape(-1, 2) for p in self._paths]

    def drawn_pens(self) -> list[int]:
        """The pen each of drawn_paths() was drawn with, as the protocol named it (GRBL: the
        tool number T, 0 when none was given; HPGL: SP; AxiDraw names none: 1)."""
        with self._lock:
            return list(self._path_pens)

    def render_png(
        self,
        path: str | Path,
        size_mm: tuple[float, float],
        px_per_mm: float = 4.0,
        pens: Iterable[PenInfo] = (),
        margin_mm: float = 10.0,
    ) -> None:
        """Draw the pen-down paths as they lie on a sheet of `size_mm` (device orientation).

        Each path in its pen's colour and nib width (mm) from `pens`; a pen not among them
        black at 0.4 mm. The sheet is white with a dark outline on a grey margin of
        `margin_mm`, so ink beyond the paper shows.
        """
        from PIL import Image, ImageDraw

        w, h = size_mm
        by_id = {pen.id: pen for pen in pens}
        margin = margin_mm * px_per_mm
        size = (max(1, round((w + 2 * margin_mm) * px_per_mm)),
                max(1, round((h + 2 * margin_mm) * px_per_mm)))  # fmt: skip
        image = Image.new("RGB", size, MARGIN_GREY)
        draw = ImageDraw.Draw(image)
        sheet = (margin, margin, margin + w * px_per_mm, margin + h * px_per_mm)
        draw.rectangle(sheet, fill="white", outline=SHEET_OUTLINE, width=2)
        for p, pen_id in zip(self.drawn_paths(), self.drawn_pens(), strict=True):
            pen = by_id.get(pen_id)
            color = pen.color if pen is not None else "#000000"
            width_mm = pen.width_mm if pen is not None and pen.width_mm else 0.4
            mm = p / self.units_per_mm
            if self.y_up:
                mm[:, 1] = h - mm[:, 1]
            xy = [(float(margin + x * px_per_mm), float(margin + y * px_per_mm)) for x, y in mm]
            nib = max(1, round(width_mm * px_per_mm))
            if len(xy) == 1:
                x, y = xy[0]
                r = max(1.0, nib / 2)
                draw.ellipse((x - r, y - r, x + r, y + r), fill=color)
            else:
                draw.line(xy, fill=color, width=nib, joint="curve")
        image.save(path)

    def _pen_id(self) -> int:
        """The pen in the holder as the protocol names it (see drawn_pens)."""
        return 1

    def _pen_moved(self, down: bool, at: tuple[float, float]) -> None:
        """Record a pen lowered (a new path at `at`, with the pen now named) or lifted."""
        with self._lock:
            if down and not self._drawing:
                self._paths.append([at])
                self._path_pens.append(self._pen_id())
            self._drawing = down

    def _drew_to(self, at: tuple[float, float]) -> None:
        """Record the pen, while down, reaching `at`."""
        if self._drawing:
            with self._lock:
                path = self._paths[-1]
                if path[-1] != at:
                    path.append(at)

    # -- faults --------------------------------------------------------------------------
    @property
    def frozen(self) -> bool:
        """A stall or a vanished port: the controller does nothing."""
        return time.monotonic() < self._frozen_until or self._reconnect_at is not None

    def _faults_for(self, line_number: int) -> list[Fault]:
        fired = []
        while self.faults and self.faults[0].at_line <= line_number:
            fault = self.faults.pop(0)
            if fault.at_line == line_number:
                fired.append(fault)
                self.stats.faults.append(fault)
                log.info(
                    "%s simulator: injecting %s at line %d", self.protocol, fault.kind, line_number
                )
        return fired

    def _fire_link_fault(self, fault: Fault) -> bool:
        """Faults of the link itself (all protocols); False if `fault` is the protocol's."""
        if fault.kind == "stall":
            self._frozen_until = time.monotonic() + fault.seconds
            return True
        if fault.kind == "vanish":
            self._close_pty()
            self._reconnect_at = time.monotonic() + fault.seconds
            return True
        if fault.kind == "garbage":
            junk = bytes(self.rng.randrange(0x80, 0xFF) for _ in range(self.rng.randint(3, 12)))
            self._out += junk + b"\r\n"
            return True
        return False

    # -- output --------------------------------------------------------------------------
    def _send(self, text: str) -> None:
        self._out += text.encode("latin-1")

    # -- the pty -------------------------------------------------------------------------
    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self.pty_path = os.ttyname(slave)
        link = Path(self.port)
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(self.pty_path)

    def _close_pty(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            Path(self.port).unlink()
        for fd in (self._master, self._slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = -1
        self._out.clear()

    def _run(self) -> None:
        try:
            while self._running:
                self._tick()
        except Exception:  # a crashed simulator must be visible in the test log
            log.exception("%s simulator crashed", self.protocol)
            raise

    def _tick(self) -> None:
        now = time.monotonic()
        if self._reconnect_at is not None:
            if now < self._reconnect_at:
                time.sleep(0.005)
                self._last_real = now
                return
            self._reconnect_at = None
            self._open_pty()
            self._on_power_cycle()
        if now < self._frozen_until:
            time.sleep(min(0.005, self._frozen_until - now))
            self._last_real = time.monotonic()
            return
        wait = min(0.002, max(0.0, self._next_event_in() / self.speedup))
        want_write = [self._master] if self._out else []
        readable, writable, _ = select.select([self._master], want_write, [], wait)
        budget = self._readable_bytes() if readable else 0
        if readable and not budget:
            time.sleep(0.0005)  # the emulated line has not delivered a byte yet
        elif readable:
            try:
                data = os.read(self._master, budget)
            except BlockingIOError:
                data = b""
            except OSError:
                data = b""
            if data:
                t = time.monotonic()
                self.stats.bytes_in += len(data)
                self.stats.first_byte_at = self.stats.first_byte_at or t
                self.stats.last_byte_at = t
                self._receive(data)
        now = time.monotonic()
        self.clock += (now - self._last_real) * self.speedup
        self._last_real = now
        self._advance()
        if self._out and self._master >= 0:
            try:
                written = os.write(self._master, bytes(self._out))
                del self._out[:written]
            except (BlockingIOError, OSError):
                pass

    def _readable_bytes(self) -> int:
        """How many bytes the emulated serial line has delivered since the last read."""
        if self.baud is None:
            return 4096
        now = time.monotonic()
        self._byte_credit = min(self._byte_credit + (now - self._credit_at) * self.baud / 10, 64.0)
        self._credit_at = now
        whole = int(self._byte_credit)
        self._byte_credit -= whole
        return whole

    # -- protocol hooks ------------------------------------------------------------------
    @abstractmethod
    def _receive(self, data: bytes) -> None:
        """Bytes from the host (realtime bytes act at once, the rest is buffered)."""

    @abstractmethod
    def _advance(self) -> None:
        """Run the controller up to `self.clock`: motion, then command processing."""

    def _next_event_in(self) -> float:
        """Simulated seconds until something happens without input (the select timeout)."""
        return 0.002

    @abstractmethod
    def _on_power_cycle(self) -> None:
        """The port came back after vanishing: what the controller does then."""
