"""Plotter benchmark: stroke ordering (pen-up travel, planning time) and GRBL streaming.

On 20 synthetic drawings (256 open cubic strokes, two pens, A4 landscape) it compares no
ordering, vpype's merge + linesort, vpype with 2-opt, and ours (merge + greedy + 2-opt /
or-opt); then it streams one drawing to the simulated GRBL: bytes per second sustained
with motion sped up 1000x (the 115200-baud line is the limit), and whether the planner
starved while drawing in real time over that line; then it plots a 64-stroke A4 drawing
on the real GRBL 1.1h firmware (../shared/grbl-sim) at a plotter owner's settings. Prints
one JSON line.

    python -m bench.plotter [--drawings 20] [--realtime-strokes 12] [--firmware-strokes 64]
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


# A plotter owner's GRBL: fast rates and accelerations, travel = A4 landscape plus margin.
FIRMWARE_SETTINGS = {110: 6000, 111: 6000, 120: 400, 121: 400, 130: 310, 131: 220}
FIRMWARE_STOP_DELAY_S = 0.025  # GRBL's default $1 (25 ms): held after each stop, not motion


def bench_firmware(strokes: int) -> dict:
    """A `strokes`-stroke A4 drawing on the real GRBL 1.1h firmware (../shared/grbl-sim).

    Wall time against the firmware's own clock (first move to last; on a busy machine the
    simulated board runs slower than the wall) and against our estimate from the machine's
    settings, and its motion time (a block running) against our estimate's motion; the
    seconds its step generator stood dry mid-move (a simulated board short
    of CPU; the driver restarts the cycle) and the estimate against its clock without
    them; recoveries; the most bytes we had unacknowledged; how often the planner ran dry
    with the pen down mid-stroke.
    """
    import tempfile
    from pathlib import Path

    from tests.plotter.firmware import Firmware, FirmwareKit, FirmwareMissing

    settings = PlotterSettings(
        optimize_time_s=0.3,
        reply_timeout_s=10.0,
        connect_timeout_s=5.0,
        reconnect_timeout_s=15.0,
        status_interval_s=0.1,
    )
    with tempfile.TemporaryDirectory(prefix="bench-grbl-") as folder:
        try:
            kit = FirmwareKit.build(Path(folder) / "build")
        except FirmwareMissing as missing:
            return {"firmware_skipped": str(missing)}
        firmware = Firmware(kit, Path(folder) / "grbl").start()
        try:
            firmware.configure(FIRMWARE_SETTINGS)
            with GrblDriver(firmware.port, settings) as driver:
                toolpath = plan_toolpath(
                    synthetic_svg(7, strokes=strokes), settings, machine=driver.machine
                )
                result = PlotJob(toolpath, driver).run()
                cycle_restarts, max_unacked = driver.cycle_restarts, driver.max_in_flight
        finally:
            firmware.kill()
        samples = firmware.samples()
        stalled_s, dry = firmware.standstills()
        moving_s = firmware.moving_s()
    machine_s = float(samples[-1, 0] - samples[0, 0])
    estimate = toolpath.stats.estimate
    stop_s = 2 * len(toolpath.strokes) * FIRMWARE_STOP_DELAY_S
    motion_s = estimate.draw_s + estimate.travel_s - stop_s
    return {
        "firmware_strokes": len(toolpath.strokes),
        "firmware_settings": {f"${k}": v for k, v in FIRMWARE_SETTINGS.items()},
        "firmware_wall_s": round(result.elapsed_s, 2),
        "firmware_machine_s": round(machine_s, 2),
        "firmware_estimate_s": round(result.estimated_s, 2),
        "firmware_stalled_s": round(stalled_s, 2),
        "firmware_moving_s": round(moving_s, 2),
        "estimate_motion_vs_moving": round(motion_s / moving_s - 1, 4),
        "estimate_vs_machine": round(result.estimated_s / machine_s - 1, 4),
        "estimate_vs_machine_without_stalls": round(
            result.estimated_s / (machine_s - stalled_s) - 1, 4
        ),
        "estimate_vs_wall": round(result.estimated_s / result.elapsed_s - 1, 4),
        "firmware_completed": result.completed,
        "firmware_recoveries": len(result.restarts),
        "firmware_cycle_restarts": cycle_restarts,
        "firmware_max_unacked_bytes": max_unacked,
        "firmware_dry_mid_stroke": dry,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawings", type=int, default=20)
    parser.add_argument("--realtime-strokes", type=int, default=12)
    parser.add_argument("--budget", type=float, default=0.3, help="our 2-opt time budget (s)")
    parser.add_argument(
        "--firmware-strokes", type=int, default=64, help="strokes of the firmware run (0: none)"
    )
    args = parser.parse_args()
    result = {
        "bench": "plotter",
        "drawings": args.drawings,
        "strokes_per_drawing": 256,
        **bench_ordering(args.drawings, args.budget),
        **bench_streaming(args.realtime_strokes),
        **(bench_firmware(args.firmware_strokes) if args.firmware_strokes else {}),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
