"""Drawing benchmark: ms per CLIPDraw iteration (rasterizer, CLIP, total) and peak memory; one JSON line.

Cases: (a) classic: ViT-B-32 with random weights, 256 strokes, 224x224, 4 augmentations;
(b) plotter: A4 landscape, 256 strokes, 3 pens, and the time to prune its 256 strokes
(random ones: the worst case, many candidates help); plus the rasterizer alone at 1024 strokes
on a 512x512 canvas (memory bound). Run from the repository root:
`python -m bench.drawing [--device cpu|cuda]`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import resource
import time

import torch
from dreamdraw.drawing import (
    DEFAULT_PENS,
    DrawSettings,
    augment,
    draw,
    letterbox,
    load_clip,
    rasterize,
)
from dreamdraw.drawing.clipdraw import _Strokes, canvas_for
from dreamdraw.drawing.prune import prune_strokes


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn, device: torch.device, repeats: int) -> float:
    """Median ms of fn() over repeats, after one warm-up call."""
    fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[len(times) // 2]


def _peak_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_case(
    settings: DrawSettings, clip, device: torch.device, repeats: int, iterations: int
) -> dict:
    paper, width, height = canvas_for(settings)
    mm_per_px = paper.width_mm / width
    params = _Strokes(settings, width, height, mm_per_px, torch.Generator().manual_seed(0), device)
    mode = "over" if settings.mode == "classic" else "ink"
    text = clip.encode_text(["a whale flying over a sleeping city"])

    def raster_step():
        image = rasterize(params.batch(0.5), height, width, mode=mode)
        image.sum().backward()

    image = rasterize(params.batch(0.5), height, width, mode=mode).detach()
    gen = torch.Generator().manual_seed(0)

    def clip_step():
        leaf = letterbox(image).requires_grad_(True)
        views = augment(leaf, settings.augmentations, clip.image_size, generator=gen)
        (-(clip.encode_image(views) @ text[0]).sum()).backward()

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    raster_ms = _timed(raster_step, device, repeats)
    clip_ms = _timed(clip_step, device, repeats)
    # The per-iteration figure leaves out plotter mode's pruning, timed on its own below.
    run = dataclasses.replace(
        settings, iterations=iterations, progress_every=iterations, prune=False
    )
    draw("warm up", dataclasses.replace(run, iterations=2), clip=clip)
    _sync(device)
    start = time.perf_counter()
    draw("a whale flying over a sleeping city", run, clip=clip)
    _sync(device)
    total_ms = (time.perf_counter() - start) * 1000 / iterations
    pruning = {}
    if settings.mode == "plotter":
        with torch.no_grad():
            batch = params.batch(1.0, snapped=True)
        _sync(device)
        start = time.perf_counter()
        keep = prune_strokes(batch, height, width, clip, text[0])
        _sync(device)
        pruning = {
            "prune_s": round(time.perf_counter() - start, 2),
            "prune_kept": f"{int(keep.sum())}/{len(keep)}",
        }
    return {
        **pruning,
        "raster_fwd_bwd_ms": round(raster_ms, 2),
        "clip_fwd_bwd_ms": round(clip_ms, 2),
        "iteration_ms": round(total_ms, 2),
        "est_1000_iterations_s": round(total_ms, 2),
        "canvas": [width, height],
        "peak_mb": round(_peak_mb(device), 1),
    }


def bench_memory(device: torch.device, strokes: int = 1024, size: int = 512) -> dict:
    settings = DrawSettings(mode="classic", strokes=strokes, seed=0)
    params = _Strokes(settings, size, size, 1.0, torch.Generator().manual_seed(0), device)
    with torch.no_grad():
        params.half_widths.fill_(4.0)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    image = rasterize(params.batch(1.0), size, size, mode="over")
    image.sum().backward()
    _sync(device)
    return {
        "strokes": strokes,
        "canvas": [size, size],
        "fwd_bwd_ms": round((time.perf_counter() - start) * 1000, 1),
        "peak_mb": round(_peak_mb(device), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per component")
    parser.add_argument(
        "--iterations", type=int, default=None, help="iterations of the end-to-end run"
    )
    parser.add_argument("--clip", default="ViT-B-32:random", help="CLIP for both cases")
    args = parser.parse_args()
    device = torch.device(args.device)
    on_gpu = device.type == "cuda"
    repeats = args.repeats or (50 if on_gpu else 3)
    iterations = args.iterations or (100 if on_gpu else 3)
    clip = load_clip(args.clip, device=device)
    classic = DrawSettings(mode="classic", strokes=256, augmentations=4, seed=0, clip=args.clip)
    plotter = DrawSettings(
        mode="plotter",
        strokes=256,
        augmentations=4,
        seed=0,
        paper="A4",
        clip=args.clip,
        pens=list(DEFAULT_PENS),
    )
    result = {
        "benchmark": "drawing",
        "device": torch.cuda.get_device_name(device)
        if on_gpu
        else f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)",
        "torch": torch.__version__,
        "clip": args.clip,
        "classic": bench_case(classic, clip, device, repeats, iterations),
        "plotter": bench_case(plotter, clip, device, repeats, iterations),
        "raster_1024_strokes_512px": bench_memory(device),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
