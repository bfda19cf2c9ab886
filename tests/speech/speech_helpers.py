"""Helpers for the speech tests: test sounds (16 kHz float32) and a scripted engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from dreamdraw.speech import SAMPLE_RATE, Decoded, DecodeOptions, load_audio
from scipy.signal import butter, sosfilt

DATA = Path(__file__).resolve().parent / "data"


def dream_audio(name: str) -> np.ndarray:
    """A committed spoken dream, (n,) float32 at 16 kHz."""
    return load_audio(DATA / name)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


def white_noise(seconds: float, rms: float = 0.1, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, rms, int(seconds * SAMPLE_RATE)).clip(-1, 1).astype(np.float32)


def cough(seconds: float = 0.35, seed: int = 1) -> np.ndarray:
    """A cough-like burst: band-limited noise with a 10 ms attack and an 80 ms decay."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    envelope = np.minimum(t / 0.01, 1.0) * np.exp(-t / 0.08)
    band = butter(4, [200, 2500], btype="band", fs=SAMPLE_RATE, output="sos")
    burst = sosfilt(band, rng.normal(0.0, 1.0, t.size)) * envelope
    return (0.8 * burst / np.abs(burst).max()).astype(np.float32)


class ScriptedEngine:
    """Answers every decode with the given segments; records the options it was asked with."""

    name = "scripted"
    model_id = "script"

    def __init__(self, *answers: Decoded, multilingual: bool = False) -> None:
        self.answers = list(answers)
        self.multilingual = multilingual
        self.calls: list[tuple[int, DecodeOptions]] = []

    def decode(self, audio: np.ndarray, options: DecodeOptions) -> Decoded:
        self.calls.append((len(audio), options))
        return self.answers[min(len(self.calls), len(self.answers)) - 1]
