"""A show that runs for months: nothing it holds grows with the number of visitors."""

from __future__ import annotations

import os
import queue
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from dreamdraw.drawing import load_clip
from dreamdraw.installation.orchestrator import Show
from dreamdraw.installation.plotting import PlotterStation
from dreamdraw.plotter import GrblSimulator

from bench.show_memory import memory_config, tiny_drawing, typed_visitor

# Each visitor costs the archive's 800 px PNG and a (fast) simulated plot; the benchmark
# (python -m bench.show_memory --visitors 1000) measures the process's resident memory.
VISITORS = int(os.environ.get("DREAMDRAW_MEMORY_VISITORS", "100"))
WARM_UP = 50  # past every bound (the journey's history keeps the last 100 transitions)
WAIT_S = 60.0


def containers(obj: object, seen: set[int] | None = None) -> Iterator[tuple[str, int]]:
    """(path, length) of every list, dict, set, deque and queue the show holds, through its
    own parts (objects of dreamdraw.installation)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    for name, value in vars(obj).items():
        if isinstance(value, list | dict | set | deque):
            yield name, len(value)
        elif isinstance(value, queue.Queue):
            yield name, value.qsize()
        elif type(value).__module__.startswith("dreamdraw.installation") and hasattr(
            value, "__dict__"
        ):
            yield from ((f"{name}.{n}", size) for n, size in containers(value, seen))


def test_nothing_the_show_holds_grows_with_the_visitors(tmp_path: Path) -> None:
    config = memory_config()
    simulator = GrblSimulator(speedup=200.0)
    simulator.start()
    show = Show(
        config,
        tmp_path / "data",
        clip=load_clip("test:tiny"),
        draw_fn=tiny_drawing,
        plotter=PlotterStation(config.plotter, simulator=simulator),
    )
    show.start(status_page=False)
    try:
        for visitor in range(VISITORS):
            if visitor == WARM_UP:
                assert show.wait_until(lambda: show.counters["plotted"] == WARM_UP, WAIT_S)
                warm = dict(containers(show))
            typed_visitor(show, visitor)
        assert show.wait_until(lambda: show.counters["plotted"] == VISITORS, WAIT_S)
        end = dict(containers(show))
    finally:
        show.stop()
        simulator.stop()
    grown = {name: (warm.get(name, 0), size) for name, size in end.items()}
    assert {n: s for n, s in grown.items() if s[1] > s[0]} == {}
