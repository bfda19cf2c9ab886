"""Voice activity: the Silero VAD model that faster-whisper ships, behind an energy gate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from dreamdraw.speech.audio import SAMPLE_RATE, level_dbfs

__all__ = ["FRAME_SAMPLES", "FrameActivity", "VoiceActivity", "voiced_frames", "voiced_seconds"]

FRAME_SAMPLES = 512  # Silero's window at 16 kHz: 32 ms
_CONTEXT_SAMPLES = 64  # Silero sees the tail of the previous window before each window


@dataclass(frozen=True)
class FrameActivity:
    """One 32 ms frame: speech probability (0..1), level (dBFS) and the verdict."""

    probability: float
    level_dbfs: float
    voiced: bool


class VoiceActivity:
    """Streaming voice detector over 512-sample frames (16 kHz); keeps Silero's state between calls.

    A frame is voiced when Silero's probability reaches `threshold` and its level reaches
    `energy_gate_dbfs`; the gate keeps far-away talk and hum from opening the detector.
    """

    def __init__(self, threshold: float = 0.5, energy_gate_dbfs: float = -50.0) -> None:
        from faster_whisper.vad import get_vad_model

        self.threshold = threshold
        self.energy_gate_dbfs = energy_gate_dbfs
        self._session = get_vad_model().session
        self.reset()

    def reset(self) -> None:
        """Forget the stream so far (Silero's recurrent state and any partial frame)."""
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT_SAMPLES, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def feed(self, samples: np.ndarray) -> list[FrameActivity]:
        """Add (n,) float32 samples at 16 kHz; returns one FrameActivity per completed frame."""
        data = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32)])
        whole = len(data) // FRAME_SAMPLES * FRAME_SAMPLES
        self._pending = data[whole:]
        if whole == 0:
            return []
        frames = data[:whole].reshape(-1, FRAME_SAMPLES)
        probabilities = self._probabilities(frames)
        result = []
        for frame, probability in zip(frames, probabilities, strict=True):
            level = level_dbfs(frame)
            voiced = probability >= self.threshold and level >= self.energy_gate_dbfs
            result.append(FrameActivity(float(probability), level, bool(voiced)))
        return result

    def _probabilities(self, frames: np.ndarray) -> np.ndarray:
        contexts = np.concatenate([self._context[None, :], frames[:-1, -_CONTEXT_SAMPLES:]], axis=0)
        batch = np.concatenate([contexts, frames], axis=1)
        output, self._h, self._c = self._session.run(
            None, {"input": batch, "h": self._h, "c": self._c}
        )
        self._context = frames[-1, -_CONTEXT_SAMPLES:].copy()
        return np.asarray(output, dtype=np.float32).reshape(-1)


def voiced_frames(
    audio: np.ndarray, threshold: float = 0.5, energy_gate_dbfs: float = -50.0
) -> np.ndarray:
    """A boolean per 32 ms frame of a whole clip (16 kHz): voiced or not."""
    detector = VoiceActivity(threshold, energy_gate_dbfs)
    padded = np.pad(np.asarray(audio, dtype=np.float32), (0, (-len(audio)) % FRAME_SAMPLES))
    return np.array([frame.voiced for frame in detector.feed(padded)], dtype=bool)


def voiced_seconds(
    audio: np.ndarray, threshold: float = 0.5, energy_gate_dbfs: float = -50.0
) -> float:
    """How many seconds of a clip (16 kHz) are voiced."""
    return (
        float(voiced_frames(audio, threshold, energy_gate_dbfs).sum()) * FRAME_SAMPLES / SAMPLE_RATE
    )
