"""The disk watch: the show rests while the data disk is (nearly) full and reopens by itself."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from dreamdraw.installation.faults import FaultLog
from dreamdraw.installation.settings import ShowSettings

__all__ = ["DiskWatch", "is_disk_full"]

_PROBE_BYTES = 1 << 20  # after a failed write, the show reopens once this much can be written


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` is a write that failed for want of space."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


class DiskWatch:
    """Free space on the data disk against show.min_free_mb, and writes that failed for want of it.

    check() answers whether the show must rest; a full disk is the active fault `disk_full`.
    """

    def __init__(self, data_dir: Path, settings: ShowSettings, faults: FaultLog) -> None:
        self.data_dir = Path(data_dir)
        self.settings = settings
        self.faults = faults
        self._write_failed = False  # cleared only by a successful probe write

    def write_failed(self, message: str) -> None:
        """A write failed for want of space: rest until a real write succeeds again."""
        self._write_failed = True
        self.faults.report("disk_full", message, "error")

    def check(self) -> bool | None:
        """True: the disk is full; False: it has room; None: its free space cannot be read."""
        try:
            free_mb = shutil.disk_usage(self.data_dir).free / 1e6
        except OSError:
            return None
        min_free_mb = self.settings.min_free_mb
        low = free_mb < min_free_mb
        if self._write_failed and not low:
            low = not self._room_to_write()
            self._write_failed = low
        if low and not self.faults.is_active("disk_full"):
            self.faults.report(
                "disk_full",
                f"only {free_mb:.0f} MB free on the data disk ({self.data_dir}); the show takes "
                f"no dreams below show.min_free_mb = {min_free_mb:g} MB. "
                "Free space (or move data_dir), and the show resumes by itself.",
                "error",
            )
        return low

    def _room_to_write(self) -> bool:
        """Whether a drawing's worth of data (_PROBE_BYTES) can be written to the data disk."""
        probe = self.data_dir / ".space-probe"
        try:
            with open(probe, "wb") as out:
                out.write(bytes(_PROBE_BYTES))
                out.flush()
                os.fsync(out.fileno())
            return True
        except OSError:
            return False
        finally:
            probe.unlink(missing_ok=True)
