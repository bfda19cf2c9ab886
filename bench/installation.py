"""Installation soak benchmark: N simulated visitors through the whole show; one JSON line.

Visitors speak the committed test WAVs (and now and then silence) into an in-memory
source; tiny random CLIP, faster-whisper tiny.en, a simulated GRBL plotter with injected
faults. Run from the repository root: `python -m bench.installation [--visitors 100]`.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

from dreamdraw.drawing import load_clip
from dreamdraw.installation.config import config_from_dict
from dreamdraw.installation.orchestrator import Show
from dreamdraw.installation.plotting import PlotterStation
from dreamdraw.installation.plotting_stage import PlotOutcome
from dreamdraw.installation.rehearsal import rehearse, visitor_sounds
from dreamdraw.plotter import FAULT_KINDS, Fault, GrblSimulator, compare_trace
from dreamdraw.speech import ArraySource, load_engine

DATA = Path(__file__).resolve().parent.parent / "tests" / "speech" / "data"
FAULTS = [k for k in FAULT_KINDS if k != "vanish"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visitors", type=int, default=100)
    parser.add_argument("--strokes", type=int, default=16)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--speedup", type=float, default=40.0, help="simulated plotter speed-up")
    args = parser.parse_args()
    config = config_from_dict(
        {
            "drawing": {
                "clip": "test:tiny",
                "device": "cpu",
                "strokes": args.strokes,
                "iterations": args.iterations,
                "augmentations": 0,
                "canvas_px": 48,
                "pens": [{"id": 1, "color": "#000000", "width_mm": 0.8, "name": "black"}],
            },
            "analysis": {"clip": "test:tiny", "fixlip": False, "figures": False},
            "speech": {"device": "cpu", "beam_size": 1},
            "show": {"status_port": 0, "min_free_mb": 0.0},
            "moderation": {"words": ["teeth"]},
            "plotter": {"connect_timeout_s": 1.0, "reconnect_timeout_s": 2.0},
            "plot_queue": {"retry_s": 0.2, "ask_pen_change": False, "max_waiting": 5},
        }
    )
    faults = [
        Fault(kind, at_line=150 + 400 * i, seconds=0.5)
        for i, kind in enumerate(FAULTS * (1 + args.visitors // 8))
    ]
    simulator = GrblSimulator(speedup=args.speedup, faults=faults)
    simulator.start()
    wavs = [p for p in sorted(DATA.glob("*.wav")) if p.name != "long_train.wav"]
    sounds = visitor_sounds(wavs, silence_every=3)
    with tempfile.TemporaryDirectory() as tmp:
        show = Show(
            config,
            Path(tmp),
            clip=load_clip("test:tiny"),
            speech_engine=load_engine(config.speech),
            microphone=lambda: ArraySource(next(sounds)),
            plotter=PlotterStation(config.plotter, simulator=simulator),
        )
        plotted: list[PlotOutcome] = []
        show.plotting.subscribe(plotted.append)
        show.start(status_page=False)
        started = time.monotonic()
        try:
            report = rehearse(show, args.visitors)
        finally:
            show.stop()
            simulator.stop()
        wall = time.monotonic() - started
    # A fault may leave the stroke it interrupted drawn again, or a fragment of it.
    traces = [compare_trace(o.toolpath, o.trace) for o in plotted]
    traces_ok = sum(
        1
        for o, t in zip(plotted, traces, strict=True)
        if not t.missing and len(t.drawn_more_than_once) + len(t.extra) <= o.faults
    )
    print(
        json.dumps(
            {
                "benchmark": "installation_soak",
                "visitors": args.visitors,
                "accepted": len(report.accepted),
                "archived": show.counters["archived"],
                "plotted": show.counters["plotted"],
                "nothing_heard": show.counters["nothing_heard"],
                "moderated": show.counters["moderated"],
                "analysed": show.counters["analysed"],
                "plotter_faults_fired": len(simulator.stats.faults),
                "plots_surviving_faults": sum(1 for o in plotted if o.faults),
                "traces_matching": traces_ok,
                "worker_failures": sum(
                    v for k, v in show.faults.counts.items() if k.endswith("_failed")
                ),
                "queue_peaks": report.queue_peaks,
                "wall_s": round(wall, 1),
                "s_per_visitor": round(wall / max(1, args.visitors), 2),
                "machine": platform.machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
