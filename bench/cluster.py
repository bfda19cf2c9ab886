"""Benchmark of re-analysing an archive on a local Ray cluster; prints one JSON line.

Pairs per minute with 1 and 2 Ray workers on the CPU with the toy CLIP (and one process
without Ray, for reference), their ratio (the issue's goal: >= 1.7 on 2 free cores), the
mean analysis time of one pair, and the driver's own CPU time per pair as a share of a pair's
analysis time (goal: < 5 %). Actor start-up (loading torch and CLIP) is left out of the rates.
Run as `python -m bench.cluster [--pairs 16] [--budget 256]`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import ray
from dreamdraw.analysis import AnalysisSettings
from dreamdraw.archive import open_archive
from dreamdraw.drawing import DEFAULT_PENS, Drawing, Stroke, load_clip
from dreamdraw.installation.analysis_stage import analyse_archive
from dreamdraw.installation.cluster import RayEngine, RaySettings
from dreamdraw.installation.reanalysis import LocalEngine
from dreamdraw.paper import Paper
from dreamdraw.speech import Segment, Transcript

DREAMS = [
    "a whale swimming over the city at night",
    "my teeth fell out on a train",
    "a house made of bread in the snow",
    "flying over my old school with a red bird",
]


def a_pair(index: int) -> tuple[Transcript, Drawing]:
    """A dream and a 24-stroke drawing (canvas px), different for every index."""
    text = DREAMS[index % len(DREAMS)]
    transcript = Transcript(text, "en", text, [Segment(0.0, 2.0, text, -0.3, 0.01)], duration_s=2.0)
    strokes = [
        Stroke(
            1 + k % 3,
            [(10 + 11 * k + index, 20 + 3 * k), (40 + 9 * k, 60), (30 + 7 * k, 150), (60, 180)],
        )
        for k in range(24)
    ]
    return transcript, Drawing(300, 200, Paper(297.0, 198.0), list(DEFAULT_PENS), strokes)


def an_archive(folder: Path, pairs: int):
    archive = open_archive(folder)
    for index in range(pairs):
        transcript, drawing = a_pair(index)
        archive.add(transcript=transcript, drawing=drawing, venue="bench")
    return archive


def timed_run(folder: Path, pairs: int, settings: AnalysisSettings, engine) -> dict:
    """Analyses a fresh archive of `pairs` pairs with `engine`; wall and driver CPU seconds."""
    with an_archive(folder, pairs) as archive:
        wall, cpu = time.perf_counter(), time.process_time()
        done = analyse_archive(archive, None, settings, folder, everything=True, engine=engine)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(done) == pairs and not any(d.error for d in done), [d.error for d in done]
    return {
        "wall_s": wall,
        "driver_cpu_s": cpu,
        "pairs_per_min": pairs / wall * 60,
        "pair_s": sum(d.seconds for d in done) / pairs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=16)
    parser.add_argument("--budget", type=int, default=256, help="FIXLIP coalitions per pair")
    args = parser.parse_args()
    settings = dataclasses.replace(
        AnalysisSettings(),
        clip="toy:clip",
        device="cpu",
        fixlip_budget=args.budget,
        figures=False,
    )
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        local = LocalEngine(load_clip("toy:clip"), settings)
        runs["one_process"] = timed_run(Path(tmp) / "local", args.pairs, settings, local)
        ray.init(
            address="local",
            num_cpus=2,
            include_dashboard=False,
            logging_level="WARNING",
            log_to_driver=False,
        )
        try:
            for workers in (1, 2):
                ray_settings = RaySettings(workers=workers, batch_size=2)
                with RayEngine(settings, ray_settings) as engine:
                    engine.worker_pids()  # wait until every worker holds its CLIP
                    folder = Path(tmp) / f"ray{workers}"
                    runs[f"ray_{workers}"] = timed_run(folder, args.pairs, settings, engine)
        finally:
            ray.shutdown()
    two, one = runs["ray_2"], runs["ray_1"]
    print(
        json.dumps(
            {
                "bench": "cluster",
                "pairs": args.pairs,
                "fixlip_budget": args.budget,
                "clip": "toy:clip",
                "cpus": os.cpu_count(),
                "load_1min": os.getloadavg()[0],
                "python": platform.python_version(),
                "ray": ray.__version__,
                "pairs_per_min": {k: round(v["pairs_per_min"], 2) for k, v in runs.items()},
                "pair_s": {k: round(v["pair_s"], 3) for k, v in runs.items()},
                "speedup_2_over_1_workers": round(two["pairs_per_min"] / one["pairs_per_min"], 3),
                "driver_cpu_s_per_pair": round(two["driver_cpu_s"] / args.pairs, 4),
                "driver_share_of_pair_time": round(
                    two["driver_cpu_s"] / args.pairs / two["pair_s"], 4
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
