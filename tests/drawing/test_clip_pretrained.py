"""The pretrained path as a user gets it: open_clip's cache layout, offline, with the activation
the weights were trained with. The weights are random (see clip_cache.py); everything else is real."""

from __future__ import annotations

import shutil

import open_clip
import pytest
import torch
from dreamdraw.drawing import DEFAULT_CLIP, ClipModelMissing, DrawingError, DrawSettings, load_clip
from dreamdraw.drawing.clip import pretrained_options
from open_clip.transformer import QuickGELU
from safetensors.torch import load_file
from torch import nn


def activations(model: nn.Module) -> set[type]:
    """The activation classes used anywhere in a model."""
    return {type(m) for m in model.modules() if isinstance(m, (QuickGELU, nn.GELU))}


def test_default_tag_loads_from_the_standard_hub_cache_offline(vit_b32_hub_cache, hub_cache_at):
    hub_cache_at(vit_b32_hub_cache.root)
    clip = load_clip(DEFAULT_CLIP)
    assert clip.weights_path == vit_b32_hub_cache.weights
    assert not clip.is_random and clip.label is None
    stored = load_file(str(vit_b32_hub_cache.weights))["visual.conv1.weight"].float()
    assert torch.equal(clip.model.visual.conv1.weight, stored)


def test_openai_weights_run_with_quick_gelu_in_both_towers(vit_b32_hub_cache, hub_cache_at):
    hub_cache_at(vit_b32_hub_cache.root)
    clip = load_clip(DEFAULT_CLIP)
    assert activations(clip.model.visual) == {QuickGELU}
    assert activations(clip.model.transformer) == {QuickGELU}


def test_default_tag_loads_from_the_configured_clip_cache_dir(
    vit_b32_hub_cache, hub_cache_at, tmp_path
):
    hub_cache_at(tmp_path / "empty-standard-cache")
    settings = DrawSettings(clip_cache_dir=str(vit_b32_hub_cache.root))
    clip = load_clip(settings.clip, settings.clip_checkpoint, "cpu", settings.clip_cache_dir)
    assert clip.weights_path == vit_b32_hub_cache.weights


def test_no_cache_dir_means_the_standard_cache_not_a_folder_named_none(
    hub_cache_at, tmp_path, monkeypatch
):
    standard = hub_cache_at(tmp_path / "standard-cache")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ClipModelMissing) as info:
        load_clip(DEFAULT_CLIP, cache_dir=None)
    assert f"not in {standard} (this machine is offline)" in str(info.value)
    assert not (tmp_path / "None").exists()


def test_every_tag_trained_with_quick_gelu_is_built_with_quick_gelu():
    """Over open_clip's whole pretrained list: each architecture with a QuickGELU tag is built on
    the meta device (no memory, no weights) with the options the loader gives that tag."""
    built: dict[str, set[type]] = {}
    checked = 0
    for name, tag in open_clip.list_pretrained():
        options = pretrained_options(name, tag)
        if not open_clip.get_pretrained_cfg(name, tag).get("quick_gelu", False):
            assert options == {"force_quick_gelu": False}, f"{name}:{tag}"
            continue
        if name not in built:
            with torch.device("meta"):
                built[name] = activations(open_clip.create_model(name, device="meta", **options))
        assert built[name] == {QuickGELU}, f"{name}:{tag}"
        checked += 1
    assert checked >= 30  # OpenAI's, MetaCLIP's, DFN's, the yfcc/cc12m/LAION-400M ones


def test_openai_torchscript_file_loads_as_a_clip_checkpoint(openai_jit_checkpoint):
    clip = load_clip("ViT-B-32", checkpoint=openai_jit_checkpoint)
    assert clip.model_id == "ViT-B-32:ViT-B-32.pt" and clip.weights_path == openai_jit_checkpoint
    scripted = torch.jit.load(str(openai_jit_checkpoint), map_location="cpu")
    assert torch.equal(clip.model.visual.conv1.weight, scripted.visual.conv1.weight)
    assert activations(clip.model) == {QuickGELU}
    assert clip.encode_text(["a red house"]).shape == (1, 512)


def test_truncated_weights_file_is_a_one_line_error_naming_it(
    vit_b32_hub_cache, hub_cache_at, tmp_path
):
    root = tmp_path / "hub"
    shutil.copytree(vit_b32_hub_cache.root, root, symlinks=True)
    weights = root / vit_b32_hub_cache.weights.relative_to(vit_b32_hub_cache.root)
    blob = weights.resolve()
    data = blob.read_bytes()
    blob.write_bytes(data[: len(data) // 2])
    hub_cache_at(root)
    with pytest.raises(DrawingError) as info:
        load_clip(DEFAULT_CLIP)
    message = str(info.value)
    assert f"{weights} is corrupted" in message and str(blob) in message and "\n" not in message
