"""Content-addressed files (sha256) written atomically: temp file, fsync, rename."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from dreamdraw.archive.errors import ArchiveError, BlobUnavailable

__all__ = ["BlobStore", "is_sha256"]

_SHA256 = re.compile(r"[0-9a-f]{64}")


def is_sha256(value: str) -> bool:
    """True when `value` is 64 lowercase hex digits (the only names the store ever uses)."""
    return bool(_SHA256.fullmatch(value))


class BlobStore:
    """Files named by the sha256 of their bytes under `root/ab/cd/<sha>`.

    A blob is complete once its name exists: bytes go to a temp file in `root/.tmp`,
    are fsynced, and only then renamed into place (rename is atomic on one filesystem).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / ".tmp"
        self.trash_dir = self.root / ".trash"
        try:
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
            self.trash_dir.mkdir(exist_ok=True)
        except OSError as exc:
            raise ArchiveError(f"cannot create blob folder {self.root}: {exc}") from None

    def path(self, sha: str) -> Path:
        """Where the blob `sha` lives; refuses anything but a sha256 hex name."""
        if not is_sha256(sha):
            raise ArchiveError(f"{sha!r} is not a blob name (64 hex digits)")
        return self.root / sha[:2] / sha[2:4] / sha

    def put(self, data: bytes) -> str:
        """Store `data` durably and return its sha256 hex; storing the same bytes twice is free."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists():
            # Refresh the time so a concurrent check does not call a reused blob an orphan.
            os.utime(target)
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.tmp_dir, prefix=sha[:12] + ".")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return sha

    def get(self, sha: str) -> bytes:
        """The bytes of blob `sha`, checked against their hash; BlobUnavailable otherwise."""
        try:
            data = self.path(sha).read_bytes()
        except FileNotFoundError:
            raise BlobUnavailable(
                f"blob {sha} is missing from {self.root}; run `dreamdraw archive check`", sha
            ) from None
        if hashlib.sha256(data).hexdigest() != sha:
            raise BlobUnavailable(
                f"blob {sha} in {self.root} is damaged (its bytes no longer match their hash); "
                "restore it from a backup and run `dreamdraw archive check`",
                sha,
            )
        return data

    def exists(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def is_intact(self, sha: str) -> bool:
        """True when the blob's bytes still hash to its name (read in 1 MiB chunks)."""
        digest = hashlib.sha256()
        with self.path(sha).open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest() == sha

    def discard(self, sha: str) -> Path | None:
        """Move blob `sha` into the trash (atomic rename); its trash path, None if absent.

        A record's delete discards inside its transaction, then `purge`s after the commit
        or `restore`s after a rollback: a file leaves only once no committed record names it.
        """
        trashed = self.trash_dir / f"{sha}.{secrets.token_hex(8)}"
        try:
            os.replace(self.path(sha), trashed)
        except FileNotFoundError:
            return None
        return trashed

    def restore(self, trashed: list[tuple[str, Path]]) -> None:
        """Put discarded blobs (sha, trash path) back in place."""
        for sha, path in trashed:
            target = self.path(sha)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)

    def purge(self, paths: list[Path]) -> None:
        """Delete discarded blobs for good."""
        for path in paths:
            path.unlink(missing_ok=True)

    def in_trash(self, sha: str) -> bool:
        """True while blob `sha` sits in the trash (a delete in flight, or a dead writer's)."""
        return any(self.trash_dir.glob(f"{self.path(sha).name}.*"))

    def trashed(self) -> dict[str, list[Path]]:
        """Discarded blobs not yet purged (a process died between discard and purge), by sha."""
        found: dict[str, list[Path]] = {}
        for path in sorted(self.trash_dir.iterdir()):
            sha = path.name.split(".", 1)[0]
            if is_sha256(sha):
                found.setdefault(sha, []).append(path)
        return found

    def iter_names(self) -> Iterator[str]:
        """Every stored blob name (files with other names are ignored)."""
        for first in sorted(self.root.glob("[0-9a-f][0-9a-f]")):
            for path in sorted(first.glob("[0-9a-f][0-9a-f]/*")):
                if is_sha256(path.name) and path.is_file():
                    yield path.name

    def holds_any(self) -> bool:
        """True when at least one blob is stored."""
        return next(self.iter_names(), None) is not None

    def age_s(self, sha: str) -> float:
        """Seconds since the blob was last written or reused."""
        return self.age_of(self.path(sha))

    @staticmethod
    def age_of(path: Path) -> float:
        """Seconds since the file at `path` was last written."""
        return time.time() - path.stat().st_mtime

    def stale_temp_files(self, min_age_s: float) -> list[Path]:
        """Temp files left by writers that died mid-write, older than `min_age_s` seconds."""
        now = time.time()
        return [p for p in sorted(self.tmp_dir.iterdir()) if now - p.stat().st_mtime >= min_age_s]

    def move_aside(self, paths: list[Path], folder: Path) -> None:
        """Move files (orphans, stale temp files) into `folder`, keeping their names."""
        folder.mkdir(parents=True, exist_ok=True)
        for path in paths:
            shutil.move(str(path), folder / path.name)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
