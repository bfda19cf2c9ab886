"""Compare what a (simulated) pen drew with the toolpath it was asked to draw."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from dreamdraw.plotter.toolpath import Toolpath

__all__ = ["TraceReport", "compare_trace", "polyline_distance"]


@dataclass
class TraceReport:
    """How the drawn paths (paper mm) match the toolpath's strokes.

    complete[i]: times stroke i was drawn whole; partial[i]: times it was begun and cut
    short (a fault); extra: drawn paths that match no stroke; max_deviation_mm: the
    largest distance between a whole drawn stroke and its toolpath stroke.
    """

    tolerance_mm: float
    complete: list[int]
    partial: list[int]
    extra: list[int] = field(default_factory=list)
    max_deviation_mm: float = 0.0

    @property
    def missing(self) -> list[int]:
        return [i for i, n in enumerate(self.complete) if n == 0]

    @property
    def drawn_more_than_once(self) -> list[int]:
        return [
            i for i, (c, p) in enumerate(zip(self.complete, self.partial, strict=True)) if c + p > 1
        ]

    @property
    def exact(self) -> bool:
        """Every stroke drawn once, whole, within tolerance, and nothing else drawn."""
        return (
            all(c == 1 for c in self.complete)
            and not any(self.partial)
            and not self.extra
            and self.max_deviation_mm <= self.tolerance_mm
        )

    def summary(self) -> str:
        return (
            f"{sum(1 for c in self.complete if c)}/{len(self.complete)} strokes drawn, "
            f"{len(self.missing)} missing, {len(self.drawn_more_than_once)} drawn more than once, "
            f"{len(self.extra)} extra paths, max deviation {self.max_deviation_mm:.4f} mm"
        )


def polyline_distance(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Distance (mm) from each point (k, 2) to the polyline `line` (n, 2)."""
    if len(line) == 1:
        return np.hypot(*(points - line[0]).T)
    a, b = line[:-1], line[1:]
    ab = b - a
    denom = np.einsum("ij,ij->i", ab, ab)
    denom = np.where(denom > 0, denom, 1.0)
    ap = points[:, None, :] - a[None, :, :]
    t = np.clip(np.einsum("kij,ij->ki", ap, ab) / denom, 0.0, 1.0)
    closest = a[None] + t[..., None] * ab[None]
    return np.hypot(*(points[:, None, :] - closest).transpose(2, 0, 1)).min(axis=1)


def _with_midpoints(line: np.ndarray) -> np.ndarray:
    if len(line) < 2:
        return line
    return np.vstack([line, (line[1:] + line[:-1]) / 2])


def compare_trace(
    toolpath: Toolpath, drawn: Sequence[np.ndarray], tolerance_mm: float = 0.05
) -> TraceReport:
    """Match drawn pen-down paths ((n, 2) paper mm, in drawing order) to toolpath strokes."""
    strokes = [s.points for s in toolpath.strokes]
    starts = np.array([s[0] for s in strokes]).reshape(-1, 2)
    report = TraceReport(tolerance_mm, [0] * len(strokes), [0] * len(strokes))
    for j, path in enumerate(drawn):
        path = np.asarray(path, dtype=float).reshape(-1, 2)
        near = np.flatnonzero(np.hypot(*(starts - path[0]).T) <= tolerance_mm)
        best: tuple[float, int] | None = None
        for i in near:
            deviation = float(polyline_distance(_with_midpoints(path), strokes[i]).max())
            if deviation <= tolerance_mm:
                # Prefer a stroke not yet drawn whole when two share a start.
                key = (report.complete[i] > 0, deviation)
                if best is None or key < (report.complete[best[1]] > 0, best[0]):
                    best = (deviation, int(i))
        if best is None:
            report.extra.append(j)
            continue
        deviation, i = best
        coverage = float(polyline_distance(_with_midpoints(strokes[i]), path).max())
        if coverage <= tolerance_mm:
            report.complete[i] += 1
            report.max_deviation_mm = max(report.max_deviation_mm, deviation, coverage)
        else:
            report.partial[i] += 1
    return report
