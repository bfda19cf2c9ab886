"""What a GRBL controller says about itself (`$$`, `$I`), and what a plan must respect from it.

A plotter owner changes rates, accelerations and travel; the job reads them at connect
instead of assuming them, estimates time from them and refuses a drawing that leaves the
travel before the first move.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from dreamdraw.plotter.errors import PlotterError

__all__ = ["GRBL_DEFAULTS", "GrblMachine", "parse_build_info", "parse_settings"]

# GRBL 1.1h's own defaults (defaults.h, DEFAULTS_GENERIC): what a fresh board's `$$` says.
GRBL_DEFAULTS: dict[int, float] = {
    0: 10, 1: 25, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 10: 1, 11: 0.010, 12: 0.002, 13: 0,
    20: 0, 21: 0, 22: 0, 23: 0, 24: 25, 25: 500, 26: 250, 27: 1, 30: 1000, 31: 0, 32: 0,
    100: 250, 101: 250, 102: 250, 110: 500, 111: 500, 112: 500,
    120: 10, 121: 10, 122: 10, 130: 200, 131: 200, 132: 200,
}  # fmt: skip

_SETTING = re.compile(r"^\$(\d+)=(-?[\d.]+)")
_VERSION = re.compile(r"^\[VER:([^:\]]*)")
_OPTIONS = re.compile(r"^\[OPT:([^\]]*)\]")


def parse_settings(lines: list[str]) -> dict[int, float]:
    """`$$` reply lines (`$110=500.000`) -> {110: 500.0}; other lines are ignored."""
    out: dict[int, float] = {}
    for line in lines:
        match = _SETTING.match(line.strip())
        if match:
            out[int(match.group(1))] = float(match.group(2))
    return out


def parse_build_info(lines: list[str]) -> tuple[str, int, int]:
    """`$I` reply lines -> (version, planner blocks, receive buffer bytes).

    `[VER:1.1h.20190830:]` and `[OPT:V,15,128]`; a GRBL too old to say keeps 15 and 128.
    """
    version, blocks, rx = "", 15, 128
    for line in lines:
        text = line.strip()
        if match := _VERSION.match(text):
            version = match.group(1)
        elif match := _OPTIONS.match(text):
            parts = match.group(1).split(",")
            if len(parts) >= 3 and parts[1].isdigit() and parts[2].isdigit():
                blocks, rx = int(parts[1]), int(parts[2])
    return version, blocks, rx


@dataclass(frozen=True)
class GrblMachine:
    """A GRBL controller's `$$` settings and `$I` build info; mm, mm/s, mm/s², seconds."""

    settings: dict[int, float] = field(default_factory=lambda: dict(GRBL_DEFAULTS))
    version: str = ""
    planner_blocks: int = 15
    rx_buffer: int = 128

    def value(self, number: int) -> float:
        """Setting `$number`, or GRBL's default when the controller did not report it."""
        return self.settings.get(number, GRBL_DEFAULTS.get(number, 0.0))

    @property
    def max_rate_mm_s(self) -> tuple[float, float]:
        """$110, $111: the X and Y rates G0 moves at, mm/s."""
        return (self.value(110) / 60.0, self.value(111) / 60.0)

    @property
    def acceleration_mm_s2(self) -> tuple[float, float]:
        """$120, $121: X and Y accelerations, mm/s²."""
        return (self.value(120), self.value(121))

    @property
    def junction_deviation_mm(self) -> float:
        """$11: how far GRBL's cornering model lets a corner deviate, mm."""
        return self.value(11)

    @property
    def travel_mm(self) -> tuple[float, float]:
        """$130, $131: X and Y travel, mm."""
        return (self.value(130), self.value(131))

    @property
    def soft_limits(self) -> bool:
        return bool(self.value(20))

    @property
    def homing(self) -> bool:
        return bool(self.value(22))

    @property
    def laser_mode(self) -> bool:
        """$32: M3 power applies only with G1 motion; a pen-down must be sent in G1 mode."""
        return bool(self.value(32))

    def check_travel(self, points: np.ndarray, offset: tuple[float, float] = (0.0, 0.0)) -> None:
        """Refuse work coordinates (n, 2) mm that leave the travel, naming the setting.

        Without homing, GRBL's zero is where the machine was switched on (our origin) and
        the travel lies ahead of it: machine x in [0, $130], y in [0, $131], work = machine
        - `offset` (status `WCO:`). With homing ($22=1) where the homed space lies depends
        on the pull-off and the work offsets the owner set, so only the drawing's extent is
        held against the travel. One line: which setting, how far beyond it, what to do.
        """
        if not len(points):
            return
        travel = np.array(self.travel_mm)
        if self.homing:
            lo, hi = points.min(axis=0), points.max(axis=0)
            over = (hi - lo) - travel
            axis = int(np.argmax(over))
            where = f"spans {hi[axis] - lo[axis]:.1f} mm in {'xy'[axis]}"
            excess = float(over[axis])
        else:
            machine = points + np.asarray(offset)
            beyond = np.stack([-machine.min(axis=0), machine.max(axis=0) - travel])
            side, axis = np.unravel_index(int(np.argmax(beyond)), beyond.shape)
            value = machine.min(axis=0)[axis] if side == 0 else machine.max(axis=0)[axis]
            where = f"reaches {'xy'[axis]} = {value:.1f} mm (machine)"
            excess = float(beyond[side, axis])
        if excess <= 1e-3:
            return
        setting = 130 + axis
        raise PlotterError(
            f"the drawing leaves the plotter's travel: it {where}, {excess:.1f} mm beyond "
            f"${setting}={self.value(setting):g} ({'XY'[axis]} travel); nothing was drawn. "
            "Use smaller paper (--paper) or a larger margin, or set "
            f"${setting} to the machine's real travel"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": {str(k): v for k, v in sorted(self.settings.items())},
            "version": self.version,
            "planner_blocks": self.planner_blocks,
            "rx_buffer": self.rx_buffer,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GrblMachine:
        return cls(
            settings={int(k): float(v) for k, v in data.get("settings", {}).items()},
            version=str(data.get("version", "")),
            planner_blocks=int(data.get("planner_blocks", 15)),
            rx_buffer=int(data.get("rx_buffer", 128)),
        )

    def summary(self) -> str:
        """One line: version, rates, accelerations, travel and the modes that matter."""
        rx, ry = self.value(110), self.value(111)
        ax, ay = self.acceleration_mm_s2
        tx, ty = self.travel_mm
        modes = [
            name
            for name, on in (
                ("homing", self.homing),
                ("soft limits", self.soft_limits),
                ("laser mode", self.laser_mode),
            )
            if on
        ]
        return (
            f"GRBL {self.version or '?'}: rates {rx:g}/{ry:g} mm/min, acceleration "
            f"{ax:g}/{ay:g} mm/s², travel {tx:g} x {ty:g} mm"
            + (f", {', '.join(modes)}" if modes else "")
        )
