"""The show's models on disk: list, pull, and carry them to an offline machine (export/import).

CLIP tags and faster-whisper models both live in a Hugging Face hub cache (the standard one,
and `drawing.clip_cache_dir` for CLIP when the venue sets it). An export folder holds the same
layout with plain files (USB sticks need no symlinks) and `dreamdraw-models.json`, the sha256
and size of every file; import checks every file against it before copying anything.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dreamdraw.installation.errors import ModelsError
from dreamdraw.installation.sections import Config
from dreamdraw.model_files import check_file, expected_sha256, read_manifest, record_files

__all__ = [
    "InstalledModel",
    "export_models",
    "import_models",
    "known_models",
    "list_models",
    "model_roots",
    "pull_model",
]

Kind = Literal["clip", "whisper"]


@dataclass
class InstalledModel:
    """A model found on this machine: its files' folder, total size (bytes) and sha256 status."""

    kind: Kind
    name: str
    location: Path
    size_bytes: int
    status: str

    def describe(self) -> str:
        """One line for the technician: kind, name, size in MB, sha256 status, folder."""
        return (
            f"{self.kind:<8}{self.name:<28}{self.size_bytes / 1e6:>9.1f} MB  "
            f"{self.status:<16}{self.location}"
        )


def _standard_hub() -> Path:
    import huggingface_hub.constants as hub

    return Path(hub.HF_HUB_CACHE)


def model_roots(config: Config) -> list[Path]:
    """The hub caches the show reads: drawing.clip_cache_dir (when set), then the standard one."""
    roots = (
        [Path(config.drawing.clip_cache_dir).expanduser()] if config.drawing.clip_cache_dir else []
    )
    standard = _standard_hub()
    if all(standard.absolute() != r.absolute() for r in roots):
        roots.append(standard)
    return roots


def _repo_models() -> dict[str, tuple[Kind, str]]:
    """Hub repository id -> (kind, model name) for every CLIP tag and Whisper model we know."""
    import open_clip
    from dreamdraw.speech.models import WHISPER_REPOS

    repos: dict[str, tuple[Kind, str]] = {}
    for name, tag in open_clip.list_pretrained():
        hub_id = open_clip.get_pretrained_cfg(name, tag).get("hf_hub", "")
        if hub_id:
            repos.setdefault(os.path.split(hub_id)[0], ("clip", f"{name}:{tag}"))
    for name, repo in WHISPER_REPOS.items():
        repos[repo] = ("whisper", name)
    return repos


def known_models() -> list[tuple[Kind, str]]:
    """(kind, name) of every model `pull_model` can fetch: open_clip's pretrained tags, then
    faster-whisper's model names."""
    import open_clip
    from dreamdraw.speech.models import WHISPER_REPOS

    clip: list[tuple[Kind, str]] = [("clip", tag) for tag in open_clip.list_pretrained(as_str=True)]
    return clip + [("whisper", name) for name in WHISPER_REPOS]


def _snapshots(root: Path) -> list[tuple[str, Path]]:
    """(repository id, snapshot folder of refs/main) of every model repository in a hub cache."""
    found = []
    for folder in sorted(root.glob("models--*")):
        ref = folder / "refs" / "main"
        if not ref.is_file():
            continue
        snapshot = folder / "snapshots" / ref.read_text().strip()
        if snapshot.is_dir():
            found.append((folder.name.removeprefix("models--").replace("--", "/", 1), snapshot))
    return found


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _status(files: list[Path], root: Path, verify: bool) -> str:
    if not verify:
        return "not checked"
    known = 0
    for path in files:
        expected = expected_sha256(path, root)
        if expected is None:
            continue
        known += 1
        if check_file(path, *expected):
            return "CORRUPTED"
    return "sha256 ok" if known else "no sha256 known"


def list_models(config: Config, verify: bool = True) -> list[InstalledModel]:
    """The CLIP and Whisper models on this machine (with `verify`, each file's sha256 checked)."""
    from dreamdraw.speech.errors import SpeechError
    from dreamdraw.speech.models import PACKAGED_MODELS, packaged_model_dir, verify_whisper_dir

    models = []
    for name in PACKAGED_MODELS:
        folder = packaged_model_dir(name)
        if folder is None:
            continue
        status = "not checked"
        if verify:
            try:
                verify_whisper_dir(name, folder)
                status = "sha256 ok"
            except SpeechError:
                status = "CORRUPTED"
        size = sum(p.stat().st_size for p in _files(folder))
        models.append(InstalledModel("whisper", name, folder, size, status))
    repos = _repo_models()
    for root in model_roots(config):
        for repo, snapshot in _snapshots(root):
            if repo not in repos:
                continue
            kind, name = repos[repo]
            files = _files(snapshot)
            size = sum(p.stat().st_size for p in files)
            models.append(InstalledModel(kind, name, snapshot, size, _status(files, root, verify)))
    return models


def pull_model(name: str, config: Config) -> InstalledModel:
    """Download a CLIP tag (NAME:TAG, into drawing.clip_cache_dir or the standard cache) or a
    faster-whisper model (tiny.en, base, small, ...) and record its sha256; returns it."""
    from dreamdraw.speech.models import WHISPER_REPOS, pull_whisper

    if name in WHISPER_REPOS:
        folder = pull_whisper(name)
        files = _files(folder)
        size = sum(p.stat().st_size for p in files)
        return InstalledModel("whisper", name, folder, size, "sha256 recorded")
    from dreamdraw.drawing.clip import pull_clip

    clip = pull_clip(name, config.drawing.clip_cache_dir)
    assert clip.weights_path is not None
    size = clip.weights_path.stat().st_size
    return InstalledModel("clip", name, clip.weights_path.parent, size, "sha256 recorded")


def export_models(dest: Path, config: Config) -> list[InstalledModel]:
    """Copy every hub-cached CLIP and Whisper model into `dest` (plain files, hub layout) with a
    manifest of sha256s; models that fail their sha256 check are refused (ModelsError)."""
    dest = Path(dest)
    exported = []
    written: dict[str, list[Path]] = {}
    for model in list_models(config):
        if model.location.parent.name != "snapshots":
            continue  # a packaged model ships with dreamdraw itself
        if model.status == "CORRUPTED":
            raise ModelsError(
                f"{model.kind} model {model.name} in {model.location} fails its sha256 check; "
                f"pull it again (`dreamdraw models pull {model.name}`) before exporting"
            )
        repo_folder = model.location.parent.parent
        target = dest / "hub" / repo_folder.name
        (target / "refs").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(repo_folder / "refs" / "main", target / "refs" / "main")
        snapshot = target / "snapshots" / model.location.name
        for path in _files(model.location):
            out = snapshot / path.relative_to(model.location)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out)  # follows the hub's symlinks to the blobs
            written.setdefault(f"{model.kind}:{model.name}", []).append(out)
        exported.append(model)
    if not exported:
        raise ModelsError(
            "no downloaded models to export; `dreamdraw models pull NAME` gets them first"
        )
    for model_key, paths in written.items():
        record_files(dest, paths, model_key)
    return exported


def import_models(src: Path, config: Config) -> list[InstalledModel]:
    """Check every file of an export folder against its manifest, then copy the models into the
    show's caches (CLIP into drawing.clip_cache_dir when set) and record their sha256 there."""
    src = Path(src)
    manifest = read_manifest(src)
    if not manifest:
        raise ModelsError(
            f"{src} has no readable dreamdraw-models.json; give the folder that "
            "`dreamdraw models export DIR` wrote"
        )
    for rel, entry in sorted(manifest.items()):
        problem = check_file(src / rel, str(entry.get("sha256", "")), entry.get("size"))
        if problem:
            raise ModelsError(f"{problem}; nothing was imported, export the models again")
    repos = _repo_models()
    roots = model_roots(config)
    clip_root, standard = roots[0], roots[-1]
    copied: dict[tuple[Path, str], list[Path]] = {}
    for repo, snapshot in _snapshots(src / "hub"):
        kind, name = repos.get(repo, ("clip", repo))
        root = clip_root if kind == "clip" else standard
        repo_folder = snapshot.parent.parent
        target = root / repo_folder.name
        (target / "refs").mkdir(parents=True, exist_ok=True)
        for path in _files(snapshot):
            out = target / "snapshots" / snapshot.name / path.relative_to(snapshot)
            out.parent.mkdir(parents=True, exist_ok=True)
            if out.is_symlink():
                out.unlink()
            tmp = out.with_name(f".{out.name}.importing")
            shutil.copyfile(path, tmp)
            os.replace(tmp, out)
            copied.setdefault((root, f"{kind}:{name}"), []).append(out)
        shutil.copyfile(repo_folder / "refs" / "main", target / "refs" / "main")
    if not copied:
        raise ModelsError(f"{src} holds no models")
    for (root, model_key), paths in copied.items():
        record_files(root, paths, model_key)
    imported = {tuple(key.split(":", 1)) for (_, key) in copied}
    return [m for m in list_models(config) if (m.kind, m.name) in imported]
