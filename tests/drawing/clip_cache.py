"""Fabricated CLIP weights where real ones would be: ViT-B-32 with random weights, written into a
Hugging Face hub cache exactly as open_clip's download leaves it, and as OpenAI's TorchScript file.

Real weights cannot reach the test machines; these have the real architecture, file names and
layout, so the loader's real path runs on them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = [
    "FabricatedCache",
    "HUB_REPO",
    "WEIGHTS_NAME",
    "fabricate_hub_cache",
    "fabricate_openai_jit",
]

# open_clip's pretrained config for ViT-B-32:openai: hf_hub "timm/vit_base_patch32_clip_224.openai/",
# and its HF download prefers the safetensors file (constants.HF_SAFE_WEIGHTS_NAME).
HUB_REPO = "timm/vit_base_patch32_clip_224.openai"
WEIGHTS_NAME = "open_clip_model.safetensors"
REVISION = "0123456789abcdef0123456789abcdef01234567"


@dataclass(frozen=True)
class FabricatedCache:
    """A hub cache root holding the default tag's weights; `weights` is the snapshot file."""

    root: Path
    weights: Path
    sha256: str


def random_vit_b32_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """ViT-B-32's state dict (open_clip's names, which are OpenAI's) with random fp16 values.

    The architecture is built on the meta device, so no time goes into initialising it.
    """
    import open_clip

    with torch.device("meta"):
        model = open_clip.create_model("ViT-B-32", force_quick_gelu=True, device="meta")
    generator = torch.Generator().manual_seed(seed)
    return {
        key: (torch.randn(t.shape, generator=generator) * 0.02).to(torch.float16)
        for key, t in model.state_dict().items()
    }


def fabricate_hub_cache(root: Path) -> FabricatedCache:
    """Write `models--timm--vit_base_patch32_clip_224.openai` into the hub cache `root` (once:
    a second call finds it): blobs/<sha256>, refs/main, snapshots/<rev>/open_clip_model.safetensors
    linking to the blob."""
    from safetensors.torch import save_file

    repo = root / f"models--{HUB_REPO.replace('/', '--')}"
    snapshot = repo / "snapshots" / REVISION / WEIGHTS_NAME
    if not snapshot.is_file():
        (repo / "blobs").mkdir(parents=True, exist_ok=True)
        tmp = repo / "blobs" / "incoming.safetensors"
        save_file(random_vit_b32_state_dict(), str(tmp))
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
        os.replace(tmp, repo / "blobs" / digest)
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / "main").write_text(REVISION)
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.symlink_to(Path("..") / ".." / "blobs" / digest)
    return FabricatedCache(root, snapshot, snapshot.resolve().name)


def fabricate_openai_jit(path: Path) -> Path:
    """OpenAI's original `ViT-B-32.pt`: a TorchScript archive of the CLIP model (QuickGELU), with
    the input_resolution entry OpenAI's files carry beside the weights."""
    import open_clip

    if path.is_file():
        return path
    with torch.device("meta"):
        model = open_clip.create_model("ViT-B-32", force_quick_gelu=True, device="meta")
    mask = model.attn_mask
    model.to_empty(device="cpu")
    model.load_state_dict(random_vit_b32_state_dict(seed=1), strict=False)
    # OpenAI's model keeps the causal mask as a plain attribute, not in its state dict.
    del model._buffers["attn_mask"]
    model.attn_mask = torch.full(mask.shape, float("-inf")).triu_(1)
    model.register_buffer("input_resolution", torch.tensor(224))
    scripted = torch.jit.script(model.eval())
    tmp = path.with_suffix(".incoming")
    torch.jit.save(scripted, str(tmp))
    os.replace(tmp, path)
    return path
