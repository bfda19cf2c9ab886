"""CLIP loading through one factory: a pretrained tag, a local checkpoint, or a model config."""

from __future__ import annotations

import copy
import functools
import logging
import os
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import torch
from dreamdraw.drawing.errors import ClipModelMissing, DrawingError
from dreamdraw.drawing.settings import DEFAULT_CLIP
from dreamdraw.model_files import (
    check_file,
    expected_sha256,
    quiet_hub_logs,
    record_files,
    unreachable,
)
from torch import Tensor, nn
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = [
    "ClipModel",
    "cast_autocast_weights",
    "DEFAULT_CLIP",
    "TEST_MODEL",
    "RANDOM_LABEL",
    "TOY_LABEL",
    "TOY_CLIP_DIR",
    "TOY_MODEL",
    "clip_cache_root",
    "clip_spec_label",
    "find_clip_weights",
    "is_torchscript",
    "load_clip",
    "parse_clip_spec",
    "pretrained_options",
    "pull_clip",
]

log = logging.getLogger(__name__)

TEST_MODEL = "test:tiny"
TOY_MODEL = "toy:clip"
_TINY_CONFIG = Path(__file__).with_name("model_configs") / "dreamdraw-tiny.json"
# The toy-world drawer (bench/toyworld), shipped for rehearsals: see its training_report.md.
TOY_CLIP_DIR = Path(__file__).with_name("toy_clip")
_HOW_TO_GET = (
    "`dreamdraw models pull {spec}` downloads them on a machine with internet "
    "(`dreamdraw models export DIR` there and `dreamdraw models import DIR` here carry them "
    "over), or give a local checkpoint with --clip-checkpoint PATH"
)
RANDOM_LABEL = "random-weight test model, not a real drawing model"
TOY_LABEL = (
    "toy CLIP trained on simple coloured shapes, for rehearsals only, not a real drawing model"
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
    is_toy: bool = False
    weights_path: Path | None = None
    _cast_visual: nn.Module | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str | None:
        """What a visitor or curator must be told about this model, in words; None for real weights."""
        if self.is_random:
            return RANDOM_LABEL
        if self.is_toy:
            return TOY_LABEL
        return None

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

    def encode_views(self, views: Tensor) -> Tensor:
        """encode_image for the drawing step, views [B, 3, S, S] in [0, 1] -> [B, D].

        On CUDA through a copy of the image tower whose weights autocast casts to bf16
        (matmuls, convolutions) are bf16 already, cast once on the first call, so a step
        casts no weight; the same features as encode_image. On the CPU: encode_image.
        """
        if self.device.type != "cuda":
            return self.encode_image(views)
        if self._cast_visual is None:
            self._cast_visual = self._visual_cast_once()
        x = (views - self.mean[:, None, None]) / self.std[:, None, None]
        # No cast cache: the step may be captured in a CUDA graph, which a cache would outlive.
        with torch.autocast("cuda", dtype=torch.bfloat16, cache_enabled=False):
            features = self._cast_visual(x)
        return nn.functional.normalize(features.float(), dim=-1)

    def _visual_cast_once(self) -> nn.Module:
        """A copy of the image tower with autocast's weight casts done; the tower itself
        where the copy does not run (one log line)."""
        example = torch.zeros(1, 3, self.image_size, self.image_size, device=self.device)
        try:
            visual = copy.deepcopy(self.model.visual)
            names = cast_autocast_weights(visual, example, torch.bfloat16)
            with torch.no_grad(), torch.autocast(self.device.type, dtype=torch.bfloat16):
                visual(example)
        except Exception as exc:  # an architecture whose ops refuse bf16 weights, memory
            log.warning(
                "CLIP weights not cast to bf16 once, autocast casts them: %s", _one_line(exc)
            )
            return self.model.visual
        log.info("CLIP image tower: %d weights cast to bf16 once", len(names))
        return visual


class _WeightCasts(TorchDispatchMode):
    """Records which of a module's parameters and buffers are copied to `dtype` (autocast's
    casts show as aten._to_copy below the autocast dispatch key)."""

    def __init__(self, module: nn.Module, dtype: torch.dtype) -> None:
        super().__init__()
        self.dtype = dtype
        self.names = {t.data_ptr(): n for n, t in module.named_parameters()}
        self.names.update({t.data_ptr(): n for n, t in module.named_buffers()})
        self.cast: set[str] = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.ops.aten._to_copy.default and kwargs.get("dtype") == self.dtype:
            name = self.names.get(args[0].data_ptr())
            if name is not None and args[0].dtype != self.dtype:
                self.cast.add(name)
        return func(*args, **kwargs)


def cast_autocast_weights(module: nn.Module, example: Tensor, dtype: torch.dtype) -> list[str]:
    """Cast in place to `dtype` the parameters and buffers of a frozen module that autocast
    (on `example`'s device, to `dtype`) casts at every call; returns their names, sorted.

    Found by one forward of `example` under autocast, so whatever the architecture, exactly
    the weights that feed reduced-precision ops (and those the model itself casts to its
    activations' dtype) change; norms and other float32 ops keep theirs, and features and
    gradients under autocast stay what they were.
    """
    probe = _WeightCasts(module, dtype)
    with torch.no_grad(), torch.autocast(example.device.type, dtype=dtype), probe:
        module(example)
    tensors = dict(module.named_parameters())
    tensors.update(module.named_buffers())
    for name in probe.cast:
        tensors[name].data = tensors[name].data.to(dtype)
    return sorted(probe.cast)


def parse_clip_spec(spec: str) -> tuple[str, str | None]:
    """`NAME:TAG` -> (NAME, TAG); `NAME` -> (NAME, None)."""
    spec = spec.strip()
    if not spec:
        raise DrawingError("empty CLIP model name; use NAME:TAG such as ViT-B-32:openai")
    name, sep, tag = spec.partition(":")
    if name in ("local-dir", "hf-hub"):
        return spec, None
    return name, (tag or None) if sep else None


def clip_spec_label(spec: str) -> str | None:
    """What the model a CLIP spec names is, in words, when it is not real weights (random or
    toy), known before loading it; None for pretrained tags and checkpoints."""
    name, tag = parse_clip_spec(spec)
    if name == "toy":
        return TOY_LABEL
    if name == "test" or tag == "random":
        return RANDOM_LABEL
    return None


def pretrained_options(name: str, tag: str | None) -> dict[str, bool]:
    """open_clip.create_model keywords that the weights of NAME:TAG need to be the model they
    were trained as: QuickGELU where open_clip's pretrained config for the tag says quick_gelu
    (OpenAI's weights, and others trained like them)."""
    import open_clip

    cfg = open_clip.get_pretrained_cfg(name, tag) if tag else {}
    return {"force_quick_gelu": bool(cfg.get("quick_gelu", False))}


def is_torchscript(path: Path) -> bool:
    """Whether a checkpoint file is a TorchScript archive (OpenAI's original `ViT-B-32.pt`)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(n.endswith("constants.pkl") for n in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def clip_cache_root(cache_dir: str | Path | None = None) -> Path:
    """The folder downloaded CLIP weights live in: `cache_dir`, else the Hugging Face hub cache
    ($HF_HUB_CACHE, by default ~/.cache/huggingface/hub)."""
    if cache_dir:
        return Path(cache_dir).expanduser()
    import huggingface_hub.constants as hub

    return Path(hub.HF_HUB_CACHE)


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

    spec: `NAME:TAG` (open_clip pretrained tag, downloaded once into the cache and checked
    by sha256), `toy:clip` (the trained toy CLIP shipped for rehearsals), `test:tiny` (a tiny
    random-weight model for offline tests), `NAME:random` (any architecture with random
    weights, for benchmarks), or a model NAME (or NAME:TAG, whose tag then says how the
    weights were trained) when `checkpoint` is a weights file; OpenAI's TorchScript files
    load as they are. `checkpoint` may also be a folder holding `open_clip_config.json` and
    weights (open_clip's local-dir layout). `cache_dir`: where tags are downloaded (default:
    the Hugging Face hub cache).
    """
    key = (
        spec,
        str(checkpoint) if checkpoint else None,
        str(torch.device(device)),
        str(cache_dir) if cache_dir else None,
    )
    return _load_cached(*key)


@functools.lru_cache(maxsize=4)
def _load_cached(
    spec: str, checkpoint: str | None, device: str, cache_dir: str | None
) -> ClipModel:
    import open_clip

    dev = torch.device(device)
    name, tag = parse_clip_spec(spec)
    _register_tiny()  # the test model's architecture may also be named with a checkpoint
    if name == "toy" and not checkpoint:
        if tag != "clip":
            raise DrawingError(f"unknown toy model {spec!r}; the rehearsal model is {TOY_MODEL}")
        clip = _load_checkpoint(open_clip, spec, TOY_CLIP_DIR, dev)
        clip.model_id, clip.is_toy = TOY_MODEL, True
        return clip
    if checkpoint:
        return _load_checkpoint(open_clip, spec, Path(checkpoint).expanduser(), dev)
    if name == "test":
        if tag != "tiny":
            raise DrawingError(f"unknown test model {spec!r}; the offline test model is test:tiny")
        return _build(open_clip, "dreamdraw-tiny", None, spec, dev, is_random=True)
    if tag == "random":  # any architecture with random weights (benchmarks)
        _check_known(open_clip, name, None, allow_untagged=True)
        return _build(open_clip, name, None, spec, dev, is_random=True)
    _check_known(open_clip, name, tag)
    _use_cache_only_when_offline()
    path = find_clip_weights(spec, cache_dir, download=True)
    assert path is not None  # download=True raises instead
    pcfg = open_clip.get_pretrained_cfg(name, tag)
    _verify(path, spec, cache_dir, pcfg)
    return _build(
        open_clip, name, path, spec, dev, preprocess=pcfg, **pretrained_options(name, tag)
    )


def _load_checkpoint(open_clip, spec: str, path: Path, dev: torch.device) -> ClipModel:
    if not path.exists():
        raise DrawingError(f"CLIP checkpoint {path} does not exist")
    if path.is_dir():
        clip = _build(open_clip, f"local-dir:{path}", None, f"local-dir:{path.name}", dev)
        clip.weights_path = path
        return clip
    name, tag = parse_clip_spec(spec)
    if name in ("test", "toy"):
        raise DrawingError(
            "--clip-checkpoint with a weights file needs --clip NAME (the architecture)"
        )
    model_id = f"{name}:{path.name}"
    if is_torchscript(path):
        # OpenAI's own files: the architecture is read from the weights, with QuickGELU.
        try:
            with _quiet_loading():
                model = open_clip.load_openai_model(str(path), precision="fp32", device=dev)
        except Exception as exc:  # torch.jit raises many types for damaged archives
            raise DrawingError(f"cannot read CLIP checkpoint {path}: {_one_line(exc)}") from None
        return _finish(open_clip, model, name, model_id, dev, {}, weights_path=path)
    _check_known(open_clip, name, None, allow_untagged=True)
    options = pretrained_options(name, tag) if tag and tag != "random" else {}
    return _build(open_clip, name, path, model_id, dev, **options)


def _build(
    open_clip,
    name: str,
    weights: Path | None,
    model_id: str,
    dev: torch.device,
    *,
    is_random: bool = False,
    preprocess: dict | None = None,
    force_quick_gelu: bool = False,
) -> ClipModel:
    try:
        with torch.random.fork_rng(devices=[]), _quiet_loading():
            torch.manual_seed(0)  # the random test model is the same in every process
            model = open_clip.create_model(
                name,
                pretrained=str(weights) if weights else None,
                device=dev,
                force_quick_gelu=force_quick_gelu,
            )
    except Exception as exc:  # safetensors, torch.load and open_clip raise many types
        what = weights or name.removeprefix("local-dir:")
        raise DrawingError(f"cannot read CLIP checkpoint {what}: {_one_line(exc)}") from None
    return _finish(open_clip, model, name, model_id, dev, preprocess or {}, is_random, weights)


def _finish(
    open_clip,
    model: nn.Module,
    name: str,
    model_id: str,
    dev: torch.device,
    preprocess: dict,
    is_random: bool = False,
    weights_path: Path | None = None,
) -> ClipModel:
    model.eval().requires_grad_(False)
    own = getattr(model.visual, "preprocess_cfg", {}) or {}
    mean = preprocess.get("mean") or own.get("mean", open_clip.OPENAI_DATASET_MEAN)
    std = preprocess.get("std") or own.get("std", open_clip.OPENAI_DATASET_STD)
    size = model.visual.image_size
    size = int(size[0] if isinstance(size, (tuple, list)) else size)
    with _quiet_loading():
        tokenizer = open_clip.get_tokenizer(name)
    log.info("loaded CLIP %s on %s", model_id, dev)
    return ClipModel(
        model,
        tokenizer,
        model_id,
        size,
        torch.tensor(mean, device=dev),
        torch.tensor(std, device=dev),
        dev,
        is_random,
        weights_path=weights_path,
    )


def find_clip_weights(
    spec: str, cache_dir: str | Path | None = None, download: bool = False
) -> Path | None:
    """The weights file of the pretrained tag NAME:TAG in the cache (downloading it when
    `download`), or None when it is not there.

    The file is where open_clip keeps it: the Hugging Face hub layout under
    clip_cache_root(cache_dir), or, for tags only published by URL, `~/.cache/clip`.
    """
    import open_clip

    name, tag = parse_clip_spec(spec)
    _check_known(open_clip, name, tag)
    pcfg = open_clip.get_pretrained_cfg(name, tag)
    if not download:
        return _cached_weights(pcfg, cache_dir)
    import huggingface_hub.constants as hub

    try:
        return _download(pcfg, cache_dir)
    except _DownloadFailed as exc:
        why = "this machine is offline" if hub.HF_HUB_OFFLINE else f"the download failed: {exc}"
        raise ClipModelMissing(
            f"CLIP weights {spec} are not in {clip_cache_root(cache_dir)} ({why}); "
            + _HOW_TO_GET.format(spec=spec)
        ) from None


class _DownloadFailed(Exception):
    """A download that did not happen; the message is the reason on one line."""


def _download(pcfg: dict, cache_dir: str | Path | None) -> Path:
    """open_clip's own download (or cache hit) of a pretrained config's weights file."""
    import open_clip

    try:
        with _quiet_loading():
            path = open_clip.download_pretrained(
                pcfg, cache_dir=str(cache_dir) if cache_dir else None
            )
    except Exception as exc:  # urllib, requests and the hub client raise many types
        raise _DownloadFailed(_one_line(exc)) from None
    if not path:
        raise _DownloadFailed("open_clip knows no download for it")
    return Path(path)


def _cached_weights(pcfg: dict, cache_dir: str | Path | None) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    hub = pcfg.get("hf_hub", "")
    if hub:
        repo, filename = os.path.split(hub)
        names = (
            [filename]
            if filename
            else ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]
        )
        for filename in names:
            found = try_to_load_from_cache(repo, filename, cache_dir=clip_cache_root(cache_dir))
            if isinstance(found, str):
                return Path(found)
        return None
    url = pcfg.get("url", "")
    if url:
        path = Path(cache_dir or "~/.cache/clip").expanduser() / os.path.basename(url)
        return path if path.is_file() else None
    return None


def _url_sha256(pcfg: dict, path: Path) -> str | None:
    """openai and mlfoundations URLs carry the file's sha256 (or its first hex digits)."""
    url = pcfg.get("url", "")
    if not url or os.path.basename(url) != path.name:
        return None
    if "openaipublic" in url:
        return url.split("/")[-2]
    if "mlfoundations" in url:
        return os.path.splitext(path.name)[0].split("-")[-1]
    return None


def _verify(path: Path, spec: str, cache_dir: str | Path | None, pcfg: dict) -> None:
    """Raise when the weights file is not the one its manifest, blob name or URL names."""
    expected = expected_sha256(path, clip_cache_root(cache_dir))
    if expected is None and (sha := _url_sha256(pcfg, path)):
        expected = (sha, None)
    if expected is None:
        log.info("no sha256 known for %s; not checked", path)
        return
    problem = check_file(path, *expected)
    if problem:
        stored = f" (stored as {path.resolve()})" if path.is_symlink() else ""
        raise DrawingError(
            f"CLIP weights {spec}: {problem}{stored}; delete it and run "
            f"`dreamdraw models pull {spec}` (or `dreamdraw models import DIR`) again"
        )


@contextmanager
def _quiet_loading() -> Iterator[None]:
    """Loading prints nothing of its own: what goes wrong is our one-line error, and open_clip's
    notes (random weights, missing files) are either expected or said better by that error."""
    with quiet_hub_logs(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _use_cache_only_when_offline(timeout_s: float = 3.0) -> None:
    """Without a network, read weights from the cache at once instead of retrying for a minute."""
    import huggingface_hub.constants as hub

    if hub.HF_HUB_OFFLINE:
        return
    reason = unreachable(hub.ENDPOINT, timeout_s)
    if reason:
        log.info("%s: using cached CLIP weights only", reason)
        hub.HF_HUB_OFFLINE = True


def _check_known(open_clip, name: str, tag: str | None, allow_untagged: bool = False) -> None:
    if name not in open_clip.list_models():
        raise DrawingError(
            f"unknown CLIP model {name!r}; `dreamdraw models list --known` names the known ones"
        )
    if allow_untagged:
        return
    if tag is None:
        raise DrawingError(
            f"CLIP model {name!r} needs a pretrained tag, e.g. {name}:openai, or a checkpoint"
        )
    tags = open_clip.list_pretrained_tags_by_model(name)
    if tag not in tags:
        raise DrawingError(
            f"unknown pretrained tag {tag!r} for {name}; known: {', '.join(tags) or 'none'}"
        )


def _one_line(exc: BaseException) -> str:
    """The whole message of an exception on one line (nothing cut off)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def pull_clip(spec: str = DEFAULT_CLIP, cache_dir: str | Path | None = None) -> ClipModel:
    """Download a pretrained tag's weights into the cache ahead of a show (without a network,
    take the cached file), record their sha256 in the cache's manifest and load them once to
    be sure they work; returns the model."""
    import huggingface_hub.constants as hub
    import open_clip

    name, tag = parse_clip_spec(spec)
    _check_known(open_clip, name, tag)
    pcfg = open_clip.get_pretrained_cfg(name, tag)
    os.environ.pop("HF_HUB_OFFLINE", None)  # an explicit pull means the user wants the network
    reason = unreachable(hub.ENDPOINT)
    hub.HF_HUB_OFFLINE = reason is not None
    path = None
    if reason is None:
        try:
            path = _download(pcfg, cache_dir)
        except _DownloadFailed as exc:
            reason = str(exc)
    if path is None:
        path = _cached_weights(pcfg, cache_dir)
        if path is None:
            raise ClipModelMissing(
                f"cannot download CLIP weights {spec} ({reason}); on a machine without "
                "internet, bring them with `dreamdraw models import DIR` from a folder that "
                "`dreamdraw models export DIR` wrote on a machine with internet"
            )
        log.info("%s; %s is in the cache already", reason, spec)
    clip = load_clip(spec, device="cpu", cache_dir=cache_dir)
    root = clip_cache_root(cache_dir)
    if path.absolute().is_relative_to(root.absolute()):
        record_files(root, [path], spec)
    return clip
