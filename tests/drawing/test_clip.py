"""CLIP loading: one factory for tags, checkpoints and the tiny test model."""

from __future__ import annotations

import copy
import json

import pytest
import torch
from dreamdraw.drawing import ClipModelMissing, DrawingError, load_clip
from dreamdraw.drawing.clip import _TINY_CONFIG, cast_autocast_weights


def test_tiny_test_model_is_random_and_labelled():
    clip = load_clip("test:tiny")
    assert clip.is_random and clip.model_id == "test:tiny"
    assert clip.patch_grid == (7, 7) and clip.image_size == 224
    features = clip.encode_image(torch.rand(2, 3, 224, 224))
    assert features.shape == (2, 64)
    assert torch.allclose(features.norm(dim=-1), torch.ones(2), atol=1e-5)


def test_model_is_loaded_once_and_stays_resident():
    assert load_clip("test:tiny") is load_clip("test:tiny")


def test_local_dir_checkpoint_loads_through_the_same_factory(tmp_path):
    reference = load_clip("test:tiny")
    folder = tmp_path / "toy-clip"
    folder.mkdir()
    (folder / "open_clip_config.json").write_text(
        json.dumps({"model_cfg": json.loads(_TINY_CONFIG.read_text())})
    )
    torch.save(reference.model.state_dict(), folder / "open_clip_pytorch_model.bin")
    loaded = load_clip(checkpoint=folder)
    assert not loaded.is_random
    image = torch.rand(1, 3, 224, 224)
    assert torch.allclose(loaded.encode_image(image), reference.encode_image(image), atol=1e-5)


def test_weights_file_checkpoint_needs_and_uses_the_architecture_name(tmp_path):
    reference = load_clip("test:tiny")
    path = tmp_path / "tiny.pt"
    torch.save(reference.model.state_dict(), path)
    loaded = load_clip("dreamdraw-tiny", checkpoint=path)
    text = loaded.encode_text(["a boat"])
    assert torch.allclose(text, reference.encode_text(["a boat"]), atol=1e-5)


def test_missing_weights_without_network_say_how_to_get_them(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ClipModelMissing) as info:
        load_clip("ViT-B-32:openai", cache_dir="/nonexistent-cache")
    assert "dreamdraw models pull" in str(info.value) and "--clip-checkpoint" in str(info.value)


def test_unreadable_checkpoint_and_unknown_names_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(DrawingError, match="cannot read CLIP checkpoint"):
        load_clip("dreamdraw-tiny", checkpoint=bad)
    with pytest.raises(DrawingError, match="does not exist"):
        load_clip("dreamdraw-tiny", checkpoint=tmp_path / "missing.pt")
    with pytest.raises(DrawingError, match="unknown CLIP model"):
        load_clip("NoSuchModel:openai")
    with pytest.raises(DrawingError, match="unknown pretrained tag"):
        load_clip("ViT-B-32:nosuchtag")


def _features_and_gradient(visual: torch.nn.Module, x: torch.Tensor):
    """The drawing step's use of the image tower: autocast on, a gradient to the input."""
    leaf = x.clone().requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        features = visual(leaf)
    (grad,) = torch.autograd.grad(features.float().square().sum(), leaf)
    return features, grad


def test_weights_autocast_casts_are_cast_once_and_features_and_gradients_stay_the_same():
    visual = copy.deepcopy(load_clip("test:tiny").model.visual)
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    features, grad = _features_and_gradient(visual, x)

    names = cast_autocast_weights(visual, x, torch.bfloat16)

    dtypes = {name: p.dtype for name, p in visual.named_parameters()}
    assert {"conv1.weight", "transformer.resblocks.1.mlp.c_proj.weight", "proj"} <= set(names)
    assert all(dtypes[name] == torch.bfloat16 for name in names)
    norms = [name for name in dtypes if "ln_" in name]
    assert norms and all(dtypes[name] == torch.float32 for name in norms)
    cast_features, cast_grad = _features_and_gradient(visual, x)
    assert torch.equal(cast_features, features) and torch.equal(cast_grad, grad)
    assert cast_autocast_weights(visual, x, torch.bfloat16) == []  # no cast left per call
