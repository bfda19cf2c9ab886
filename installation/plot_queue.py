"""Drawings waiting for the plotter, kept on disk: a lost plotter or a restart loses none."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["PlotEntry", "PlotQueue"]

_ENTRY = "entry.json"
_SVG = "drawing.svg"
_JOB = "job.plotjob"


@dataclass(frozen=True)
class PlotEntry:
    """One waiting drawing: its archive record, the dream (untrusted text), its folder."""

    seq: int
    record_id: int
    dream: str
    created: str
    folder: Path

    @property
    def svg_path(self) -> Path:
        return self.folder / _SVG

    @property
    def job_path(self) -> Path:
        """The plot job's file: present once plotting began, so a later attempt resumes it."""
        return self.folder / _JOB


class PlotQueue:
    """A folder per waiting drawing under `root`, oldest first; at most `capacity` wait.

    Entries are written to a temporary folder and renamed into place, so a crash leaves
    either a whole entry or none.
    """

    def __init__(self, root: str | Path, capacity: int) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.capacity = capacity
        self._lock = threading.Condition()
        self.most_waiting = len(self)
        for leftover in self.root.glob(".tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)

    def entries(self) -> list[PlotEntry]:
        """Every waiting drawing, oldest first."""
        found = []
        for folder in self.root.iterdir():
            if folder.name.startswith(".") or not (folder / _ENTRY).is_file():
                continue
            try:
                data = json.loads((folder / _ENTRY).read_text(encoding="utf-8"))
                found.append(
                    PlotEntry(
                        int(data["seq"]),
                        int(data["record_id"]),
                        data["dream"],
                        data["created"],
                        folder,
                    )
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return sorted(found, key=lambda e: e.seq)

    def __len__(self) -> int:
        return len(self.entries())

    def put(self, record_id: int, svg: str, dream: str) -> PlotEntry | None:
        """Queue a drawing (SVG text); None when `capacity` drawings already wait."""
        with self._lock:
            waiting = self.entries()
            if len(waiting) >= self.capacity:
                return None
            seq = (waiting[-1].seq if waiting else self._last_seq()) + 1
            created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            folder = self.root / f"{seq:08d}-{record_id}"
            tmp = self.root / f".tmp-{seq:08d}"
            tmp.mkdir()
            (tmp / _SVG).write_text(svg, encoding="utf-8")
            entry = PlotEntry(seq, record_id, dream, created, folder)
            data = {k: v for k, v in asdict(entry).items() if k != "folder"}
            with (tmp / _ENTRY).open("w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False)
                f.flush()
                os.fsync(f.fileno())
            tmp.rename(folder)
            (self.root / ".last-seq").write_text(str(seq))
            self.most_waiting = max(self.most_waiting, len(waiting) + 1)
            self._lock.notify_all()
            return entry

    def next(self, timeout: float | None = None) -> PlotEntry | None:
        """The oldest waiting drawing, waiting up to `timeout` seconds for one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while True:
                waiting = self.entries()
                if waiting:
                    return waiting[0]
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._lock.wait(left)

    def remove(self, entry: PlotEntry) -> None:
        """The drawing is plotted (or given up): forget it."""
        with self._lock:
            shutil.rmtree(entry.folder, ignore_errors=True)

    def position(self, record_id: int) -> int | None:
        """How many drawings are ahead of this record's (0: it is next), None if not waiting."""
        for i, entry in enumerate(self.entries()):
            if entry.record_id == record_id:
                return i
        return None

    def _last_seq(self) -> int:
        try:
            return int((self.root / ".last-seq").read_text())
        except (OSError, ValueError):
            return 0
