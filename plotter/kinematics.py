"""Plot time from a kinematic model: trapezoidal speed profiles with GRBL-style cornering."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from dreamdraw.plotter.settings import PlotterSettings

__all__ = ["TimeEstimate", "estimate_time", "polyline_time", "travel_time"]


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


def polyline_time(points: np.ndarray, speed: float, accel: float, junction_mm: float) -> float:
    """Seconds to draw one polyline ((n, 2) mm), starting and ending at rest.

    Corner speeds follow GRBL's junction deviation; the forward and backward passes of its
    planner are written as running minima, so the whole line is planned without a loop.
    """
    delta = np.diff(points, axis=0)
    length = np.hypot(delta[:, 0], delta[:, 1])
    keep = length > 1e-9
    delta, length = delta[keep], length[keep]
    if not len(length):
        return 0.0
    unit = delta / length[:, None]
    # Squared speed limit at each junction (0 at both ends).
    cos_theta = -np.einsum("ij,ij->i", unit[:-1], unit[1:]).clip(-1.0, 1.0)
    sin_half = np.sqrt((1.0 - cos_theta) / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        corner = accel * junction_mm * sin_half / (1.0 - sin_half)
    corner = np.where(sin_half >= 1.0 - 1e-12, speed * speed, corner)
    cap = np.concatenate(([0.0], np.minimum(corner, speed * speed), [0.0]))
    # Forward pass: w[k] = min_j<=k (cap[j] + 2a (s[k] - s[j])); backward likewise.
    s = np.concatenate(([0.0], np.cumsum(length)))
    forward = 2 * accel * s + np.minimum.accumulate(cap - 2 * accel * s)
    rs = s[-1] - s
    backward = (2 * accel * rs + np.minimum.accumulate((cap - 2 * accel * rs)[::-1]))[::-1]
    w = np.minimum(cap, np.minimum(forward, backward)).clip(min=0.0)
    v0, v1 = np.sqrt(w[:-1]), np.sqrt(w[1:])
    peak = np.sqrt((2 * accel * length + w[:-1] + w[1:]) / 2.0)
    triangle = (2 * peak - v0 - v1) / accel
    ramp = (speed - v0) / accel + (speed - v1) / accel
    ramp_mm = (2 * speed * speed - w[:-1] - w[1:]) / (2 * accel)
    trapezoid = ramp + (length - ramp_mm) / speed
    return float(np.where(peak <= speed, triangle, trapezoid).sum())


def estimate_time(
    strokes: Sequence[np.ndarray], settings: PlotterSettings, home: tuple[float, float] = (0, 0)
) -> TimeEstimate:
    """Seconds to plot strokes ((n, 2) mm each, in order) from home and back."""
    if not strokes:
        return TimeEstimate(0.0, 0.0, 0.0)
    draw = sum(
        polyline_time(
            s,
            settings.draw_speed_mm_s,
            settings.acceleration_mm_s2,
            settings.junction_deviation_mm,
        )
        for s in strokes
    )
    starts = np.array([s[0] for s in strokes])
    ends = np.array([s[-1] for s in strokes])
    hops = np.vstack([np.asarray(home)[None], ends]) - np.vstack([starts, np.asarray(home)[None]])
    travel = travel_time(
        np.hypot(hops[:, 0], hops[:, 1]), settings.travel_speed_mm_s, settings.acceleration_mm_s2
    ).sum()
    pen = len(strokes) * (settings.pen_up_delay_s + settings.pen_down_delay_s)
    return TimeEstimate(float(draw), float(travel), float(pen))
