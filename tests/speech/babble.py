"""Synthetic gallery sounds for speech tests and the benchmark: babble of several espeak-ng voices.

Babble is what a gallery is full of: other people talking. Each talker is an espeak-ng voice
with its own speed and pitch saying sentences unrelated to any dream, with short pauses; the
talkers are summed at equal level. Everything is deterministic for a seed: the same call gives
the same samples. Synthesised sentences are cached as WAV files in a folder the caller gives
(a per-session temporary folder), so nothing large is committed.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
from dreamdraw.speech.audio import SAMPLE_RATE, as_mono_16k
from dreamdraw.speech.mixing import rms, scale_to_dbfs

__all__ = ["CHATTER", "TALKERS", "Talker", "babble", "pink_noise", "speak", "white_noise"]


@dataclass(frozen=True)
class Talker:
    """One voice in the crowd: espeak-ng voice name, words per minute, pitch (0..99)."""

    voice: str
    speed: int
    pitch: int


TALKERS: tuple[Talker, ...] = (
    Talker("en-us", 165, 40),
    Talker("en-gb+f3", 150, 70),
    Talker("en-gb-scotland", 175, 30),
    Talker("en-us+m3", 140, 55),
    Talker("en-029+f2", 185, 65),
    Talker("en-gb-x-rp", 155, 45),
)

# Gallery small talk, unrelated to the dreams the tests speak.
CHATTER: tuple[str, ...] = (
    "Did you see the paintings in the room upstairs?",
    "We should get coffee after this, the cafe closes at five.",
    "My brother says the parking garage is full again today.",
    "I think the artist studied in Berlin for a few years.",
    "The tickets were cheaper online than at the front desk.",
    "Have you tried the new noodle place near the station?",
    "She told me the exhibition moves to Madrid in the spring.",
    "Can you hold my bag for a second while I find my phone?",
    "The children loved the robot, they watched it for an hour.",
    "It is raining again, I forgot my umbrella on the train.",
    "Our meeting on Tuesday was moved to Thursday morning.",
    "I read a review of this show in the weekend newspaper.",
    "The light in this hall is much better than last year.",
    "Let us meet the others at the entrance at half past three.",
    "He keeps talking about his holiday in Portugal.",
    "Do you know if the gift shop sells postcards of this one?",
    "The bus to the airport leaves every twenty minutes.",
    "I need to call my mother before dinner tonight.",
    "That sculpture looks heavier than it really is.",
    "We could walk along the river if the weather clears up.",
)


def speak(text: str, talker: Talker, cache: Path | None = None) -> np.ndarray:
    """text spoken by a talker with espeak-ng: (n,) float32 at 16 kHz; cached as WAV under cache."""
    path = None
    if cache is not None:
        key = hashlib.sha256(repr((text, talker)).encode()).hexdigest()[:16]
        path = cache / f"{key}.wav"
        if path.is_file():
            samples, _ = soundfile.read(str(path), dtype="float32")
            return samples
    wav = subprocess.run(
        ["espeak-ng", "-v", talker.voice, "-s", str(talker.speed), "-p", str(talker.pitch)]
        + ["--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    audio = as_mono_16k(samples, rate)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(str(path), audio, SAMPLE_RATE, subtype="FLOAT")
    return audio


def babble(
    seconds: float,
    *,
    talkers: int = 3,
    seed: int = 0,
    level_dbfs: float = -26.0,
    cache: Path | None = None,
) -> np.ndarray:
    """Several talkers chatting at once: (n,) float32 at 16 kHz, RMS level level_dbfs.

    The seed picks which talkers speak, which sentences each says (in what order), the pauses
    between sentences (0.2-0.8 s) and where each talker starts, so talkers are never in step.
    """
    rng = np.random.default_rng(seed)
    length = round(seconds * SAMPLE_RATE)
    chosen = rng.choice(len(TALKERS), size=talkers, replace=talkers > len(TALKERS))
    mix = np.zeros(length, dtype=np.float64)
    for index in chosen:
        track = _talk(TALKERS[index], length, rng, cache)
        mix += track / max(rms(track), 1e-9)
    return scale_to_dbfs(mix, level_dbfs)


def _talk(talker: Talker, length: int, rng: np.random.Generator, cache: Path | None) -> np.ndarray:
    """One talker's stream of sentences with pauses, starting part-way into a sentence."""
    pieces: list[np.ndarray] = []
    total = 0
    order = rng.permutation(len(CHATTER))
    lead = None
    for sentence in (CHATTER[i] for i in np.resize(order, 4 * len(CHATTER))):
        spoken = speak(sentence, talker, cache)
        if lead is None:
            lead = int(rng.integers(0, len(spoken) // 2))
            spoken = spoken[lead:]
        pause = np.zeros(int(rng.uniform(0.2, 0.8) * SAMPLE_RATE), dtype=np.float32)
        pieces += [spoken, pause]
        total += len(spoken) + len(pause)
        if total >= length:
            break
    return np.concatenate(pieces)[:length]


def white_noise(seconds: float, *, level_dbfs: float = -26.0, seed: int = 0) -> np.ndarray:
    """Gaussian white noise: (n,) float32 at 16 kHz, RMS level level_dbfs."""
    rng = np.random.default_rng(seed)
    return scale_to_dbfs(rng.normal(0.0, 1.0, round(seconds * SAMPLE_RATE)), level_dbfs)


def pink_noise(seconds: float, *, level_dbfs: float = -26.0, seed: int = 0) -> np.ndarray:
    """Pink (1/f power) noise, like ventilation and distant traffic: (n,) float32 at 16 kHz."""
    rng = np.random.default_rng(seed)
    length = round(seconds * SAMPLE_RATE)
    spectrum = np.fft.rfft(rng.normal(0.0, 1.0, length))
    frequencies = np.fft.rfftfreq(length, 1.0 / SAMPLE_RATE)
    spectrum[1:] /= np.sqrt(frequencies[1:])
    spectrum[0] = 0.0
    return scale_to_dbfs(np.fft.irfft(spectrum, length), level_dbfs)
