"""The structured fault log: every fault as a JSON line, and which faults are active now."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["FAULT_KINDS", "Fault", "FaultLog"]

log = logging.getLogger("dreamdraw.faults")

# What can go wrong at a show, and how it degrades it.
FAULT_KINDS: dict[str, str] = {
    "no_microphone": "no microphone: visitors type their dreams",
    "no_plotter": "the plotter is missing: drawings wait in the plot queue",
    "plotter_lost": "the plotter was lost mid-plot: the drawing will be resumed",
    "no_gpu": "no GPU: drawing on the CPU with fewer strokes and iterations",
    "gpu_out_of_memory": "the GPU ran out of memory: drawing with fewer strokes and iterations",
    "disk_full": "the data disk is full: the show takes no dreams",
    "archive_error": "the archive could not store a pair",
    "drawing_failed": "a drawing failed",
    "speech_failed": "listening or transcription failed",
    "analysis_failed": "the analysis of a pair failed",
    "plotting_failed": "the plotting worker failed (it restarts by itself)",
    "housekeeping_failed": "the timers' worker failed (it restarts by itself)",
    "pen_change": "the plotter waits for the attendant to change pens",
    "plot_queue_full": "the plot queue is full: new drawings are archived but not plotted",
}

Severity = Literal["info", "warning", "error"]


@dataclass
class Fault:
    """One fault: its kind (FAULT_KINDS), a message for the operator, when (UTC, ISO 8601)."""

    kind: str
    message: str
    severity: Severity = "warning"
    at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    detail: dict[str, Any] = field(default_factory=dict)


class FaultLog:
    """Appends faults to DATA/logs/faults.jsonl; `active` holds those not yet cleared, by kind."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "logs" / "faults.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.active: dict[str, Fault] = {}
        self.counts: dict[str, int] = {}

    def report(
        self,
        kind: str,
        message: str,
        severity: Severity = "warning",
        *,
        active: bool = True,
        **detail: Any,
    ) -> Fault:
        """Log a fault; `active` keeps it on the status page until clear(kind)."""
        fault = Fault(kind, message, severity, detail=detail)
        line = json.dumps(asdict(fault), ensure_ascii=False, default=str)
        with self._lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if active:
                self.active[kind] = fault
            try:
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(line + "\n")
            except OSError as exc:  # a full disk must not stop the show from reporting it
                log.error("cannot write the fault log %s: %s", self.path, exc)
        level = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}[severity]
        log.log(level, "%s: %s", kind, message, extra={"fault": kind})
        return fault

    def clear(self, kind: str) -> bool:
        """The fault is over; True when it was active."""
        with self._lock:
            fault = self.active.pop(kind, None)
        if fault is not None:
            log.info("%s cleared", kind, extra={"fault": kind, "cleared": True})
        return fault is not None

    def is_active(self, kind: str) -> bool:
        with self._lock:
            return kind in self.active

    def snapshot(self) -> list[Fault]:
        with self._lock:
            return list(self.active.values())
