"""Rehearsals: simulated visitors walk through a running show, one after another."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from dreamdraw.installation.errors import ShowError
from dreamdraw.installation.orchestrator import Show
from dreamdraw.installation.states import State
from dreamdraw.speech import SAMPLE_RATE, load_audio

__all__ = ["RehearsalReport", "rehearse", "visitor_sounds"]


@dataclass
class RehearsalReport:
    """What the simulated visitors did: dreams accepted (texts as confirmed), queue peaks, time."""

    visitors: int
    accepted: list[str] = field(default_factory=list)
    queue_peaks: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def visitor_sounds(
    wavs: list[Path], silence_every: int = 3, pause_s: float = 1.5
) -> Iterator[np.ndarray]:
    """Endless visitors' sounds (16 kHz float32): each dream between silences, and after every
    `silence_every` dreams a visitor who says nothing."""
    silence = np.zeros(int(pause_s * SAMPLE_RATE), dtype=np.float32)
    sounds = []
    for i, path in enumerate(wavs):
        sounds.append(np.concatenate([silence[: SAMPLE_RATE // 4], load_audio(path), silence]))
        if silence_every and i % silence_every == silence_every - 1:
            sounds.append(silence)
    return itertools.cycle(sounds)


def rehearse(show: Show, visitors: int, step_timeout_s: float = 120.0) -> RehearsalReport:
    """Send `visitors` through a started show (each speaks into show.microphone and confirms),
    then wait until every dream is archived, plotted or skipped, and analysed.

    The queues' sizes are sampled every 50 ms for `queue_peaks`.
    """
    report = RehearsalReport(visitors)
    peaks: dict[str, int] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            for name, q in show.status()["queues"].items():
                peaks[name] = max(peaks.get(name, 0), q["size"])

    watcher = threading.Thread(target=watch, name="rehearsal-queues", daemon=True)
    watcher.start()
    started = time.monotonic()
    try:
        for _ in range(visitors):
            if not show.wait_until(show.can_take_dream, step_timeout_s):
                raise ShowError(f"the show took no new visitor for {step_timeout_s:.0f} s")
            visitor = show.screen.visitor
            show.listen()
            heard = show.wait_until(
                lambda v=visitor: (
                    show.screen.visitor > v and show.state in (State.CONFIRM, State.ATTRACT)
                ),
                step_timeout_s,
            )
            if not heard:
                raise ShowError(
                    f"visitor {visitor + 1} was not heard out in {step_timeout_s:.0f} s"
                )
            if show.state is State.CONFIRM:
                text = show.screen.dream
                if show.accept() and show.state is not State.ATTRACT:  # ATTRACT: moderated
                    report.accepted.append(text)

        def settled() -> bool:
            c = show.counters
            drawn = c["archived"] + c["draw_failed"] >= len(report.accepted)
            placed = c["plotted"] + c["plot_skipped"] >= c["archived"]
            analysed = not show.config.show.analyse or (
                c["analysed"] + c["analysis_failed"] + c["analysis_skipped"] >= c["archived"]
            )
            return drawn and placed and analysed

        if not show.wait_until(settled, step_timeout_s * 3):
            raise ShowError("the show did not finish the rehearsal's dreams in time")
    finally:
        done.set()
        watcher.join()
    report.seconds = time.monotonic() - started
    report.queue_peaks = peaks
    return report
