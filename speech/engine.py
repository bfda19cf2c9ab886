"""The engine interface: one decode call from 16 kHz audio to Whisper segments, and the factory."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
from dreamdraw.device import DeviceError, parse_device
from dreamdraw.speech.errors import SpeechError
from dreamdraw.speech.settings import SpeechSettings
from dreamdraw.speech.transcript import Segment

__all__ = ["DecodeOptions", "Decoded", "Engine", "Word", "load_engine", "resolve_device"]


@dataclass(frozen=True)
class DecodeOptions:
    """What both Whisper engines are asked for; language None means detect it."""

    language: str | None = None
    task: Literal["transcribe", "translate"] = "transcribe"
    initial_prompt: str | None = None
    beam_size: int = 5
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4

    @classmethod
    def from_settings(cls, settings: SpeechSettings) -> DecodeOptions:
        language = None if settings.language in ("", "auto") else settings.language
        return cls(
            language=language,
            initial_prompt=settings.initial_prompt,
            beam_size=settings.beam_size,
            temperatures=tuple(settings.temperatures),
            no_speech_threshold=settings.no_speech_threshold,
            logprob_threshold=settings.logprob_threshold,
            compression_ratio_threshold=settings.compression_ratio_threshold,
        )


@dataclass(frozen=True)
class Word:
    """One decoded word with Whisper's timestamps (s from the clip's start) and probability (0..1)."""

    start: float
    end: float
    text: str
    probability: float


@dataclass
class Decoded:
    """An engine's answer: segments and words (times in s from the clip's start), the language.

    words is empty when the engine gave no word timestamps.
    """

    segments: list[Segment] = field(default_factory=list)
    language: str | None = None
    language_probability: float | None = None
    words: list[Word] = field(default_factory=list)


class Engine(Protocol):
    """A loaded Whisper model. Decoding never conditions on previous text (hallucination loops)."""

    name: str
    model_id: str
    multilingual: bool

    def decode(self, audio: np.ndarray, options: DecodeOptions) -> Decoded:
        """Decode (n,) float32 audio at 16 kHz."""
        ...


def resolve_device(device: str, cuda_available: bool) -> tuple[str, int]:
    """Split "auto", "cpu", "cuda" or "cuda:N" into a device kind and index."""
    try:
        return parse_device(device, cuda_available)
    except DeviceError as exc:
        raise SpeechError(str(exc)) from None


def load_engine(settings: SpeechSettings | None = None, **overrides: object) -> Engine:
    """The engine and model the settings name (keyword overrides replace settings fields).

    Loading takes seconds, so a loaded engine is kept and handed out again for the same
    engine, model, device, compute type and thread count.
    """
    settings = (settings or SpeechSettings()).with_overrides(**overrides)
    return _load_engine(
        settings.engine,
        settings.model,
        settings.device,
        settings.compute_type,
        settings.cpu_threads,
    )


@functools.lru_cache(maxsize=4)
def _load_engine(
    engine: str, model: str, device: str, compute_type: str, cpu_threads: int
) -> Engine:
    if engine == "faster-whisper":
        from dreamdraw.speech.faster_whisper_engine import FasterWhisperEngine

        return FasterWhisperEngine.load(
            model, device=device, compute_type=compute_type, cpu_threads=cpu_threads
        )
    if engine == "openai-whisper":
        from dreamdraw.speech.openai_whisper_engine import OpenAIWhisperEngine

        return OpenAIWhisperEngine.load(model, device=device)
    raise SpeechError(f"speech engine must be faster-whisper or openai-whisper, not {engine!r}")
