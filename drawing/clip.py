"""CLIP loading through one factory: a pretrained tag, a local checkpoint, or a model config."""

from __future__ import annotations

import functools
import logging
import os
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
from dreamdraw.drawing.errors import ClipModelMissing, DrawingError
from torch import Tensor, nn

__all__ = ["ClipModel", "load_clip", "pull_clip", "parse_clip_spec", "TEST_MODEL", "DEFAULT_CLIP"]

log = logging.getLogger(__name__)

DEFAULT_CLIP = "ViT-B-32:openai"
TEST_MODEL = "test:tiny"
_TINY_CONFIG = Path(__file__).with_name("model_configs") / "dreamdraw-tiny.json"
_HOW_TO_GET = (
    "run `dreamdraw models pull {spec}` on a machine with internet (weights are cached), "
    "or pass a local checkpoint with `--clip-checkpoint PATH`"
)


@dataclass
class ClipModel:
    """A frozen CLIP model with its tokenizer and image normalisation.

    Images go in as RGB floats in [0, 1], [B, 3, S, S] with S = image_size; features
    come out L2-normalised, [B, D].
    """

    model: nn.Module
    tokenizer: object
    model_id: str
    image_size: int
    mean: Tensor
    std: Tensor
    device: torch.device
    is_random: bool = False

    @property
    def context_length(self) -> int:
        return int(getattr(self.model, "context_length", 77))

    @property
    def patch_grid(self) -> tuple[int, int]:
        """(rows, cols) of the image tower's patch grid (ResNets: the final 7x7 feature map)."""
        visual = self.model.visual
        grid = getattr(visual, "grid_size", None)
        if grid is not None:
            return int(grid[0]), int(grid[1])
        return 7, 7

    def autocast(self):
        """bf16 autocast on CUDA, nothing on the CPU."""
        if self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return nullcontext()

    def tokenize(self, texts: list[str]) -> Tensor:
        """Token ids [B, context_length]; longer texts are truncated by the tokenizer."""
        return self.tokenizer(texts).to(self.device)

    def encode_text(self, texts: list[str]) -> Tensor:
        """Normalised text features [B, D] (no gradient)."""
        with torch.no_grad(), self.autocast():
            features = self.model.encode_text(self.tokenize(texts))
        return nn.functional.normalize(features.float(), dim=-1)

    def encode_tokens(self, tokens: Tensor) -> Tensor:
        """Normalised text features [B, D] from token ids [B, context_length] (no gradient)."""
        with torch.no_grad(), self.autocast():
            features = self.model.encode_text(tokens.to(self.device))
        return nn.functional.normalize(features.float(), dim=-1)

    def encode_image(self, images: Tensor) -> Tensor:
        """Normalised image features [B, D] from RGB [B, 3, S, S] in [0, 1]; differentiable."""
        if images.shape[-1] != self.image_size or images.shape[-2] != self.image_size:
            images = nn.functional.interpolate(
                images, size=(self.image_size, self.image_size), mode="bilinear", antialias=True
            )
        x = (images - self.mean[:, None, None]) / self.std[:, None, None]
        with self.autocast():
            features = self.model.encode_image(x)
        return nn.functional.normalize(features.float(), dim=-1)


def parse_clip_spec(spec: str) -> tuple[str, str | None]:
    """`NAME:TAG` -> (NAME, TAG); `NAME` -> (NAME, None)."""
    spec = spec.strip()
    if not spec:
        raise DrawingError("empty CLIP model name; use NAME:TAG such as ViT-B-32:openai")
    name, sep, tag = spec.partition(":")
    if name in ("local-dir", "hf-hub"):
        return spec, None
    return name, (tag or None) if sep else None


def _register_tiny() -> None:
    import open_clip

    if "dreamdraw-tiny" not in open_clip.list_models():
        open_clip.add_model_config(_TINY_CONFIG)


def load_clip(
    spec: str = DEFAULT_CLIP,
    checkpoint: str | Path | None = None,
    device: str | torch.device = "cpu",
    cache_dir: str | Path | None = None,
) -> ClipModel:
    """Load (once per process) a frozen CLIP.

    spec: `NAME:TAG` (open_clip pretrained tag, downloaded once into the cache),
    `test:tiny` (a tiny random-weight model for offline tests), `NAME:random` (any
    architecture with random weights, for benchmarks), or a model NAME when
    `checkpoint` is a weights file. `checkpoint` may also be a folder holding
    `open_clip_config.json` and weights (open_clip's local-dir layout).
    """
    key = (spec, str(checkpoint) if checkpoint else None, str(torch.device(device)), str(cache_dir))
    return _load_cached(*key)


@functools.lru_cache(maxsize=4)
def _load_cached(
    spec: str, checkpoint: str | None, device: str, cache_dir: str | None
) -> ClipModel:
    import open_clip

    dev = torch.device(device)
    is_random = False
    if checkpoint:
        path = Path(checkpoint).expanduser()
        if not path.exists():
            raise DrawingError(f"CLIP checkpoint {path} does not exist")
        if path.is_dir():
            name, pretrained, model_id = f"local-dir:{path}", None, f"local-dir:{path.name}"
        else:
            name, _ = parse_clip_spec(spec)
            if name == "test":
                raise DrawingError(
                    "--clip-checkpoint with a weights file needs --clip NAME (the architecture)"
                )
            pretrained, model_id = str(path), f"{name}:{path.name}"
    else:
        name, pretrained = parse_clip_spec(spec)
        model_id = spec
        if name == "test":
            if pretrained != "tiny":
                raise DrawingError(
                    f"unknown test model {spec!r}; the offline test model is test:tiny"
                )
            _register_tiny()
            name, pretrained, is_random = "dreamdraw-tiny", None, True
        elif pretrained == "random":  # any architecture with random weights (benchmarks)
            _check_known(open_clip, name, None, allow_untagged=True)
            pretrained, is_random = None, True
        else:
            _check_known(open_clip, name, pretrained)
    if pretrained and not checkpoint:
        _use_cache_only_when_offline()
    try:
        with torch.random.fork_rng(devices=[]), _quiet_random_init(is_random):
            torch.manual_seed(0)  # the random test model is the same in every process
            model = open_clip.create_model(
                name,
                pretrained=pretrained,
                device=dev,
                cache_dir=str(cache_dir) if cache_dir else None,
            )
    except (RuntimeError, OSError, ValueError, ConnectionError) as exc:
        if pretrained and not checkpoint:
            raise ClipModelMissing(
                f"CLIP weights {spec} are not on this machine and could not be downloaded ({_short(exc)}); "
                + _HOW_TO_GET.format(spec=spec)
            ) from None
        raise DrawingError(
            f"cannot load CLIP checkpoint {checkpoint or spec}: {_short(exc)}"
        ) from None
    except Exception as exc:  # hub clients and torch.load raise many types
        if checkpoint:
            raise DrawingError(f"cannot read CLIP checkpoint {checkpoint}: {_short(exc)}") from None
        if pretrained and _looks_like_network(exc):
            raise ClipModelMissing(
                f"CLIP weights {spec} could not be downloaded ({type(exc).__name__}); "
                + _HOW_TO_GET.format(spec=spec)
            ) from None
        raise
    model.eval().requires_grad_(False)
    preprocess = getattr(model.visual, "preprocess_cfg", {}) or {}
    mean = torch.tensor(preprocess.get("mean", open_clip.OPENAI_DATASET_MEAN), device=dev)
    std = torch.tensor(preprocess.get("std", open_clip.OPENAI_DATASET_STD), device=dev)
    size = model.visual.image_size
    size = int(size[0] if isinstance(size, (tuple, list)) else size)
    tokenizer = open_clip.get_tokenizer(name)
    log.info("loaded CLIP %s on %s", model_id, dev)
    return ClipModel(model, tokenizer, model_id, size, mean, std, dev, is_random)


class _DropRandomInitWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Model initialized randomly" not in record.getMessage()


@contextmanager
def _quiet_random_init(expected: bool):
    """open_clip warns on the root logger when weights are random; for test models that is the point."""
    if not expected:
        yield
        return
    root = logging.getLogger()
    quiet = _DropRandomInitWarning()
    handlers = [root, *root.handlers]
    for h in handlers:
        h.addFilter(quiet)
    try:
        yield
    finally:
        for h in handlers:
            h.removeFilter(quiet)


def _use_cache_only_when_offline(host: str = "huggingface.co", timeout_s: float = 3.0) -> None:
    """Without a network, read weights from the cache at once instead of retrying for a minute."""
    import socket

    import huggingface_hub.constants as hub

    if hub.HF_HUB_OFFLINE:
        return
    try:
        socket.create_connection((host, 443), timeout=timeout_s).close()
    except OSError:
        log.warning("%s is unreachable: using cached CLIP weights only", host)
        hub.HF_HUB_OFFLINE = True


def _check_known(open_clip, name: str, tag: str | None, allow_untagged: bool = False) -> None:
    if name not in open_clip.list_models():
        raise DrawingError(
            f"unknown CLIP model {name!r}; see `python -c 'import open_clip; print(open_clip.list_models())'`"
        )
    if allow_untagged:
        return
    if tag is None:
        raise DrawingError(
            f"CLIP model {name!r} needs a pretrained tag, e.g. {name}:openai, or --clip-checkpoint PATH"
        )
    tags = open_clip.list_pretrained_tags_by_model(name)
    if tag not in tags:
        raise DrawingError(
            f"unknown pretrained tag {tag!r} for {name}; known: {', '.join(tags) or 'none'}"
        )


def _looks_like_network(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return any(
        w in text
        for w in ("offline", "connect", "resolve", "network", "timeout", "entrynotfound", "http")
    )


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


def pull_clip(spec: str = DEFAULT_CLIP, cache_dir: str | Path | None = None) -> str:
    """Download a pretrained tag's weights into the cache ahead of a show; returns the model id."""
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        # An explicit pull means the user wants the network.
        os.environ.pop("HF_HUB_OFFLINE")
    return load_clip(spec, device="cpu", cache_dir=cache_dir).model_id
