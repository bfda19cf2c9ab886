"""Plot time from a kinematic model: trapezoidal speed profiles with GRBL-style cornering."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from dreamdraw.plotter.machine import GrblMachine
from dreamdraw.plotter.settings import PlotterSettings

__all__ = ["Kinematics", "TimeEstimate", "estimate_time", "polyline_time", "travel_time"]


@dataclass(frozen=True)
class TimeEstimate:
    """Seconds spent drawing, travelling with the pen up, and lifting/lowering the pen."""

    draw_s: float
    travel_s: float
    pen_s: float

    @property
    def total_s(self) -> float:
        return self.draw_s + self.travel_s + self.pen_s

    def to_dict(self) -> dict[str, float]:
        return {**asdict(self), "total_s": self.total_s}


def travel_time(distance_mm: np.ndarray | float, speed: float, accel: float) -> np.ndarray:
    """Seconds for straight moves from rest to rest: mm in, mm/s and mm/s² as limits."""
    d = np.asarray(distance_mm, dtype=float)
    full = speed * speed / accel  # distance needed to reach speed and stop again
    return np.where(d >= full, d / speed + speed / accel, 2.0 * np.sqrt(d / accel))


@dataclass(frozen=True)
class Kinematics:
    """The limits a plan is timed with: mm/s, mm/s², mm, seconds.

    per_axis: GRBL limits the rate and acceleration of each axis, so a diagonal may go
    faster than either axis alone; our own settings limit the speed along the path.
    dwell_step_s: GRBL dwells in whole 50 ms steps.
    stop_delay_s: GRBL holds the motors `$1` ms each time motion stops (before a pen
    command or a dwell can run), unless `$1=255` keeps them on for good.
    """

    draw_speed_mm_s: float
    travel_rate_mm_s: tuple[float, float]
    acceleration_mm_s2: tuple[float, float]
    junction_deviation_mm: float
    pen_up_delay_s: float
    pen_down_delay_s: float
    per_axis: bool = False
    dwell_step_s: float = 0.0
    stop_delay_s: float = 0.0

    @classmethod
    def from_settings(cls, settings: PlotterSettings) -> Kinematics:
        """Our own estimate: the settings' speeds along the path."""
        return cls(
            draw_speed_mm_s=settings.draw_speed_mm_s,
            travel_rate_mm_s=(settings.travel_speed_mm_s,) * 2,
            acceleration_mm_s2=(settings.acceleration_mm_s2,) * 2,
            junction_deviation_mm=settings.junction_deviation_mm,
            pen_up_delay_s=settings.pen_up_delay_s,
            pen_down_delay_s=settings.pen_down_delay_s,
        )

    @classmethod
    def from_machine(cls, settings: PlotterSettings, machine: GrblMachine) -> Kinematics:
        """The machine's own: `$110`/`$111` rates, `$120`/`$121` accelerations, `$11`."""
        return cls(
            draw_speed_mm_s=settings.draw_speed_mm_s,
            travel_rate_mm_s=machine.max_rate_mm_s,
            acceleration_mm_s2=machine.acceleration_mm_s2,
            junction_deviation_mm=machine.junction_deviation_mm,
            pen_up_delay_s=settings.pen_up_delay_s,
            pen_down_delay_s=settings.pen_down_delay_s,
            per_axis=True,
            dwell_step_s=0.05,
            stop_delay_s=0.0 if machine.value(1) >= 255 else machine.value(1) / 1000.0,
        )

    def dwell(self, seconds: float) -> float:
        """How long a dwell of `seconds` really lasts."""
        if self.dwell_step_s <= 0:
            return seconds
        return math.ceil(seconds / self.dwell_step_s - 1e-9) * self.dwell_step_s

    def chain_time(self, points: np.ndarray, feed_mm_s: float | None = None) -> float:
        """Seconds to move through points ((n, 2) mm) from rest to rest at `feed_mm_s`
        (None: the travel rate), planned like GRBL's planner: trapezoids joined at corner
        speeds from the junction deviation, forward and backward passes as running minima.
        """
        delta = np.diff(np.asarray(points, dtype=float).reshape(-1, 2), axis=0)
        length = np.hypot(delta[:, 0], delta[:, 1])
        keep = length > 1e-9
        delta, length = delta[keep], length[keep]
        if not len(length):
            return 0.0
        unit = delta / length[:, None]
        rates, accels = np.array(self.travel_rate_mm_s), np.array(self.acceleration_mm_s2)
        if self.per_axis:
            speed = _by_axis(rates, unit)
            accel = _by_axis(accels, unit)
        else:
            speed = np.full(len(length), rates.min())
            accel = np.full(len(length), accels.min())
        if feed_mm_s is not None:
            speed = np.minimum(speed, feed_mm_s)
        # Squared speed limit at each junction (0 at both ends).
        cos_theta = -np.einsum("ij,ij->i", unit[:-1], unit[1:]).clip(-1.0, 1.0)
        sin_half = np.sqrt((1.0 - cos_theta) / 2.0)
        if self.per_axis:
            turn = unit[1:] - unit[:-1]
            norm = np.hypot(turn[:, 0], turn[:, 1])
            turn = turn / np.where(norm > 0, norm, 1.0)[:, None]
            corner_accel = _by_axis(accels, turn)
        else:
            corner_accel = accel[1:]
        with np.errstate(divide="ignore", invalid="ignore"):
            corner = corner_accel * self.junction_deviation_mm * sin_half / (1.0 - sin_half)
        corner = np.where(cos_theta > 0.999999, 0.0, corner)
        corner = np.where(cos_theta < -0.999999, np.inf, corner)
        corner = np.minimum(corner, np.minimum(speed[:-1], speed[1:]) ** 2)
        cap = np.concatenate(([0.0], corner, [0.0]))
        # Forward pass: w[k] = min_j<=k (cap[j] + E[k] - E[j]), E the running sum of 2 a L.
        e = np.concatenate(([0.0], np.cumsum(2 * accel * length)))
        forward = e + np.minimum.accumulate(cap - e)
        re = e[-1] - e
        backward = re + np.minimum.accumulate((cap - re)[::-1])[::-1]
        w = np.minimum(cap, np.minimum(forward, backward)).clip(min=0.0)
        v0, v1 = np.sqrt(w[:-1]), np.sqrt(w[1:])
        peak = np.sqrt((2 * accel * length + w[:-1] + w[1:]) / 2.0)
        triangle = (2 * peak - v0 - v1) / accel
        ramp = (2 * speed - v0 - v1) / accel
        ramp_mm = (2 * speed * speed - w[:-1] - w[1:]) / (2 * accel)
        trapezoid = ramp + (length - ramp_mm) / speed
        return float(np.where(peak <= speed, triangle, trapezoid).sum())

    def stroke_times(
        self, strokes: Sequence[np.ndarray], home: tuple[float, float] = (0, 0)
    ) -> np.ndarray:
        """Seconds per stroke ((n, 2) mm each, in order): the travel from the previous one
        (the first from home), pen down, drawing, pen up. Shape (len(strokes), 4)."""
        out = np.zeros((len(strokes), 4))
        here = np.asarray(home, dtype=float)
        for i, stroke in enumerate(strokes):
            hop = self.chain_time(np.vstack([here, stroke[0]]))
            out[i] = (
                hop + (self.stop_delay_s if hop > 0 else 0.0),
                self.dwell(self.pen_down_delay_s),
                self.chain_time(stroke, self.draw_speed_mm_s) + self.stop_delay_s,
                self.dwell(self.pen_up_delay_s),
            )
            here = stroke[-1]
        return out


def _by_axis(limits: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """GRBL's limit_value_by_axis_maximum: the largest value along each unit vector (k, 2)
    that keeps every axis within its own limit."""
    with np.errstate(divide="ignore"):
        per_axis = np.where(np.abs(unit) > 1e-12, limits / np.abs(unit), np.inf)
    return per_axis.min(axis=1)


def polyline_time(points: np.ndarray, speed: float, accel: float, junction_mm: float) -> float:
    """Seconds to draw one polyline ((n, 2) mm) at `speed` mm/s, from rest to rest."""
    return Kinematics(speed, (speed, speed), (accel, accel), junction_mm, 0.0, 0.0).chain_time(
        points
    )


def estimate_time(
    strokes: Sequence[np.ndarray],
    settings: PlotterSettings,
    home: tuple[float, float] = (0, 0),
    machine: GrblMachine | None = None,
) -> TimeEstimate:
    """Seconds to plot strokes ((n, 2) machine mm each, in order) from home and back.

    With `machine` (read from the controller) its own rates and accelerations count,
    per axis as GRBL plans; otherwise the settings' speeds.
    """
    if not strokes:
        return TimeEstimate(0.0, 0.0, 0.0)
    kinematics = (
        Kinematics.from_machine(settings, machine)
        if machine is not None
        else Kinematics.from_settings(settings)
    )
    times = kinematics.stroke_times(strokes, home)
    back = kinematics.chain_time(np.vstack([strokes[-1][-1], np.asarray(home, dtype=float)]))
    return TimeEstimate(
        draw_s=float(times[:, 2].sum()),
        travel_s=float(times[:, 0].sum()) + back,
        pen_s=float(times[:, 1].sum() + times[:, 3].sum()),
    )
