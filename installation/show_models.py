"""Which models a show uses: the venue's, a CLIP given on the command line, or a rehearsal's
(the trained toy CLIP shipped with dreamdraw, the packaged tiny.en, a simulated plotter)."""

from __future__ import annotations

import dataclasses

from dreamdraw.installation.sections import Config

__all__ = ["REHEARSAL_SPEECH_MODEL", "TOY_CANVAS_PX", "rehearsal_config", "use_clip"]

REHEARSAL_SPEECH_MODEL = "tiny.en"
TOY_CANVAS_PX = 64  # the toy CLIP sees 64 px images; a larger canvas only costs time


def use_clip(config: Config, spec: str | None = None, checkpoint: str | None = None) -> Config:
    """The config drawing and analysing with CLIP `spec` (NAME:TAG) and/or a local `checkpoint`;
    None leaves the venue's choice."""
    if spec is None and checkpoint is None:
        return config
    changes: dict[str, str | None] = {"clip_checkpoint": checkpoint}
    if spec is not None:
        changes["clip"] = spec
    return dataclasses.replace(
        config,
        drawing=dataclasses.replace(config.drawing, **changes),
        analysis=dataclasses.replace(config.analysis, **changes),
    )


def _speech_model_here(config: Config) -> bool:
    """Whether the venue's speech model is on this machine already (no download needed)."""
    from pathlib import Path

    from dreamdraw.speech.models import resolve_ctranslate2_model

    model = config.speech.model
    if config.speech.engine != "faster-whisper":
        return Path(model).expanduser().is_file()
    return Path(resolve_ctranslate2_model(model)).is_dir()


def rehearsal_config(config: Config) -> Config:
    """The venue's config for a rehearsal that needs no downloaded weights: drawing and
    analysing with the toy CLIP (labelled as such), the venue's speech model when it is here,
    else the packaged tiny.en, and a simulated plotter. Without a microphone the show falls
    back to the keyboard as always."""
    from dreamdraw.drawing.clip import TOY_MODEL

    config = use_clip(config, TOY_MODEL)
    speech = config.speech
    if not _speech_model_here(config):
        speech = dataclasses.replace(speech, engine="faster-whisper", model=REHEARSAL_SPEECH_MODEL)
    return dataclasses.replace(
        config,
        drawing=dataclasses.replace(config.drawing, canvas_px=TOY_CANVAS_PX, clip_cache_dir=None),
        speech=speech,
        plot_queue=dataclasses.replace(config.plot_queue, enabled=True, simulate=True),
    )
