"""Benchmark of the explainability suite; prints one JSON line.

FIXLIP on ViT-B-32 (random weights, 49 patches + 12 words), per-stroke ablation of a
256-stroke drawing, and the ResNet-50 x RN50 surgery correlation table. `--quick`
shrinks the budgets for a CPU run (the issue's goals are for one H100). Run as
`python -m bench.analysis [--device cpu|cuda] [--quick]`.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time

import open_clip
import torch
from dreamdraw.analysis.captions import caption_bank
from dreamdraw.analysis.clip_game import ClipPairGame
from dreamdraw.analysis.fixlip import FixlipApproximator
from dreamdraw.analysis.inputs import square_image
from dreamdraw.analysis.probing import ablate_strokes
from dreamdraw.analysis.scorer import ClipScorer
from dreamdraw.analysis.surgery import correlation_table, load_standalone
from dreamdraw.drawing import DEFAULT_PENS, ClipModel, Drawing, Stroke, resolve_device
from dreamdraw.paper import Paper

DREAM = "I was flying over a red city at night and my teeth turned into birds"  # 15 words


def random_clip(name: str, device: torch.device) -> ClipModel:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = open_clip.create_model(name, device=device).eval().requires_grad_(False)
    mean = torch.tensor(open_clip.OPENAI_DATASET_MEAN, device=device)
    std = torch.tensor(open_clip.OPENAI_DATASET_STD, device=device)
    return ClipModel(
        model, open_clip.get_tokenizer(name), f"{name}-random", 224, mean, std, device, True
    )


def random_drawing(strokes: int, seed: int = 0) -> Drawing:
    g = torch.Generator().manual_seed(seed)
    lines = []
    for k in range(strokes):
        start = torch.rand(2, generator=g) * torch.tensor([300.0, 200.0])
        steps = (torch.rand(3, 2, generator=g) - 0.5) * 30
        points = torch.cat([start[None], start + steps.cumsum(0)])
        lines.append(Stroke(pen=1 + k % 3, points=[tuple(p) for p in points.tolist()]))
    return Drawing(300, 200, Paper(297.0, 198.0), list(DEFAULT_PENS), lines)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--budget", type=int, default=2**17, help="FIXLIP coalitions")
    parser.add_argument("--strokes", type=int, default=256)
    parser.add_argument("--images", type=int, default=256, help="images for the surgery table")
    parser.add_argument("--quick", action="store_true", help="CPU sizes: 2^11 coalitions, 2 images")
    parser.add_argument("--skip-surgery", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.budget, args.images = min(args.budget, 2**11), min(args.images, 2)
    device = resolve_device(args.device)
    torch.manual_seed(0)
    out: dict[str, object] = {
        "bench": "analysis",
        "device": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or "cpu",
        "threads": torch.get_num_threads(),
    }

    clip = random_clip("ViT-B-32", device)
    scorer = ClipScorer(clip, batch_size=256 if device.type == "cuda" else 32)
    words = DREAM.split()[:12]
    drawing = random_drawing(args.strokes)
    square = square_image(drawing.render(448), 224).to(device)
    game = ClipPairGame(scorer, square, scorer.word_tokens(words))
    approximator = FixlipApproximator(p=0.5, order=2, heldout=1000, device=device)
    approximator.approximate(64, game)  # warm-up (kernels, allocator)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    sync(device)
    started = time.perf_counter()
    result = approximator.approximate(args.budget, game)
    sync(device)
    out["fixlip"] = {
        "players": f"{game.n_image} patches + {game.n_text} words",
        "coalitions": result.budget,
        "seconds": round(time.perf_counter() - started, 3),
        "peak_memory_mb": round(peak_memory_mb(device), 1),
        "r2": round(result.r2, 4),
        "aid": round(result.aid, 4),
    }

    bank = caption_bank(["city", "teeth", "birds"])
    features = scorer.encode_texts(bank.captions)
    ablate_strokes(scorer, random_drawing(8), bank, features)  # warm-up
    sync(device)
    started = time.perf_counter()
    ablation = ablate_strokes(scorer, drawing, bank, features)
    sync(device)
    out["stroke_ablation"] = {
        "strokes": len(ablation.carries),
        "captions": len(bank.captions),
        "seconds": round(time.perf_counter() - started, 3),
    }

    if not args.skip_surgery:
        rn50 = random_clip("RN50", device)
        resnet50 = load_standalone("torchvision:resnet50", device=str(device))
        images = torch.rand(args.images, 3, 224, 224)
        sync(device)
        started = time.perf_counter()
        z, _ = correlation_table(
            resnet50, rn50, images, batch_size=32 if device.type == "cuda" else 4
        )
        sync(device)
        out["surgery_table"] = {
            "images": args.images,
            "shape": list(z.shape),
            "seconds": round(time.perf_counter() - started, 3),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
