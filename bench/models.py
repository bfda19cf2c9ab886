"""Model benchmark: what loading and checking the show's models costs, and a rehearsal drawing.

    python -m bench.models [--device cpu] [--strokes 64] [--iterations 150]

Prints one JSON line:

- sha256_mb_per_s: the sha256 check every load does, on ViT-B-32's weights (fp16 safetensors,
  random values, in open_clip's hub cache layout as tests/drawing/clip_cache.py writes them);
- vit_b32_load_s: `load_clip("ViT-B-32:openai")` from that cache, offline, sha256 check
  included (first load in the process), and vit_b32_sha256_s, the check's share of it;
- toy_load_s: loading the toy CLIP shipped for rehearsals;
- rehearsal_draw_s: one plotter-mode drawing of "a red house" with the toy CLIP on the
  rehearsal's 64 px canvas (--strokes, --iterations: the CPU caps of a show by default).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--strokes", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=150)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["HF_HUB_CACHE"] = tmp
        from dreamdraw.drawing import DrawSettings, draw, load_clip
        from dreamdraw.model_files import sha256_file

        from tests.drawing.clip_cache import fabricate_hub_cache

        fabricated = fabricate_hub_cache(Path(tmp))
        size_mb = fabricated.weights.stat().st_size / 1e6
        started = time.perf_counter()
        sha256_file(fabricated.weights)
        sha_s = time.perf_counter() - started

        started = time.perf_counter()
        load_clip("ViT-B-32:openai", device=args.device)
        vit_s = time.perf_counter() - started

        started = time.perf_counter()
        load_clip("toy:clip", device=args.device)
        toy_s = time.perf_counter() - started

        settings = DrawSettings(
            clip="toy:clip",
            device=args.device,
            seed=0,
            canvas_px=64,
            strokes=args.strokes,
            iterations=args.iterations,
        )
        started = time.perf_counter()
        drawing = draw("a red house", settings)
        draw_s = time.perf_counter() - started

    print(
        json.dumps(
            {
                "bench": "models",
                "device": args.device,
                "weights_mb": round(size_mb, 1),
                "sha256_mb_per_s": round(size_mb / sha_s, 1),
                "vit_b32_load_s": round(vit_s, 2),
                "vit_b32_sha256_s": round(sha_s, 2),
                "toy_load_s": round(toy_s, 2),
                "rehearsal_draw_s": round(draw_s, 2),
                "rehearsal_strokes": len(drawing.strokes),
                "rehearsal_iterations": args.iterations,
                "rehearsal_score": round(float(drawing.final_score or 0.0), 4),
            }
        )
    )


if __name__ == "__main__":
    main()
