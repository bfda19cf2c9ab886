"""Audio as the speech package handles it: 16 kHz mono float32 arrays, levels in dBFS."""

from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np
from dreamdraw.speech.errors import SpeechError

__all__ = ["SAMPLE_RATE", "as_mono_16k", "level_dbfs", "load_audio"]

SAMPLE_RATE = 16_000
_SILENCE_DBFS = -120.0


def as_mono_16k(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mix to mono, resample to 16 kHz and convert to float32 in [-1, 1].

    samples: (n,) or (n, channels), float in [-1, 1] or integer PCM; sample_rate in Hz.
    Returns (m,) float32 at 16 kHz.
    """
    audio = np.asarray(samples)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    elif audio.ndim != 1:
        raise SpeechError(f"audio must be (samples,) or (samples, channels), not {audio.shape}")
    if np.issubdtype(audio.dtype, np.integer):
        audio = audio.astype(np.float32) / float(np.iinfo(audio.dtype).max)
    audio = audio.astype(np.float32, copy=False)
    if sample_rate <= 0:
        raise SpeechError(f"sample rate must be positive, not {sample_rate}")
    if sample_rate != SAMPLE_RATE and audio.size:
        from scipy.signal import resample_poly

        common = gcd(sample_rate, SAMPLE_RATE)
        audio = resample_poly(audio, SAMPLE_RATE // common, sample_rate // common).astype(
            np.float32
        )
    return np.ascontiguousarray(audio)


def load_audio(path: str | Path) -> np.ndarray:
    """Read a WAV or FLAC file as (n,) float32 mono at 16 kHz."""
    import soundfile

    path = Path(path)
    if not path.is_file():
        raise SpeechError(f"audio file {path} does not exist")
    try:
        samples, sample_rate = soundfile.read(str(path), dtype="float32", always_2d=False)
    except (soundfile.LibsndfileError, RuntimeError) as exc:
        raise SpeechError(f"cannot read {path} as audio ({exc}); give a WAV or FLAC file") from None
    return as_mono_16k(samples, sample_rate)


def level_dbfs(samples: np.ndarray) -> float:
    """Root-mean-square level in dB relative to full scale (0 dBFS: a full-scale square wave)."""
    if samples.size == 0:
        return _SILENCE_DBFS
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return max(_SILENCE_DBFS, 20.0 * np.log10(rms + 1e-12))
