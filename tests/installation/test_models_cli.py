"""`dreamdraw models` and the show's model errors, offline, on ViT-B-32 with random weights in
open_clip's real cache layout (tests/drawing/clip_cache.py) and the packaged tiny.en."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import huggingface_hub.constants as hub
import pytest
import torch
from dreamdraw.drawing import load_clip
from dreamdraw.model_files import MANIFEST_NAME, sha256_file

from tests.cli_runner import run_cli as dreamdraw

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, the refusal is immediate


@pytest.fixture
def offline(monkeypatch):
    """No hub server answers (so a pull cannot reach the network even where CI has one)."""
    monkeypatch.setattr(hub, "ENDPOINT", UNREACHABLE)


@pytest.fixture
def own_cache(vit_b32_hub_cache, hub_cache_at, tmp_path) -> Path:
    """A copy of the fabricated cache (links and blobs as the hub writes them) as $HF_HUB_CACHE."""
    root = tmp_path / "hub"
    shutil.copytree(vit_b32_hub_cache.root, root, symlinks=True)
    return hub_cache_at(root)


def test_list_shows_the_packaged_tiny_en_and_the_cached_clip_with_size_and_sha256(
    vit_b32_hub_cache, hub_cache_at, capsys
):
    hub_cache_at(vit_b32_hub_cache.root)
    code, out, err = dreamdraw(capsys, "models", "list")
    assert code == 0, err
    lines = out.splitlines()
    whisper = next(line for line in lines if " tiny.en " in line)
    assert whisper.startswith("whisper") and "78.1 MB" in whisper and "sha256 ok" in whisper
    clip = next(line for line in lines if "ViT-B-32:openai" in line)
    size_mb = vit_b32_hub_cache.weights.stat().st_size / 1e6
    assert clip.startswith("clip") and f"{size_mb:.1f} MB" in clip and "sha256 ok" in clip
    assert str(vit_b32_hub_cache.weights.parent) in clip


def test_pull_offline_of_a_cached_tag_records_it_and_a_show_elsewhere_uses_the_same_file(
    own_cache, offline, tmp_path, monkeypatch, capsys
):
    pulled_in, show_in = tmp_path / "pulled-here", tmp_path / "show-runs-here"
    pulled_in.mkdir(), show_in.mkdir()
    monkeypatch.chdir(pulled_in)
    code, out, err = dreamdraw(capsys, "models", "pull", "ViT-B-32:openai")
    assert code == 0, err
    assert out.startswith("ready: clip") and "sha256 recorded" in out
    weights = next(own_cache.glob("models--*/snapshots/*/open_clip_model.safetensors"))
    manifest = json.loads((own_cache / MANIFEST_NAME).read_text())["files"]
    assert manifest[str(weights.relative_to(own_cache))]["sha256"] == sha256_file(weights)
    monkeypatch.chdir(show_in)
    clip = load_clip("ViT-B-32:openai")
    assert clip.weights_path == weights
    assert not (pulled_in / "None").exists() and not (show_in / "None").exists()


def test_pull_without_network_or_cache_is_one_line_that_points_to_import(
    hub_cache_at, offline, tmp_path, capsys
):
    hub_cache_at(tmp_path / "empty")
    for name in ("ViT-B-32:openai", "small"):
        code, out, err = dreamdraw(capsys, "models", "pull", name)
        assert code == 2 and err.count("\n") == 1, err
        assert "127.0.0.1 cannot be reached" in err and "dreamdraw models import DIR" in err
        assert "models pull" not in err


def test_export_then_import_carries_the_clip_to_an_offline_machine(
    vit_b32_hub_cache, hub_cache_at, tmp_path, capsys
):
    stick = tmp_path / "usb-stick"
    hub_cache_at(vit_b32_hub_cache.root)
    code, out, err = dreamdraw(capsys, "models", "export", str(stick))
    assert code == 0 and "exported clip ViT-B-32:openai" in out, err
    assert not any(p.is_symlink() for p in stick.rglob("*"))  # a FAT stick has no links
    venue_cache = hub_cache_at(tmp_path / "venue-hub")
    code, out, err = dreamdraw(capsys, "models", "import", str(stick))
    assert code == 0, err
    assert "imported clip" in out and "sha256 ok" in out and str(venue_cache) in out
    clip = load_clip("ViT-B-32:openai")
    assert clip.weights_path.is_relative_to(venue_cache)
    original = load_clip("ViT-B-32", checkpoint=vit_b32_hub_cache.weights)
    assert torch.equal(clip.model.visual.conv1.weight, original.model.visual.conv1.weight)


def test_import_of_a_truncated_file_names_it_and_imports_nothing(
    vit_b32_hub_cache, hub_cache_at, tmp_path, capsys
):
    stick = tmp_path / "usb-stick"
    hub_cache_at(vit_b32_hub_cache.root)
    assert dreamdraw(capsys, "models", "export", str(stick))[0] == 0
    weights = next(stick.rglob("open_clip_model.safetensors"))
    with open(weights, "r+b") as f:
        f.truncate(weights.stat().st_size - 4096)
    venue_cache = hub_cache_at(tmp_path / "venue-hub")
    code, out, err = dreamdraw(capsys, "models", "import", str(stick))
    assert code == 2 and err.count("\n") == 1
    assert f"{weights} is truncated or altered" in err
    assert not venue_cache.exists()


def test_run_offline_without_weights_is_one_line_naming_options_run_has(tmp_path):
    """As the systemd unit starts it: another folder, no network, an empty cache."""
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_CACHE": str(tmp_path / "empty-cache"),
        "DREAMDRAW_DATA_DIR": str(tmp_path / "data"),
        "SDL_VIDEODRIVER": "dummy",
        "SDL_AUDIODRIVER": "dummy",
    }
    command = [sys.executable, "-m", "dreamdraw", "run", "--keyboard", "--simulate-plotter"]
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 2
    *logged, error = result.stderr.splitlines()
    assert error.startswith("error: CLIP weights ViT-B-32:openai are not in ")
    assert "(this machine is offline)" in error and "--clip-checkpoint PATH" in error
    # Above it only the show's own log (the missing GPU), no line of open_clip or the hub.
    assert all(line.split()[1].startswith("dreamdraw.") for line in logged), logged
    helped = subprocess.run(
        [*command[:4], "--help"], env=env, capture_output=True, text=True, timeout=120
    )
    assert "--clip-checkpoint" in helped.stdout
    assert not (tmp_path / "None").exists()


@pytest.mark.slow  # the explainability suite on ViT-B-32 on the CPU: about 30 s
def test_analyse_reads_the_clip_from_the_configured_cache_dir(
    vit_b32_hub_cache, hub_cache_at, tmp_path, capsys
):
    from PIL import Image

    hub_cache_at(tmp_path / "empty-standard-cache")
    config = tmp_path / "venue.toml"
    config.write_text(f'[drawing]\nclip_cache_dir = "{vit_b32_hub_cache.root}"\n')
    picture = tmp_path / "drawing.png"
    sketch = Image.new("RGB", (224, 224), "white")
    sketch.paste((200, 16, 46), (40, 80, 180, 200))  # a red block
    sketch.save(picture)
    code, out, err = dreamdraw(
        capsys, "--config", str(config), "analyse", "pair", "a red house", str(picture),
        "--out", str(tmp_path / "out"), "--no-fixlip", "--device", "cpu",
    )  # fmt: skip
    assert code == 0, err
    analysis = json.loads((tmp_path / "out" / "analysis.json").read_text())
    assert analysis["model_id"] == "ViT-B-32:openai"


def test_an_unknown_clip_name_points_to_the_list_of_known_ones(capsys):
    code, _, err = dreamdraw(capsys, "draw", "x", "--out", "unused", "--clip", "ViT-B-99:openai")
    assert code == 2 and "`dreamdraw models list --known`" in err
    code, out, _ = dreamdraw(capsys, "models", "list", "--known")
    assert code == 0
    assert "clip    ViT-B-32:openai" in out.splitlines() and "whisper small" in out.splitlines()


def test_export_then_import_carries_a_whisper_model_too(hub_cache_at, tmp_path, capsys):
    from dreamdraw.speech.models import cached_whisper_dir, verify_whisper_dir

    from tests.speech.whisper_cache import fabricate_whisper_hub

    fabricate_whisper_hub(hub_cache_at(tmp_path / "online-hub"))
    stick = tmp_path / "usb-stick"
    code, out, err = dreamdraw(capsys, "models", "export", str(stick))
    assert code == 0 and "exported whisper tiny.en" in out, err
    venue_cache = hub_cache_at(tmp_path / "venue-hub")
    code, out, err = dreamdraw(capsys, "models", "import", str(stick))
    assert code == 0 and "imported whisper" in out and "sha256 ok" in out, err
    folder = cached_whisper_dir("tiny.en")
    assert folder is not None and folder.is_relative_to(venue_cache)
    verify_whisper_dir("tiny.en", folder)  # against the manifest import wrote
    assert (venue_cache / MANIFEST_NAME).is_file()
