"""The drawing stage: CLIP on the GPU when there is one, and fewer strokes when memory runs out."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import deque
from collections.abc import Callable

import torch
from dreamdraw.drawing import (
    ClipModel,
    Drawing,
    DrawingError,
    DrawProgress,
    DrawSettings,
    draw,
    load_clip,
)
from dreamdraw.installation.dream import Dream
from dreamdraw.installation.faults import FaultLog
from dreamdraw.installation.settings import ShowSettings
from dreamdraw.installation.stage import QueueStage

__all__ = ["DrawFunction", "Drawn", "DrawingStage", "load_show_clip"]

log = logging.getLogger("dreamdraw.show.drawing")

_FINISHED_KEPT = 4

DrawFunction = Callable[
    [str, DrawSettings, ClipModel, Callable[[DrawProgress], None] | None], Drawing
]
# (dream, drawing, note for the visitor): a dream was drawn.
Drawn = Callable[[Dream, Drawing, str], None]
# (dream, error): a dream could not be drawn.
DrawFailed = Callable[[Dream, Exception], None]


def load_show_clip(settings: DrawSettings, show: ShowSettings, faults: FaultLog) -> ClipModel:
    """Load CLIP once for the show: on the GPU when there is one, else on the CPU (a fault)."""
    device = settings.device
    if device != "cpu" and not torch.cuda.is_available():
        if device != "auto" and not show.cpu_fallback:
            raise DrawingError(
                f"drawing.device is {device!r} but no CUDA GPU is available; "
                "set drawing.device = 'cpu' or show.cpu_fallback = true"
            )
        faults.report(
            "no_gpu",
            f"no CUDA GPU (drawing.device = {device!r}): drawing on the CPU with at most "
            f"{show.cpu_max_strokes} strokes and {show.cpu_max_iterations} iterations",
        )
        device = "cpu"
    return load_clip(settings.clip, settings.clip_checkpoint, device, settings.clip_cache_dir)


def _is_out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, torch.cuda.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
    )


class DrawingStage(QueueStage[Dream]):
    """Draws queued dreams with the show's CLIP; degrades (fewer strokes, then the CPU) instead of
    failing. `progress` is the drawing in progress; `busy` is set while one is drawn.

    draw_fn has drawing.draw's signature (prompt, settings, clip, progress) -> Drawing.
    """

    name = "drawing"

    def __init__(
        self,
        settings: DrawSettings,
        show: ShowSettings,
        clip: ClipModel,
        faults: FaultLog,
        draw_fn: DrawFunction = draw,
        *,
        stopping: threading.Event | None = None,
        on_drawn: Drawn | None = None,
        on_failed: DrawFailed | None = None,
    ) -> None:
        super().__init__(faults, stopping or threading.Event(), show.draw_queue_size)
        self.settings = settings
        self.show = show
        self.clip = clip
        self.draw_fn = draw_fn
        self.on_drawn = on_drawn
        self.on_failed = on_failed
        self.progress: DrawProgress | None = None
        self.busy = threading.Event()
        # The last few finished drawings, newest last: the kiosk shows them between visitors.
        self.finished: deque[Drawing] = deque(maxlen=_FINISHED_KEPT)

    def handle(self, dream: Dream) -> None:
        """Draw one queued dream and hand the result on."""
        self.progress = None
        self.busy.set()
        try:
            drawing, note = self.draw(dream.prompt, self._on_progress)
        except Exception as exc:
            self.faults.report("drawing_failed", f"drawing failed: {exc}", "error", active=False)
            if self.on_failed is not None:
                self.on_failed(dream, exc)
            return
        finally:
            self.busy.clear()
        self.finished.append(drawing)
        if self.on_drawn is not None:
            self.on_drawn(dream, drawing, note)

    def _on_progress(self, progress: DrawProgress) -> None:
        self.progress = progress

    def _capped(self, settings: DrawSettings, clip: ClipModel) -> DrawSettings:
        if clip.device.type != "cpu":
            return settings
        return dataclasses.replace(
            settings,
            strokes=min(settings.strokes, self.show.cpu_max_strokes),
            iterations=min(settings.iterations, self.show.cpu_max_iterations),
        )

    def _degraded(self, settings: DrawSettings) -> DrawSettings:
        factor = self.show.degrade_factor
        return dataclasses.replace(
            settings,
            strokes=max(1, int(settings.strokes * factor)),
            iterations=max(1, int(settings.iterations * factor)),
        )

    def draw(
        self, prompt: str, progress: Callable[[DrawProgress], None] | None = None
    ) -> tuple[Drawing, str]:
        """Draw `prompt`; returns the Drawing and a note for the visitor ("" when all went well)."""
        settings = self._capped(self.settings, self.clip)
        clip = self.clip
        note = ""
        retries = 0
        while True:
            try:
                return self.draw_fn(prompt, settings, clip, progress), note
            except Exception as exc:
                if not _is_out_of_memory(exc):
                    raise
                if clip.device.type == "cuda":
                    torch.cuda.empty_cache()
                if retries < self.show.oom_retries:
                    retries += 1
                    settings = self._degraded(settings)
                    note = "The robot drew your dream with fewer strokes today."
                    self.faults.report(
                        "gpu_out_of_memory",
                        f"out of memory on {clip.device}; retrying with {settings.strokes} "
                        f"strokes and {settings.iterations} iterations",
                        active=False,
                    )
                    continue
                if self.show.cpu_fallback and clip.device.type != "cpu":
                    clip = load_clip(
                        self.settings.clip,
                        self.settings.clip_checkpoint,
                        "cpu",
                        self.settings.clip_cache_dir,
                    )
                    self.clip = clip  # the GPU keeps failing: the rest of the show draws on the CPU
                    settings = self._capped(settings, clip)
                    note = "The robot drew your dream more slowly and with fewer strokes today."
                    self.faults.report(
                        "gpu_out_of_memory",
                        "the GPU keeps running out of memory: drawing on the CPU from now on",
                        severity="error",
                    )
                    continue
                raise DrawingError(
                    f"out of memory while drawing, even with {settings.strokes} strokes; "
                    "lower drawing.strokes or drawing.canvas_px"
                ) from None
