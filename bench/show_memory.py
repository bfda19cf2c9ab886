"""Memory of a long show: N typed visitors drawn, archived and plotted; one JSON line.

The drawing engine is replaced by a one-stroke drawing (its memory is not what is measured:
the show's is), the plotter is a fast simulated GRBL. Prints the process's resident memory
(MB) after a warm-up and at the end. Run from the repository root:
`python -m bench.show_memory [--visitors 1000]`.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

from dreamdraw.drawing import ClipModel, Drawing, DrawSettings, Pen, Stroke, load_clip
from dreamdraw.installation.config import config_from_dict
from dreamdraw.installation.orchestrator import Show
from dreamdraw.installation.plotting import PlotterStation
from dreamdraw.installation.sections import Config
from dreamdraw.paper import parse_paper
from dreamdraw.plotter import GrblSimulator

__all__ = ["memory_config", "resident_mb", "tiny_drawing", "typed_visitor"]

WAIT_S = 60.0


def tiny_drawing(prompt: str, settings: DrawSettings, clip: ClipModel, progress=None) -> Drawing:
    """The drawing engine's place in the show, without the optimisation (not measured here)."""
    stroke = Stroke(1, [(1.0, 1.0), (4.0, 2.0), (8.0, 3.0), (12.0, 9.0)])
    return Drawing(16, 11, parse_paper("A6"), [Pen(1, "#000000", 0.8)], [stroke], prompt=prompt)


def memory_config() -> Config:
    """Keyboard visitors, no analysis, a plotter that never asks for a pen."""
    config = config_from_dict(
        {
            "drawing": {"clip": "test:tiny", "device": "cpu"},
            "show": {"status_port": 0, "min_free_mb": 0.0, "keyboard_only": True},
            "kiosk": {"done_s": 0.05},
            "plot_queue": {"retry_s": 0.2, "ask_pen_change": False},
            "plotter": {"optimize_time_s": 0.0},
        }
    )
    config.show.analyse = False
    return config


def typed_visitor(show: Show, number: int) -> None:
    """One visitor types a dream and confirms it (waits until the show can take one)."""
    if not show.wait_until(show.can_take_dream, WAIT_S):
        raise TimeoutError(f"the show took no visitor for {WAIT_S:.0f} s ({show.state})")
    if not (show.type_dream(f"dream {number}: a whale over the city") and show.accept()):
        raise RuntimeError(f"visitor {number} was not taken ({show.state})")


def resident_mb() -> float:
    """The process's resident memory now (MB)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--warm-up", type=int, default=100)
    args = parser.parse_args()
    config = memory_config()
    simulator = GrblSimulator(speedup=200.0)
    simulator.start()
    with tempfile.TemporaryDirectory() as tmp:
        show = Show(
            config,
            Path(tmp),
            clip=load_clip("test:tiny"),
            draw_fn=tiny_drawing,
            plotter=PlotterStation(config.plotter, simulator=simulator),
        ).start(status_page=False)
        started = time.monotonic()
        samples = {}
        try:
            for visitor in range(args.visitors):
                if visitor in (args.warm_up, args.visitors // 2):
                    samples[visitor] = round(resident_mb(), 1)
                typed_visitor(show, visitor)
            show.wait_until(lambda: show.counters["plotted"] == args.visitors, WAIT_S)
            samples[args.visitors] = round(resident_mb(), 1)
        finally:
            show.stop()
            simulator.stop()
        wall = time.monotonic() - started
    first, last = samples[args.warm_up], samples[args.visitors]
    print(
        json.dumps(
            {
                "benchmark": "show_memory",
                "visitors": args.visitors,
                "plotted": show.counters["plotted"],
                "resident_mb_after_visitors": samples,
                "growth_mb_per_1000_visitors": round(
                    (last - first) * 1000 / (args.visitors - args.warm_up), 1
                ),
                "wall_s": round(wall, 1),
                "machine": platform.machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
