"""Shared test fixtures: a folder for artefacts (screenshots, PNGs) kept after the run."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """A per-test folder under test-artifacts/ whose files survive the run."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
    path = ARTIFACTS / name
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes into the real user data directory, and nothing reaches the network hub."""
    monkeypatch.setenv("DREAMDRAW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", os.environ.get("HF_HUB_OFFLINE", "1"))


@pytest.fixture(scope="session")
def vit_b32_hub_cache(tmp_path_factory: pytest.TempPathFactory):
    """A Hugging Face hub cache holding ViT-B-32:openai with random weights, in open_clip's
    download layout (built once per test session; see tests/drawing/clip_cache.py)."""
    from tests.drawing.clip_cache import fabricate_hub_cache

    return fabricate_hub_cache(tmp_path_factory.getbasetemp() / "hf-hub-vit-b-32")


@pytest.fixture(scope="session")
def openai_jit_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OpenAI's original TorchScript `ViT-B-32.pt` format, random weights (built once per session)."""
    from tests.drawing.clip_cache import fabricate_openai_jit

    folder = tmp_path_factory.getbasetemp() / "openai-clip"
    folder.mkdir(exist_ok=True)
    return fabricate_openai_jit(folder / "ViT-B-32.pt")


@pytest.fixture
def hub_cache_at(monkeypatch: pytest.MonkeyPatch):
    """Point the Hugging Face hub cache ($HF_HUB_CACHE) at a folder, offline, for this test;
    loaded CLIPs are forgotten afterwards (ViT-B-32 holds 600 MB)."""
    import huggingface_hub.constants as hub
    from dreamdraw.drawing.clip import _load_cached

    def point(root: Path) -> Path:
        monkeypatch.setenv("HF_HUB_CACHE", str(root))
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        monkeypatch.setattr(hub, "HF_HUB_CACHE", str(root))
        monkeypatch.setattr(hub, "HF_HUB_OFFLINE", True)
        return root

    yield point
    _load_cached.cache_clear()
