"""One immutable picture of the running show: what the kiosk draws and the status page shows."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from dreamdraw.drawing.clipdraw import DrawProgress
from dreamdraw.drawing.model import Drawing
from dreamdraw.installation.faults import Fault
from dreamdraw.installation.states import Screen, State
from dreamdraw.plotter import PenInfo, Progress

__all__ = ["QueueStatus", "ShowSnapshot"]


@dataclass(frozen=True)
class QueueStatus:
    """A queue between stages: how many wait now, its bound, the most that ever waited."""

    size: int
    bound: int
    most: int


@dataclass(frozen=True)
class ShowSnapshot:
    """The show at one moment; readers never see a half-updated show.

    `draw_progress` is the drawing in progress (its last strokes), `plot_progress` the plot
    job's, `plot_record` the record on the plotter now, `pen_change` the pen the attendant
    must put in (None: no pen change pending). `last_drawing` is the drawing finished last (the
    visitor's own on the thank-you screen); `finished` are the last drawings made, newest
    last (empty when the venue's consent settings keep drawings from public view); `notes`
    what visitors must be told about how the robot draws today (on the CPU, fewer strokes).
    """

    running: bool
    venue: str
    screen: Screen
    keyboard_mode: bool
    can_take_dream: bool
    level_dbfs: float
    speaking: bool
    drawing_device: str
    draw_progress: DrawProgress | None
    plotter_state: str
    plot_record: int | None
    plot_progress: Progress | None
    pen_change: PenInfo | None
    draw_queue: QueueStatus
    plot_queue: QueueStatus
    analysis_queue: QueueStatus
    faults: tuple[Fault, ...]
    fault_counts: dict[str, int]
    counters: dict[str, int]
    last_drawing: Drawing | None = None
    finished: tuple[Drawing, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def state(self) -> State:
        return self.screen.state

    def status(self, heartbeat: float) -> dict[str, Any]:
        """Everything the technician needs, as JSON-ready data (the status page and file)."""
        plot = self.plot_progress if self.plot_record is not None else None
        return {
            "running": self.running,
            "heartbeat": heartbeat,
            "venue": self.venue,
            "state": self.screen.state.value,
            "visitor": self.screen.visitor,
            "message": self.screen.message,
            "keyboard_mode": self.keyboard_mode,
            "drawing_device": self.drawing_device,
            "queues": {
                "draw": dataclasses.asdict(self.draw_queue),
                "plot": dataclasses.asdict(self.plot_queue),
                "analysis": dataclasses.asdict(self.analysis_queue),
            },
            "plotter": {
                "state": self.plotter_state,
                "record": self.plot_record,
                "fraction": plot.fraction if plot else 0.0,
                "remaining_s": plot.remaining_s if plot else None,
                "pen_change": self.pen_change.label() if self.pen_change else None,
            },
            "faults": [dataclasses.asdict(f) for f in self.faults],
            "fault_counts": dict(self.fault_counts),
            "counters": dict(self.counters),
        }
