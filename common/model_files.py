"""Model weights on disk: sha256 checks and the manifest written beside a cache of models.

Dependency-free, so that drawing (CLIP) and speech (Whisper) check their files the same way.
The manifest, `dreamdraw-models.json` at the root of a cache folder, maps each file's path
relative to that root to its sha256 and size (bytes); it is written when a model is pulled
or imported and read whenever the model is loaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "MANIFEST_NAME",
    "check_file",
    "expected_sha256",
    "quiet_hub_logs",
    "read_manifest",
    "record_files",
    "sha256_file",
    "unreachable",
]

MANIFEST_NAME = "dreamdraw-models.json"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_checked: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def sha256_file(path: Path, chunk_bytes: int = 1 << 22) -> str:
    """The hex sha256 of a file's bytes (read in 4 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def _cached_sha256(path: Path) -> str:
    """sha256_file, computed once per process for an unchanged file (same size and mtime)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _lock:
        known = _checked.get(key)
    if known is None:
        known = sha256_file(path)
        with _lock:
            _checked[key] = known
    return known


def read_manifest(root: Path) -> dict[str, dict]:
    """The manifest of the cache folder `root` ({relative path: {"sha256", "size"}}); {} if none."""
    try:
        data = json.loads((Path(root) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files", {}) if isinstance(data, dict) else {}
    return files if isinstance(files, dict) else {}


def record_files(root: Path, paths: list[Path], model: str) -> None:
    """Add `paths` (files under `root`) with their sha256 and size to root's manifest."""
    root = Path(root)
    files = read_manifest(root)
    for path in paths:
        rel = Path(os.path.relpath(Path(path).absolute(), root.absolute())).as_posix()
        files[rel] = {
            "sha256": _cached_sha256(Path(path)),
            "size": Path(path).stat().st_size,
            "model": model,
        }
    tmp = root / f".{MANIFEST_NAME}.tmp"
    tmp.write_text(json.dumps({"files": files}, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, root / MANIFEST_NAME)


def expected_sha256(path: Path, root: Path | None = None) -> tuple[str, int | None] | None:
    """The sha256 (and size, when known) a weights file must have, or None when nothing says.

    The manifest of `root` is asked first; then the Hugging Face cache's own naming: a snapshot
    file links to `blobs/<sha256>` for files stored with Git LFS (all weights files).
    """
    path = Path(path)
    if root is not None:
        rel = Path(os.path.relpath(path.absolute(), Path(root).absolute())).as_posix()
        entry = read_manifest(Path(root)).get(rel)
        if entry and _SHA256.match(str(entry.get("sha256", ""))):
            return entry["sha256"], entry.get("size")
    target = path.resolve()
    if target.parent.name == "blobs" and _SHA256.match(target.name):
        return target.name, None
    return None


def check_file(path: Path, sha256: str, size: int | None = None) -> str | None:
    """None when the file has this sha256 (and size), else what is wrong with it, in words."""
    path = Path(path)
    try:
        actual_size = path.stat().st_size
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror or exc})"
    if size is not None and actual_size != size:
        return f"{path} is truncated or altered ({actual_size} bytes, expected {size})"
    actual = _cached_sha256(path)
    if not actual.startswith(sha256):
        return f"{path} is corrupted (sha256 {actual[:12]}..., expected {sha256[:12]}...)"
    return None


def unreachable(url: str, timeout_s: float = 3.0) -> str | None:
    """Why the server of `url` cannot be reached (one line), or None when a connection opens."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        return f"{host} cannot be reached: {exc.strerror or exc}"
    return None


class _DropLibraryRecords(logging.Filter):
    """Records of the model libraries: the hub client, open_clip (which logs on the root logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(("huggingface_hub", "timm", "open_clip", "faster_whisper")):
            return False
        return f"{os.sep}open_clip{os.sep}" not in record.pathname


@contextmanager
def quiet_hub_logs() -> Iterator[None]:
    """While models load or download, the libraries' own log lines (retries, missing files,
    random initialisation) are dropped: what goes wrong is reported as one line by the caller."""
    quiet = _DropLibraryRecords()
    root = logging.getLogger()
    hub = logging.getLogger("huggingface_hub")
    targets = [root, *root.handlers, *hub.handlers]
    for target in targets:
        target.addFilter(quiet)
    try:
        yield
    finally:
        for target in targets:
            target.removeFilter(quiet)
