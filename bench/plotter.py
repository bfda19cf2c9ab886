"""Plotter benchmark: stroke ordering (pen-up travel, planning time) and GRBL streaming.

On 20 synthetic drawings (256 open cubic strokes, two pens, A4 landscape) it compares no
ordering, vpype's merge + linesort, vpype with 2-opt, and ours (merge + greedy + 2-opt /
or-opt); then it streams one drawing to the simulated GRBL: bytes per second sustained
with motion sped up 1000x (the 115200-baud line is the limit), and whether the planner
starved while drawing in real time over that line. Prints one JSON line.

    python -m bench.plotter [--drawings 20] [--realtime-strokes 12]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

import numpy as np
from dreamdraw.plotter import (
    GrblDriver,
    GrblSimulator,
    PlotJob,
    PlotterSettings,
    Toolpath,
    plan_toolpath,
)
from dreamdraw.plotter.ordering import (
    merge_lines,
    order_none,
    order_ours,
    order_vpype,
    pen_up_length,
    vpype_merge_lines,
)
from dreamdraw.plotter.toolpath import MM, read_document

WIDTH, HEIGHT = 297.0, 210.0  # A4 landscape, mm


def synthetic_svg(seed: int, strokes: int = 256) -> str:
    """An SVG like the drawing engine's: `strokes` open paths of 1-3 cubic segments, 2 pens."""
    rng = random.Random(seed)
    layers: dict[int, list[str]] = {1: [], 2: []}
    for _ in range(strokes):
        x, y = rng.uniform(5, WIDTH - 5), rng.uniform(5, HEIGHT - 5)
        parts = [f"M {x:.3f} {y:.3f}"]
        for _ in range(rng.randint(1, 3)):
            points = []
            for _ in range(3):
                x = min(max(x + rng.uniform(-12, 12), 0.0), WIDTH)
                y = min(max(y + rng.uniform(-12, 12), 0.0), HEIGHT)
                points.append(f"{x:.3f} {y:.3f}")
            parts.append("C " + " ".join(points))
        layers[rng.randint(1, 2)].append(f'<path d="{" ".join(parts)}"/>')
    groups = "".join(
        f'<g inkscape:groupmode="layer" inkscape:label="{pen}" id="layer{pen}" fill="none" '
        f'stroke="#000">{"".join(paths)}</g>'
        for pen, paths in layers.items()
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
        f'width="{WIDTH}mm" height="{HEIGHT}mm" viewBox="0 0 {WIDTH} {HEIGHT}">{groups}</svg>'
    )


# Each method: (lines of one pen, home, its share of our time budget) -> ordered lines.
METHODS = {
    "none": lambda lines, home, _: order_none(lines, home),
    "vpype_merge_sort": lambda lines, home, _: order_vpype(vpype_merge_lines(lines, 0.05), home),
    "vpype_two_opt": lambda lines, home, _: order_vpype(
        vpype_merge_lines(lines, 0.05), home, two_opt=True
    ),
    "ours": lambda lines, home, budget: order_ours(merge_lines(lines, 0.05), home, budget),
}


def bench_ordering(drawings: int, budget_s: float) -> dict:
    """Pen-up travel (home -> strokes -> home, per pen) and planning time of each method."""
    home = complex(0.0, HEIGHT)  # the G-code origin: the sheet's bottom-left corner
    travel: dict[str, list[float]] = {}
    planning: dict[str, list[float]] = {}
    for seed in range(drawings):
        document = read_document(synthetic_svg(seed), 0.1)
        layers = [[line / MM for line in layer] for _, layer in sorted(document.layers.items())]
        total = sum(len(lines) for lines in layers)
        for name, method in METHODS.items():
            started = time.perf_counter()
            ordered = [method(lines, home, budget_s * len(lines) / total) for lines in layers]
            planning.setdefault(name, []).append(time.perf_counter() - started)
            travel.setdefault(name, []).append(sum(pen_up_length(o, home) for o in ordered))
    ours, vpype = np.array(travel["ours"]), np.array(travel["vpype_merge_sort"])
    return {
        "pen_up_m": {k: round(statistics.mean(v) / 1000, 3) for k, v in travel.items()},
        "plan_s_mean": {k: round(statistics.mean(v), 4) for k, v in planning.items()},
        "plan_s_max": {k: round(max(v), 4) for k, v in planning.items()},
        "ours_vs_vpype_worst_ratio": round(float((ours / vpype).max()), 4),
        "ours_never_worse_than_vpype": bool((ours <= vpype + 1e-9).all()),
        "ours_plan_under_0_5_s": max(planning["ours"]) <= 0.5,
    }


def bench_streaming(realtime_strokes: int) -> dict:
    """GRBL at 115200 baud: throughput with motion 1000x faster; starvation in real time."""
    settings = PlotterSettings(optimize_time_s=0.3)
    toolpath = plan_toolpath(synthetic_svg(100), settings)
    with GrblSimulator(speedup=1000, baud=settings.baud) as fast:
        with GrblDriver(fast.port, settings, toolpath.sheet) as driver:
            started = time.perf_counter()
            PlotJob(toolpath, driver).run()
            elapsed = time.perf_counter() - started
        fast_stats = fast.stats
    few_strokes = toolpath.strokes[:realtime_strokes]
    few = Toolpath(toolpath.sheet, toolpath.pens, few_strokes, toolpath.stats, toolpath.home)
    with GrblSimulator(speedup=1.0, baud=settings.baud) as real:
        with GrblDriver(real.port, settings, toolpath.sheet) as driver:
            PlotJob(few, driver).run()
        real_stats = real.stats
    return {
        "grbl_bytes": fast_stats.bytes_in,
        "grbl_lines": fast_stats.lines_in,
        "grbl_bytes_per_s": round(fast_stats.bytes_per_s),
        "grbl_job_s_at_1000x": round(elapsed, 2),
        "grbl_max_unacked_bytes": max(fast_stats.max_unacked, real_stats.max_unacked),
        "grbl_overflowed_bytes": fast_stats.overflowed + real_stats.overflowed,
        "grbl_realtime_strokes": len(few_strokes),
        "grbl_starved_realtime": real_stats.starved,
        "grbl_never_starved": real_stats.starved == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawings", type=int, default=20)
    parser.add_argument("--realtime-strokes", type=int, default=12)
    parser.add_argument("--budget", type=float, default=0.3, help="our 2-opt time budget (s)")
    args = parser.parse_args()
    result = {
        "bench": "plotter",
        "drawings": args.drawings,
        "strokes_per_drawing": 256,
        **bench_ordering(args.drawings, args.budget),
        **bench_streaming(args.realtime_strokes),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
