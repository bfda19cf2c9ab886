"""Network surgery (caption-driven explainability): match a standalone CNN's channels to
CLIP RN50's, swap them in, and read what the standalone features say in words.

Standalone activations: the outputs of every convolution outside the residual
shortcuts; CLIP activations: the outputs of visual.layer1..layer4. Each channel is
standardised with its mean and std over images and pixels; Z_ij = mean over images and
pixels of N^S_i * N^C_j, the smaller map upsampled (bilinear) to the larger. Each CLIP
channel j takes i* = argmax_i Z_ij; the swap sets A^C_j <- N^S_{i*} * sigma^C_j + mu^C_j
in one stage at a time, and captions are scored before and after.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from dreamdraw.analysis.errors import AnalysisError
from dreamdraw.drawing import ClipModel
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = [
    "load_standalone",
    "load_images",
    "read_captions",
    "ActivationTaps",
    "correlation_table",
    "SurgeryResult",
    "network_surgery",
]

STAGES = ("layer1", "layer2", "layer3", "layer4")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_EPS = 1e-6


def load_standalone(
    spec: str, checkpoint: str | Path | None = None, device: str = "cpu"
) -> nn.Module:
    """A torchvision classifier `torchvision:NAME` (e.g. torchvision:resnet50) with weights
    from a state-dict checkpoint, or random weights without one."""
    import torchvision

    source, _, name = spec.partition(":")
    if source != "torchvision" or not name:
        raise AnalysisError(
            f"standalone model {spec!r}: use torchvision:NAME, e.g. torchvision:resnet50"
        )
    try:
        model = torchvision.models.get_model(name, weights=None)
    except ValueError:
        raise AnalysisError(f"torchvision has no model {name!r}") from None
    if checkpoint is not None:
        try:
            state = torch.load(checkpoint, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError, ValueError) as exc:
            raise AnalysisError(f"cannot read checkpoint {checkpoint}: {exc}") from None
        state = state.get("state_dict", state) if isinstance(state, dict) else state
        try:
            model.load_state_dict(state)
        except (RuntimeError, TypeError) as exc:
            raise AnalysisError(
                f"checkpoint {checkpoint} does not fit {name}: {str(exc)[:300]}"
            ) from None
    return model.eval().requires_grad_(False).to(device)


def load_images(folder: str | Path, size: int = 224, limit: int | None = None) -> Tensor:
    """PNG/JPEG images of a folder, centre-cropped and resized: [N, 3, size, size] in [0, 1]."""
    from PIL import Image, UnidentifiedImageError

    paths = (
        sorted(
            p
            for p in Path(folder).iterdir()
            if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp")
        )
        if Path(folder).is_dir()
        else []
    )
    if not paths:
        raise AnalysisError(f"{folder} holds no PNG or JPEG images")
    images = []
    for path in paths[:limit]:
        try:
            with Image.open(path) as img:
                rgb = img.convert("RGB")
        except (UnidentifiedImageError, OSError) as exc:
            raise AnalysisError(f"cannot read image {path}: {exc}") from None
        side = min(rgb.size)
        left, top = (rgb.width - side) // 2, (rgb.height - side) // 2
        rgb = rgb.crop((left, top, left + side, top + side)).resize((size, size), Image.BICUBIC)
        images.append(
            torch.frombuffer(bytearray(rgb.tobytes()), dtype=torch.uint8).reshape(size, size, 3)
        )
    return torch.stack(images).permute(0, 3, 1, 2).float() / 255.0


def read_captions(path: str | Path) -> list[str]:
    """Captions, one per line (blank lines and lines starting with # skipped)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise AnalysisError(f"cannot read captions file {path}: {exc}") from None
    captions = [
        line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
    ]
    if not captions:
        raise AnalysisError(f"captions file {path} holds no captions (one per line)")
    return captions


class ActivationTaps:
    """Forward hooks that record named modules' outputs ([B, C, H, W] each) per forward."""

    def __init__(self, modules: dict[str, nn.Module]):
        self.names = list(modules)
        self.outputs: dict[str, Tensor] = {}
        self._handles = [m.register_forward_hook(self._hook(n)) for n, m in modules.items()]

    def _hook(self, name: str):
        def record(_module, _inputs, output):
            self.outputs[name] = output.float()

        return record

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()


def standalone_layers(model: nn.Module) -> dict[str, nn.Module]:
    """Every Conv2d outside the residual shortcuts, by name."""
    return {
        name: m
        for name, m in model.named_modules()
        if isinstance(m, nn.Conv2d) and "downsample" not in name
    }


def clip_layers(clip: ClipModel) -> dict[str, nn.Module]:
    visual = clip.model.visual
    if not all(hasattr(visual, s) for s in STAGES):
        raise AnalysisError(
            f"{clip.model_id} is not a ResNet CLIP; network surgery needs RN50 or similar"
        )
    return {s: getattr(visual, s) for s in STAGES}


@dataclass
class _Side:
    """One network's taps, the channel count per layer and running moments."""

    names: list[str]
    channels: list[int]
    total: Tensor  # per channel, sum of values
    squares: Tensor
    count: Tensor  # per channel, pixels seen

    def offsets(self) -> list[int]:
        out, acc = [], 0
        for c in self.channels:
            out.append(acc)
            acc += c
        return out


def _standalone_forward(model: nn.Module, images: Tensor) -> None:
    mean = torch.tensor(IMAGENET_MEAN, device=images.device)[:, None, None]
    std = torch.tensor(IMAGENET_STD, device=images.device)[:, None, None]
    model((images - mean) / std)


def _clip_forward(clip: ClipModel, images: Tensor) -> Tensor:
    x = (images - clip.mean[:, None, None]) / clip.std[:, None, None]
    return F.normalize(clip.model.encode_image(x).float(), dim=-1)


def _moments(taps: ActivationTaps, side: _Side | None, device) -> _Side:
    if side is None:
        channels = [taps.outputs[n].shape[1] for n in taps.names]
        zeros = torch.zeros(sum(channels), dtype=torch.float64, device=device)
        side = _Side(list(taps.names), channels, zeros.clone(), zeros.clone(), zeros.clone())
    for name, offset, c in zip(side.names, side.offsets(), side.channels, strict=True):
        a = taps.outputs[name].double()
        side.total[offset : offset + c] += a.sum(dim=(0, 2, 3))
        side.squares[offset : offset + c] += (a * a).sum(dim=(0, 2, 3))
        side.count[offset : offset + c] += a.shape[0] * a.shape[2] * a.shape[3]
    return side


def _mean_std(side: _Side) -> tuple[Tensor, Tensor]:
    mean = side.total / side.count
    var = (side.squares / side.count - mean * mean).clamp_min(0)
    return mean.float(), var.sqrt().float().clamp_min(_EPS)


def _standardised(taps: ActivationTaps, side: _Side, mean: Tensor, std: Tensor) -> list[Tensor]:
    out = []
    for name, offset, c in zip(side.names, side.offsets(), side.channels, strict=True):
        a = taps.outputs[name]
        out.append(
            (a - mean[offset : offset + c, None, None]) / std[offset : offset + c, None, None]
        )
    return out


def correlation_table(
    standalone: nn.Module, clip: ClipModel, images: Tensor, batch_size: int = 16
) -> tuple[Tensor, dict]:
    """Z [standalone channels, CLIP channels] (float32) and the statistics behind it
    (per network: layer names, channels per layer, channel means and stds; CLIP: the
    stages' output sizes).

    images: [N, 3, S, S] in [0, 1]. Two passes over the images: channel moments, then
    the correlation, accumulated per batch and per layer pair.
    """
    device = clip.device
    s_taps = ActivationTaps(standalone_layers(standalone))
    c_taps = ActivationTaps(clip_layers(clip))
    try:
        s_side = c_side = None
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                batch = images[start : start + batch_size].to(device)
                _standalone_forward(standalone, batch)
                _clip_forward(clip, batch)
                s_side = _moments(s_taps, s_side, device)
                c_side = _moments(c_taps, c_side, device)
            s_mean, s_std = _mean_std(s_side)
            c_mean, c_std = _mean_std(c_side)
            z = torch.zeros(sum(s_side.channels), sum(c_side.channels), device=device)
            for start in range(0, len(images), batch_size):
                batch = images[start : start + batch_size].to(device)
                _standalone_forward(standalone, batch)
                _clip_forward(clip, batch)
                s_maps = _standardised(s_taps, s_side, s_mean, s_std)
                c_maps = _standardised(c_taps, c_side, c_mean, c_std)
                for c_map, c_off in zip(c_maps, c_side.offsets(), strict=True):
                    for s_map, s_off in zip(s_maps, s_side.offsets(), strict=True):
                        block = _summed_products(s_map, c_map) / len(images)
                        z[s_off : s_off + s_map.shape[1], c_off : c_off + c_map.shape[1]] += block
    finally:
        s_taps.close()
        c_taps.close()
    stats = {
        "standalone": {
            "layers": s_side.names,
            "channels": s_side.channels,
            "mean": s_mean,
            "std": s_std,
        },
        "clip": {
            "layers": c_side.names,
            "channels": c_side.channels,
            "mean": c_mean,
            "std": c_std,
            "sizes": [tuple(c_taps.outputs[n].shape[-2:]) for n in c_side.names],
        },
    }
    return z, stats


def _summed_products(a: Tensor, b: Tensor) -> Tensor:
    """[Ca, Cb]: sum over the batch of the pixel mean of a_i * b_j, the smaller map
    upsampled (bilinear) to the larger's size.

    Computed at the smaller size: sum_p a_p (U b)_p = sum_q (U^T a)_q b_q, with U^T (the
    adjoint of the upsampling) applied to the larger map by autograd, so the many
    channels of the smaller map are never upsampled.
    """
    if a.shape[-2:] == b.shape[-2:]:
        return torch.einsum("bchw,bdhw->cd", a, b) / (a.shape[2] * a.shape[3])
    if a.shape[-1] < b.shape[-1]:
        return _summed_products(b, a).T
    with torch.enable_grad():
        probe = torch.zeros(*a.shape[:2], *b.shape[-2:], device=a.device, requires_grad=True)
        up = F.interpolate(probe, size=a.shape[-2:], mode="bilinear", align_corners=False)
        (adjoint,) = torch.autograd.grad(up, probe, grad_outputs=a)
    return torch.einsum("bchw,bdhw->cd", adjoint, b) / (a.shape[2] * a.shape[3])


@dataclass
class SurgeryResult:
    """Caption scores before and after swapping each stage.

    before: cosines [N images][C captions]; after[stage]: the same with that stage's
    CLIP channels replaced; tallies[stage][caption]: images whose largest score gain is
    that caption; matches[stage]: per CLIP channel, (standalone layer, channel, Z).
    """

    captions: list[str]
    before: list[list[float]]
    after: dict[str, list[list[float]]]
    tallies: dict[str, dict[str, int]]
    matches: dict[str, list[tuple[str, int, float]]] = field(default_factory=dict)
    standalone_channels: int = 0
    clip_channels: int = 0
    seconds: float = 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> SurgeryResult:
        data = json.loads(text)
        data["matches"] = {k: [tuple(m) for m in v] for k, v in data["matches"].items()}
        return cls(**data)


@contextmanager
def _swapped(clip: ClipModel, stage: str, replacement: dict[str, Tensor]):
    """Replace a CLIP stage's output with replacement["value"] ([B, C, H, W]) for one forward."""
    module = getattr(clip.model.visual, stage)
    handle = module.register_forward_hook(lambda _m, _i, out: replacement["value"].to(out.dtype))
    try:
        yield
    finally:
        handle.remove()


def network_surgery(
    standalone: nn.Module,
    clip: ClipModel,
    images: Tensor,
    captions: list[str],
    batch_size: int = 16,
    table: tuple[Tensor, dict] | None = None,
) -> SurgeryResult:
    """Match, swap stage by stage, and score `captions` on images [N, 3, S, S] in [0, 1].

    table: `correlation_table` of the same models and images, when already computed.
    """
    if not captions:
        raise AnalysisError("network surgery needs at least one caption")
    started = time.perf_counter()
    z, stats = table or correlation_table(standalone, clip, images, batch_size)
    best_value, best = z.max(dim=0)  # per CLIP channel
    s_names, s_channels = stats["standalone"]["layers"], stats["standalone"]["channels"]
    s_offsets = torch.tensor(
        [0, *torch.tensor(s_channels).cumsum(0).tolist()[:-1]], device=best.device
    )
    s_layer = torch.bucketize(best, s_offsets, right=True) - 1
    c_channels = stats["clip"]["channels"]
    c_offsets = [0, *torch.tensor(c_channels).cumsum(0).tolist()[:-1]]
    text = clip.encode_text(captions)
    s_taps = ActivationTaps(standalone_layers(standalone))
    before, after = [], {s: [] for s in STAGES}
    try:
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                batch = images[start : start + batch_size].to(clip.device)
                _standalone_forward(standalone, batch)
                s_maps = _standardised_from_stats(s_taps, s_names, s_channels, stats["standalone"])
                before.append(_clip_forward(clip, batch) @ text.T)
                for k, stage in enumerate(STAGES):
                    lo, hi = c_offsets[k], c_offsets[k] + c_channels[k]
                    value = _replacement(
                        s_maps,
                        s_layer[lo:hi],
                        best[lo:hi] - s_offsets[s_layer[lo:hi]],
                        stats["clip"]["mean"][lo:hi],
                        stats["clip"]["std"][lo:hi],
                        size=stats["clip"]["sizes"][k],
                    )
                    with _swapped(clip, stage, {"value": value}):
                        after[stage].append(_clip_forward(clip, batch) @ text.T)
    finally:
        s_taps.close()
    before_t = torch.cat(before)
    tallies, after_lists, matches = {}, {}, {}
    for k, stage in enumerate(STAGES):
        scores = torch.cat(after[stage])
        gain = (scores - before_t).argmax(dim=1)
        counts = Counter(captions[i] for i in gain.tolist())
        tallies[stage] = {c: counts.get(c, 0) for c in captions}
        after_lists[stage] = scores.tolist()
        lo, hi = c_offsets[k], c_offsets[k] + c_channels[k]
        matches[stage] = [
            (s_names[int(layer)], int(idx - s_offsets[layer]), float(v))
            for layer, idx, v in zip(s_layer[lo:hi], best[lo:hi], best_value[lo:hi], strict=True)
        ]
    return SurgeryResult(
        captions=list(captions),
        before=before_t.tolist(),
        after=after_lists,
        tallies=tallies,
        matches=matches,
        standalone_channels=int(sum(s_channels)),
        clip_channels=int(sum(c_channels)),
        seconds=time.perf_counter() - started,
    )


def _standardised_from_stats(
    taps: ActivationTaps, names: list[str], channels: list[int], stats: dict
) -> list[Tensor]:
    out, offset = [], 0
    for name, c in zip(names, channels, strict=True):
        m = stats["mean"][offset : offset + c, None, None]
        s = stats["std"][offset : offset + c, None, None]
        out.append((taps.outputs[name] - m) / s)
        offset += c
    return out


def _replacement(
    s_maps: list[Tensor],
    layers: Tensor,
    channels: Tensor,
    mean: Tensor,
    std: Tensor,
    size: tuple[int, int],
) -> Tensor:
    """A CLIP stage output [B, C, H, W] built from matched standalone channels, inverse-standardised."""
    batch = s_maps[0].shape[0]
    out = torch.empty(batch, len(layers), *size, device=mean.device)
    for layer in layers.unique().tolist():
        where = (layers == layer).nonzero()[:, 0]
        picked = s_maps[layer][:, channels[where]]
        if picked.shape[-2:] != size:
            picked = F.interpolate(picked, size=size, mode="bilinear", align_corners=False)
        out[:, where] = picked
    return out * std[None, :, None, None] + mean[None, :, None, None]
