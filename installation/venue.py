"""Opening a show with the venue's real parts: CLIP, Whisper, the microphone, the plotter."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from dreamdraw.installation.drawing_stage import load_show_clip
from dreamdraw.installation.faults import FaultLog
from dreamdraw.installation.orchestrator import Show
from dreamdraw.installation.plotting import PlotterStation
from dreamdraw.installation.sections import Config
from dreamdraw.speech import AudioSource, MicrophoneSource, SpeechError, load_engine

__all__ = ["open_microphone", "open_plotter", "open_show"]

log = logging.getLogger("dreamdraw.show")


def open_microphone(config: Config) -> Callable[[], AudioSource] | None:
    """A factory of microphone sources, or None (keyboard mode) when there is no input device."""
    if config.show.keyboard_only:
        return None
    device = config.speech.input_device
    try:
        MicrophoneSource(device)  # finds the device now; opening waits for a visitor
    except (SpeechError, OSError) as exc:
        log.warning("no microphone: %s", exc)
        return None
    return lambda: MicrophoneSource(device)


def open_plotter(config: Config) -> PlotterStation | None:
    """The venue's plotter (or a simulated one with plot_queue.simulate); None when not plotting."""
    if not config.plot_queue.enabled:
        return None
    if config.plot_queue.simulate:
        return PlotterStation.simulated(config.plotter, config.plot_queue.simulator_speedup)
    return PlotterStation(config.plotter)


def open_show(config: Config, data_dir: Path, *, with_speech: bool = True) -> Show:
    """Load the models (seconds to minutes) and build the show; call start() to run it."""
    faults = FaultLog(data_dir)
    clip = load_show_clip(config.drawing, config.show, faults)
    microphone = open_microphone(config) if with_speech else None
    engine = load_engine(config.speech) if with_speech else None
    return Show(
        config,
        data_dir,
        clip=clip,
        speech_engine=engine,
        microphone=microphone,
        plotter=open_plotter(config),
        faults=faults,
    )
