"""Guards against Whisper's hallucinations: silence, noise or mumbling never becomes a dream."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from dreamdraw.speech.audio import SAMPLE_RATE
from dreamdraw.speech.settings import SpeechSettings
from dreamdraw.speech.transcript import Segment
from dreamdraw.speech.vad import FRAME_SAMPLES, voiced_frames

__all__ = [
    "SILENCE_PHRASES",
    "SpeechPresence",
    "drop_reason",
    "is_non_speech_annotation",
    "is_silence_phrase",
    "measure_speech",
]

# What Whisper says to silence: phrases learnt from the ends of subtitled videos.
SILENCE_PHRASES: frozenset[str] = frozenset(
    {
        "thank you",
        "thank you very much",
        "thank you so much",
        "thanks",
        "thanks for watching",
        "thank you for watching",
        "thanks for watching and see you next time",
        "thank you for watching and see you next time",
        "please subscribe",
        "please subscribe to my channel",
        "like and subscribe",
        "don't forget to like and subscribe",
        "see you next time",
        "see you in the next video",
        "bye",
        "bye bye",
        "goodbye",
        "you",
        "so",
        "okay",
        "oh",
        "uh",
        "um",
        "hmm",
        "i'm sorry",
        "the end",
        "gracias",
        "muchas gracias",
        "gracias por ver",
        "gracias por ver el video",
        "suscríbete",
        "merci",
        "merci d'avoir regardé",
        "vielen dank",
        "danke",
        "grazie",
        "obrigado",
    }
)

_CREDIT = re.compile(
    r"(subtitles?|captions?|subtítulos|sous-titres|untertitel|sottotitoli|legendas)\b.*\b(by|por|par|von|da|im auftrag)\b"
    r"|amara\s*org|transcribed by|translated by|\bwww\s|\bcom$",
)
_ANNOTATION = re.compile(
    r"^[\s\[\(\*♪♫#-]*(music|applause|laughter|silence|noise|blank_audio|inaudible|musik|música|musique)?[\s\]\)\*♪♫#.-]*$"
)


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text.lower().replace("’", "'"))
    text = re.sub(r"[^\w\s']", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def is_silence_phrase(text: str) -> bool:
    """True for what Whisper tends to say to silence: "Thank you.", subtitle credits and the like."""
    normalized = _normalize(text)
    return normalized in SILENCE_PHRASES or bool(_CREDIT.search(normalized))


def is_non_speech_annotation(text: str) -> bool:
    """True for text that only annotates sound ("[Music]", "(silence)", "♪") or is empty."""
    return bool(_ANNOTATION.match(text.lower()))


@dataclass(frozen=True)
class SpeechPresence:
    """How much of a clip is voice: voiced seconds and the voiced span in samples (16 kHz)."""

    voiced_s: float
    first_sample: int
    end_sample: int


def measure_speech(audio: np.ndarray, settings: SpeechSettings) -> SpeechPresence:
    """Run the energy gate and Silero VAD over a whole clip."""
    frames = voiced_frames(audio, settings.vad_threshold, settings.energy_gate_dbfs)
    voiced = np.flatnonzero(frames)
    if voiced.size == 0:
        return SpeechPresence(0.0, 0, 0)
    return SpeechPresence(
        voiced_s=voiced.size * FRAME_SAMPLES / SAMPLE_RATE,
        first_sample=int(voiced[0]) * FRAME_SAMPLES,
        end_sample=min(len(audio), (int(voiced[-1]) + 1) * FRAME_SAMPLES),
    )


def drop_reason(segment: Segment, presence: SpeechPresence, settings: SpeechSettings) -> str:
    """Why a decoded segment is not part of the dream, or "" when it is."""
    if is_non_speech_annotation(segment.text):
        return "no words"
    if not math.isfinite(segment.avg_logprob) or segment.avg_logprob < settings.mumble_logprob:
        return f"mumbling (avg_logprob {segment.avg_logprob:.2f})"
    if segment.compression_ratio > settings.compression_ratio_threshold:
        return f"repetition loop (compression ratio {segment.compression_ratio:.2f})"
    if (
        segment.no_speech_prob > settings.no_speech_threshold
        and segment.avg_logprob < settings.logprob_threshold
    ):
        return (
            f"no speech (no_speech_prob {segment.no_speech_prob:.2f}, "
            f"avg_logprob {segment.avg_logprob:.2f})"
        )
    if presence.voiced_s < settings.silence_phrase_speech_s and is_silence_phrase(segment.text):
        return f"silence phrase {segment.text!r} on near-silent audio ({presence.voiced_s:.2f} s voiced)"
    return ""
