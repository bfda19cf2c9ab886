"""Quality benchmark on the toy world: drawings under an independent judge, clusters, FIXLIP pointing; one JSON line.

The drawer (toy CLIP seed 1) draws held-out prompts of the world in plotter and classic
mode; the judge (toy CLIP seed 2, never used for drawing) ranks each prompt among the
captions of its family. Pairs whose cluster is known by construction go through
`analysis.analyse_pair`; FIXLIP's pointing game runs on 2x2 scenes. All figures are
measured on the toy world, not on real CLIP. Run from the repository root:
`python -m bench.quality [--prompts 30] [--iterations 300]`.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch
from dreamdraw.drawing import DrawSettings, load_clip
from dreamdraw.drawing.clip import TOY_CLIP_DIR

from bench.toyworld.quality import (
    DRAWING_TASKS,
    cluster_quality,
    drawing_prompts,
    drawing_quality,
    pointing_quality,
    zero_shot_report,
)
from bench.toyworld.world import World, palette_pens

MODELS = Path(__file__).with_name("toyworld") / "models"
DRAWER = TOY_CLIP_DIR  # the drawer ships with dreamdraw, for rehearsals
JUDGE = MODELS / "toy-judge-s2"


def _summary(result: dict) -> dict:
    """A drawing result without its per-prompt rows, plus the judge's rank per prompt."""
    out = {k: v for k, v in result.items() if k != "per_prompt"}
    out["judge_ranks"] = {r["prompt"]: r["judge_rank"] for r in result["per_prompt"]}
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawer", type=Path, default=DRAWER, help="toy CLIP that draws")
    parser.add_argument("--judge", type=Path, default=JUDGE, help="toy CLIP that judges")
    parser.add_argument("--prompts", type=int, default=30, help="held-out prompts per mode")
    parser.add_argument("--iterations", type=int, default=300, help="CLIPDraw steps per drawing")
    parser.add_argument("--strokes", type=int, default=12, help="strokes in plotter mode")
    parser.add_argument("--classic-strokes", type=int, default=32, help="strokes in classic mode")
    parser.add_argument("--augmentations", type=int, default=4, help="augmented views per step")
    parser.add_argument("--modes", default="plotter,classic", help="drawing modes to run")
    parser.add_argument("--cluster-pairs", type=int, default=15, help="pairs per cluster")
    parser.add_argument("--pointing-scenes", type=int, default=6, help="2x2 scenes for FIXLIP")
    parser.add_argument("--fixlip-budget", type=int, default=32768, help="coalitions per scene")
    parser.add_argument("--zero-shot", type=int, default=60, help="scenes per zero-shot task")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    drawer = load_clip(checkpoint=args.drawer)
    judge = load_clip(checkpoint=args.judge)
    prompts = drawing_prompts(args.prompts)
    result: dict = {
        "benchmark": "quality",
        "caveat": "measured on the procedural toy world with toy CLIP models, not on real CLIP",
        "drawer": drawer.model_id,
        "judge": judge.model_id,
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "threads": args.threads,
    }
    # How well each model reads the views CLIPDraw optimises through (the drawer follows
    # their gradients): zero-shot top-1 on held-out scenes, plain and as such views.
    world = World(drawer.image_size, "heldout")
    for name, model in (("drawer", drawer), ("judge", judge)):
        result[f"{name}_zero_shot_top1"] = {
            view: {
                task: row["top1"]
                for task, row in zero_shot_report(
                    model, world, args.zero_shot, 0, set(DRAWING_TASKS), clipdraw_views=views
                ).items()
            }
            for view, views in (("plain", False), ("clipdraw_views", True))
        }
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        settings = DrawSettings(
            mode=mode,
            device="cpu",
            strokes=args.strokes if mode == "plotter" else args.classic_strokes,
            iterations=args.iterations,
            augmentations=args.augmentations,
            seed=0,
            paper="64x64mm",
            canvas_px=64,
            pens=palette_pens(64),
            progress_every=args.iterations,
        )
        result[f"drawing_{mode}"] = _summary(drawing_quality(prompts, settings, drawer, judge))
    if args.cluster_pairs > 0:
        result["clusters"] = cluster_quality(drawer, args.cluster_pairs)
    if args.pointing_scenes > 0:
        result["fixlip_pointing"] = pointing_quality(
            drawer, args.pointing_scenes, budget=args.fixlip_budget
        )
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
