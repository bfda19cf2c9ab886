"""The packaged tiny.en written into a Hugging Face hub cache exactly as faster-whisper's
download leaves it (Systran/faster-whisper-tiny.en: blobs named by their git object id,
sha256 for the LFS-stored model.bin; snapshots linking to them; refs/main)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from dreamdraw.speech.models import WHISPER_REPOS, packaged_model_dir

__all__ = ["fabricate_whisper_hub"]

REVISION = "fedcba9876543210fedcba9876543210fedcba98"
_LFS_FILES = {"model.bin"}


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def fabricate_whisper_hub(root: Path, name: str = "tiny.en") -> Path:
    """Write model `name` (the packaged tiny.en's files) into hub cache `root`; returns the
    snapshot folder."""
    source = packaged_model_dir("tiny.en")
    assert source is not None
    repo = root / f"models--{WHISPER_REPOS[name].replace('/', '--')}"
    snapshot = repo / "snapshots" / REVISION
    snapshot.mkdir(parents=True, exist_ok=True)
    (repo / "blobs").mkdir(exist_ok=True)
    for path in sorted(source.iterdir()):
        data = path.read_bytes()
        blob_id = (
            hashlib.sha256(data).hexdigest() if path.name in _LFS_FILES else _git_blob_id(data)
        )
        shutil.copyfile(path, repo / "blobs" / blob_id)
        (snapshot / path.name).symlink_to(Path("..") / ".." / "blobs" / blob_id)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(REVISION)
    return snapshot
