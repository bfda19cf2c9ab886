"""Mixing sounds at a signal-to-noise ratio: a dream over a room, as tests, bench and calibration do."""

from __future__ import annotations

import numpy as np
from dreamdraw.speech.audio import SAMPLE_RATE
from dreamdraw.speech.errors import SpeechError

__all__ = ["fade_edges", "mix_at_snr", "rms", "scale_to_dbfs"]


def rms(samples: np.ndarray) -> float:
    """Root-mean-square amplitude of (n,) samples (full scale 1.0); 0.0 for no samples."""
    if samples.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def scale_to_dbfs(samples: np.ndarray, level_dbfs: float) -> np.ndarray:
    """(n,) samples scaled so that their RMS level is level_dbfs (dB re full scale), float32."""
    level = rms(samples)
    if level == 0.0:
        raise SpeechError("cannot scale silence to a level")
    return (samples * (10.0 ** (level_dbfs / 20.0) / level)).astype(np.float32)


def mix_at_snr(
    speech: np.ndarray, noise: np.ndarray, snr_db: float, *, offset_s: float = 0.0
) -> np.ndarray:
    """Speech laid over noise so that RMS(speech) / RMS(noise) is snr_db; the speech keeps its level.

    speech, noise: (n,) float32 at 16 kHz; the noise must be at least offset_s + the speech long,
    and the result is as long as the noise, the speech starting offset_s seconds in. The RMS of
    each is taken over the speech's span (the whole speech clip, pauses included), as SNR is
    usually reported. The sum is clipped to [-1, 1].
    """
    start = round(offset_s * SAMPLE_RATE)
    if start < 0 or start + len(speech) > len(noise):
        raise SpeechError(
            f"noise ({len(noise) / SAMPLE_RATE:.2f} s) too short for speech at {offset_s:.2f} s "
            f"({len(speech) / SAMPLE_RATE:.2f} s)"
        )
    under = noise[start : start + len(speech)]
    gain = rms(speech) / (rms(under) * 10.0 ** (snr_db / 20.0))
    mixed = (noise * gain).astype(np.float32)
    mixed[start : start + len(speech)] += speech
    return np.clip(mixed, -1.0, 1.0)


def fade_edges(samples: np.ndarray, fade_in_s: float, fade_out_s: float) -> np.ndarray:
    """(n,) samples faded in over fade_in_s and out over fade_out_s (raised cosine), float32.

    A clip cut out of a noisy room starts and ends with a click of noise; Whisper's output
    on such a clip changes with a shift of a few samples. Faded, it does not.
    """
    faded = np.array(samples, dtype=np.float32)
    half = len(faded) // 2
    fade_in = min(round(fade_in_s * SAMPLE_RATE), half)
    fade_out = min(round(fade_out_s * SAMPLE_RATE), half)
    if fade_in > 0:
        faded[:fade_in] *= _ramp(fade_in)
    if fade_out > 0:
        faded[-fade_out:] *= _ramp(fade_out)[::-1]
    return faded


def _ramp(length: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, length))).astype(np.float32)
