"""Contrastive training of a small open_clip model on the toy world, saved in open_clip's local-dir layout.

Run from the repository root, for example
`nice -n 19 python -m bench.toyworld.train --preset cpu --seed 1 --out drawing/toy_clip`.
The output folder holds `open_clip_config.json` ({"model_cfg", "preprocess_cfg"}),
`open_clip_pytorch_model.bin` (float16 weights), `training_report.json` and
`training_report.md` (zero-shot accuracy on held-out scenes per caption family), so it
loads with `drawing.load_clip(checkpoint=DIR)` or `dreamdraw draw --clip-checkpoint DIR`.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from bench.toyworld.quality import report_markdown, zero_shot_report
from bench.toyworld.world import Scene, World, render_scenes

__all__ = ["Preset", "PRESETS", "model_config", "train", "main"]

MEAN = (0.48145466, 0.4578275, 0.40821073)  # OpenAI CLIP's normalisation
STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class Preset:
    """Model and training sizes. Images are size x size px, patches patch x patch px."""

    size: int = 64
    patch: int = 8
    vision_width: int = 64
    vision_layers: int = 2
    text_width: int = 64
    text_layers: int = 2
    context_length: int = 24
    embed_dim: int = 64
    scenes: int = 20_000
    steps: int = 8000
    batch: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.05
    eval_per_family: int = 60
    clipdraw_views: float = 0.5
    threads: int = 1
    device: str = "cpu"
    notes: list[str] = field(default_factory=list)


PRESETS: dict[str, Preset] = {
    "cpu": Preset(notes=["about 50 minutes on one CPU core (2 minutes of it rendering scenes)"]),
    "gpu": Preset(
        vision_width=256,
        vision_layers=6,
        text_width=128,
        text_layers=4,
        embed_dim=128,
        scenes=60_000,
        steps=15_000,
        batch=512,
        lr=1e-3,
        eval_per_family=400,
        threads=8,
        device="cuda",
        notes=[
            "sized for one H100 within 20 minutes; not run yet: scene generation is "
            "single-threaded numpy (about 7 ms per scene), rendering runs on the GPU"
        ],
    ),
}


def model_config(p: Preset) -> dict:
    """open_clip model_cfg: a ViT over a (size/patch)^2 patch grid and a small text tower
    with the standard CLIP tokenizer (vocabulary 49408)."""
    return {
        "embed_dim": p.embed_dim,
        "vision_cfg": {
            "image_size": p.size,
            "layers": p.vision_layers,
            "width": p.vision_width,
            "head_width": 32,
            "patch_size": p.patch,
        },
        "text_cfg": {
            "context_length": p.context_length,
            "vocab_size": 49408,
            "width": p.text_width,
            "heads": max(1, p.text_width // 32),
            "layers": p.text_layers,
        },
    }


def _caption_table(scenes: list[Scene]) -> tuple[list[str], list[list[int]]]:
    """Unique captions and, per scene, the indices of its captions (canonical first)."""
    index: dict[str, int] = {}
    per_scene = []
    for scene in scenes:
        per_scene.append([index.setdefault(c, len(index)) for c in scene.captions])
    return list(index), per_scene


def _shift(images: torch.Tensor, gen: torch.Generator, max_px: int = 2) -> torch.Tensor:
    """Move each image [B, 3, S, S] by up to max_px px, filling with white paper."""
    b, _, s, _ = images.shape
    padded = F.pad(images - 1.0, (max_px,) * 4) + 1.0
    dx = torch.randint(0, 2 * max_px + 1, (b,), generator=gen).to(images.device)
    dy = torch.randint(0, 2 * max_px + 1, (b,), generator=gen).to(images.device)
    span = torch.arange(s, device=images.device)
    rows = (dy[:, None] + span[None]).reshape(b, 1, s, 1).expand(b, 3, s, s + 2 * max_px)
    cols = (dx[:, None] + span[None]).reshape(b, 1, 1, s).expand(b, 3, s, s)
    return padded.gather(2, rows).gather(3, cols)


def _views(images: torch.Tensor, share: float, gen: torch.Generator) -> torch.Tensor:
    """Shift every image [B, 3, S, S] a little; a `share` of them instead become the
    perspective-and-crop views CLIPDraw shows the model while drawing. A model trained
    on clean scenes only cannot read those views (zero-shot word top-1 drops from 0.88
    to 0.12), so drawing with it follows gradients from images it does not understand;
    real CLIP has seen crops of everything."""
    from dreamdraw.drawing import augment

    out = _shift(images, gen)
    chosen = torch.nonzero(torch.rand(len(images), generator=gen) < share).flatten()
    if len(chosen):
        out[chosen] = augment(images[chosen], len(chosen), images.shape[-1], generator=gen)
    return out


class _UsedRows(torch.nn.Module):
    """Trains only the token-embedding rows of tokens the captions use: the full
    [49408, W] table stays in the model, but its optimiser state and gradient would
    cost more than the rest of the text tower on a CPU."""

    def __init__(self, table: torch.nn.Embedding, used: torch.Tensor):
        super().__init__()
        remap = torch.zeros(table.num_embeddings, dtype=torch.long)
        remap[used] = torch.arange(len(used))
        self.register_buffer("used", used, persistent=False)
        self.register_buffer("remap", remap, persistent=False)
        self.rows = torch.nn.Parameter(table.weight.detach()[used].clone())

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return F.embedding(self.remap[ids], self.rows)


def train(preset: Preset, seed: int, out: Path, log=print) -> dict:
    """Train one model and write it with its report into `out`; returns the report."""
    import open_clip

    started = time.perf_counter()
    torch.set_num_threads(preset.threads)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    device = torch.device(preset.device)

    world = World(preset.size, "train")
    scenes = world.scenes(preset.scenes, seed)
    images = (render_scenes(scenes, device=device) * 255).round().to(torch.uint8)
    captions, per_scene = _caption_table(scenes)
    data_s = time.perf_counter() - started
    log(f"{len(scenes)} scenes, {len(captions)} captions rendered in {data_s:.0f} s")

    cfg = model_config(preset)
    model = open_clip.model.CLIP(**cfg).to(device)
    tokenizer = open_clip.SimpleTokenizer(context_length=preset.context_length)
    tokens = tokenizer(captions)
    table = model.token_embedding
    model.token_embedding = _UsedRows(table, torch.unique(tokens)).to(device)
    membership = [set(c) for c in per_scene]
    mean = torch.tensor(MEAN, device=device)[:, None, None]
    std = torch.tensor(STD, device=device)[:, None, None]

    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    other = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "embedding" not in n)]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": preset.weight_decay},
            {"params": other, "weight_decay": 0},
        ],
        lr=preset.lr,
        betas=(0.9, 0.98),
    )
    warmup = max(1, preset.steps // 20)

    def lr_at(step: int) -> float:
        if step < warmup:
            return preset.lr * (step + 1) / warmup
        return 0.5 * preset.lr * (1 + math.cos(math.pi * (step - warmup) / (preset.steps - warmup)))

    gen = torch.Generator().manual_seed(seed)
    losses = []
    train_started = time.perf_counter()
    for step in range(preset.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        idx = torch.randint(0, len(scenes), (preset.batch,), generator=gen)
        # The canonical caption half of the time, else any caption true of the scene.
        chosen = []
        for i in idx.tolist():
            options = per_scene[i]
            pick = 0 if torch.rand(1, generator=gen).item() < 0.5 else None
            if pick is None:
                pick = int(torch.randint(0, len(options), (1,), generator=gen))
            chosen.append(options[pick])
        unique = sorted(set(chosen))
        positives = torch.tensor(
            [[u in membership[i] for u in unique] for i in idx.tolist()], dtype=torch.bool
        ).to(device)
        batch = _views(images[idx].float() / 255.0, preset.clipdraw_views, gen).to(device)
        image_f = F.normalize(model.encode_image((batch - mean) / std), dim=-1)
        text_f = F.normalize(model.encode_text(tokens[unique].to(device)), dim=-1)
        logits = model.logit_scale.exp().clamp(max=100) * image_f @ text_f.T  # [B, U]
        neg_inf = torch.finfo(logits.dtype).min
        i2t = torch.logsumexp(logits.masked_fill(~positives, neg_inf), 1) - torch.logsumexp(
            logits, 1
        )
        t2i = torch.logsumexp(logits.T.masked_fill(~positives.T, neg_inf), 1) - torch.logsumexp(
            logits.T, 1
        )
        loss = -(i2t.mean() + t2i.mean()) / 2
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        losses.append(loss.item())
        if (step + 1) % 50 == 0 or step == 0:
            rate = (step + 1) / (time.perf_counter() - train_started)
            log(
                f"step {step + 1}/{preset.steps} loss {np.mean(losses[-50:]):.3f} "
                f"({rate:.2f} steps/s, {time.perf_counter() - started:.0f} s)"
            )
    train_s = time.perf_counter() - train_started

    with torch.no_grad():
        table.weight[model.token_embedding.used] = model.token_embedding.rows.to(table.weight)
    model.token_embedding = table
    out.mkdir(parents=True, exist_ok=True)
    config = {
        "model_cfg": cfg,
        "preprocess_cfg": {"size": preset.size, "mean": list(MEAN), "std": list(STD)},
    }
    (out / "open_clip_config.json").write_text(json.dumps(config, indent=2) + "\n")
    state = {k: v.detach().cpu().half() for k, v in model.state_dict().items()}
    torch.save(state, out / "open_clip_pytorch_model.bin")

    from dreamdraw.drawing import load_clip

    clip = load_clip(checkpoint=out, device=device)
    zero_shot = zero_shot_report(clip, World(preset.size, "heldout"), preset.eval_per_family, seed)
    report = {
        "name": out.name,
        "seed": seed,
        "preset": {k: v for k, v in preset.__dict__.items()},
        "model_cfg": cfg,
        "parameters": sum(p.numel() for p in model.parameters()),
        "checkpoint_mb": round((out / "open_clip_pytorch_model.bin").stat().st_size / 2**20, 2),
        "train_scenes": len(scenes),
        "train_captions": len(captions),
        "data_seconds": round(data_s, 1),
        "train_seconds": round(train_s, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
        "final_loss": round(float(np.mean(losses[-50:])), 4),
        "logit_scale": round(model.logit_scale.exp().item(), 2),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "torch_threads": preset.threads,
        "zero_shot": zero_shot,
    }
    (out / "training_report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "training_report.md").write_text(report_markdown(report))
    log(f"saved {out} in {report['total_seconds']:.0f} s")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--device", default=None, help="override the preset's device (cpu, cuda)")
    parser.add_argument("--steps", type=int, default=None, help="override the preset's steps")
    parser.add_argument("--scenes", type=int, default=None, help="override the preset's scenes")
    parser.add_argument("--batch", type=int, default=None, help="override the preset's batch")
    parser.add_argument("--threads", type=int, default=None, help="override the preset's threads")
    args = parser.parse_args(argv)
    preset = PRESETS[args.preset]
    overrides = {
        k: v for k, v in vars(args).items() if k in Preset.__dataclass_fields__ and v is not None
    }
    if overrides:
        preset = Preset(**{**preset.__dict__, **overrides})
    train(preset, args.seed, args.out)


if __name__ == "__main__":
    main()
