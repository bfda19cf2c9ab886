"""Guards against Whisper's hallucinations: silence, noise, chatter or mumbling never becomes a dream.

Three levels: the audio (is there voice that stands out from the room?), each decoded segment
(confident, not a loop, not more words than voice under it), and the whole transcript
(no repeated sentences or phrases, words Whisper is sure of, placed where the voice was).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from dreamdraw.speech.audio import SAMPLE_RATE
from dreamdraw.speech.engine import Word
from dreamdraw.speech.room import energy_mean_dbfs, speech_band_levels
from dreamdraw.speech.settings import SpeechSettings
from dreamdraw.speech.transcript import Segment
from dreamdraw.speech.vad import FRAME_SAMPLES, voiced_frames
from dreamdraw.speech.wer import normalize_words

__all__ = [
    "ADVICE_NO_VOICE",
    "ADVICE_OVER_ROOM",
    "ADVICE_UNCLEAR",
    "SILENCE_PHRASES",
    "SpeechPresence",
    "drop_reason",
    "is_non_speech_annotation",
    "is_silence_phrase",
    "measure_speech",
    "repetition",
    "transcript_rejection",
    "unsure_tail",
    "voice_over_room_db",
    "words_after_voice",
]

# What the kiosk shows a visitor when no dream was heard (Transcript.advice).
ADVICE_NO_VOICE = "I did not hear you — please tell me your dream, close to the microphone."
ADVICE_OVER_ROOM = "I could not hear you over the room — please come closer to the microphone."
ADVICE_UNCLEAR = "I could not make out your words — please tell me again, a little slower."

# Chatter pokes above the room for a frame or two; a voice close by stays above it: a frame is
# the visitor's only with this many such frames among the 15 (0.48 s) around it.
_CLOSE_FRAMES, _CLOSE_MIN = 15, 4
_WORD_PAD_S = 0.25  # Whisper's word and segment times are this loose around the voice
_REPEATED_NGRAM = 4  # a phrase of this many words ...
_REPEATED_NGRAM_COUNT = 3  # ... said this often is a loop
_MIN_SENTENCE_WORDS = 3  # a sentence this long said twice is a loop
# A word or piece of a word said four times in a row: "the the the the", "highest-est-est-est".
_STUTTER = re.compile(r"(\w{2,})(?:[\s,.;:!?-]+\1\b){3,}", re.IGNORECASE)

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


def is_silence_phrase(text: str) -> bool:
    """True for what Whisper tends to say to silence: "Thank you.", subtitle credits and the like."""
    normalized = " ".join(normalize_words(text))
    return normalized in SILENCE_PHRASES or bool(_CREDIT.search(normalized))


def is_non_speech_annotation(text: str) -> bool:
    """True for text that only annotates sound ("[Music]", "(silence)", "♪") or is empty."""
    return bool(_ANNOTATION.match(text.lower()))


@dataclass(frozen=True)
class SpeechPresence:
    """How much of a clip is the visitor's voice, and where (samples at 16 kHz).

    voiced_s counts frames that are voice and stand out from the room (all voice when the room
    is unknown); first_sample and end_sample bound them. heard_s counts voice of any loudness,
    the room's chatter included. Per 32 ms frame, when known: frames marks the visitor's voice,
    voice any voice. stand_out_db (with a known room) is how far the visitor's voice as a whole
    stands above the room: the power of all voice from first_sample to end_sample, less the
    room's power, over the room's power (dB); it is the dream's signal-to-room ratio.
    """

    voiced_s: float
    first_sample: int
    end_sample: int
    heard_s: float = 0.0
    stand_out_db: float | None = None
    frames: np.ndarray | None = field(default=None, compare=False, repr=False)
    voice: np.ndarray | None = field(default=None, compare=False, repr=False)

    def voiced_between(self, start_s: float, end_s: float) -> float:
        """Seconds of the visitor's voice from start_s to end_s (s from the clip's start)."""
        return _seconds_between(self.frames, start_s, end_s, self.voiced_s)

    def heard_between(self, start_s: float, end_s: float) -> float:
        """Seconds of any voice, the room's included, from start_s to end_s (s)."""
        return _seconds_between(self.voice, start_s, end_s, self.voiced_s)


def _seconds_between(
    frames: np.ndarray | None, start_s: float, end_s: float, whole: float
) -> float:
    if frames is None:
        return whole
    frame_s = FRAME_SAMPLES / SAMPLE_RATE
    first, last = max(0, math.floor(start_s / frame_s)), max(0, math.ceil(end_s / frame_s))
    return float(frames[first:last].sum()) * frame_s


def measure_speech(
    audio: np.ndarray, settings: SpeechSettings, room_dbfs: float | None = None
) -> SpeechPresence:
    """Find the visitor's voice in a whole clip (16 kHz): energy gate, Silero VAD, the room.

    With a room level (speech band, dBFS), only voiced frames whose speech-band level is at
    least settings.room_margin_db above it, among others like them, are the visitor's; the
    rest is the room.
    """
    voice = voiced_frames(audio, settings.vad_threshold, settings.energy_gate_dbfs)
    heard_s = float(voice.sum()) * FRAME_SAMPLES / SAMPLE_RATE
    frames = voice
    levels = None
    if room_dbfs is not None:
        levels = speech_band_levels(audio)[: len(voice)]
        frames = voice & (levels >= room_dbfs + settings.room_margin_db)
        around = np.convolve(frames.astype(int), np.ones(_CLOSE_FRAMES, dtype=int), mode="same")
        frames &= around >= _CLOSE_MIN
    voiced = np.flatnonzero(frames)
    if voiced.size == 0:
        return SpeechPresence(0.0, 0, 0, heard_s, frames=frames, voice=voice)
    stand_out = None
    if levels is not None:
        span = slice(int(voiced[0]), int(voiced[-1]) + 1)
        stand_out = voice_over_room_db(levels[span][voice[span]], room_dbfs)
    return SpeechPresence(
        voiced_s=voiced.size * FRAME_SAMPLES / SAMPLE_RATE,
        first_sample=int(voiced[0]) * FRAME_SAMPLES,
        end_sample=min(len(audio), (int(voiced[-1]) + 1) * FRAME_SAMPLES),
        heard_s=heard_s,
        stand_out_db=stand_out,
        frames=frames,
        voice=voice,
    )


def voice_over_room_db(levels_dbfs: np.ndarray, room_dbfs: float) -> float:
    """How far a voice stands above the room (dB), from the frames where it speaks over the room.

    levels_dbfs: speech-band levels of those frames (voice and room together); the room's power
    is taken out of their mean power, so a voice as loud as the room gives 0 dB, not 3 dB.
    Chatter lets a voice that stands only a few dB above the room poke above it for a frame
    here and there; the whole of it does not.
    """
    power = 10.0 ** (energy_mean_dbfs(levels_dbfs) / 10.0) - 10.0 ** (room_dbfs / 10.0)
    return round(10.0 * math.log10(max(power, 1e-12)) - room_dbfs, 2)


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
    words = len(normalize_words(segment.text))
    voice_s = presence.heard_between(segment.start - _WORD_PAD_S, segment.end + _WORD_PAD_S)
    if words > settings.max_words_per_s * voice_s:
        return f"{words} words on {voice_s:.2f} s of voice"
    return ""


def unsure_tail(segments: Sequence[Segment], settings: SpeechSettings) -> int:
    """How many segments at the end are unsure (likely no speech, or low confidence) after a dream.

    Whisper closes long clips with a short invented segment ("Thank you.", no_speech_prob 0.8,
    avg_logprob -0.94) that passes its own rule, which needs both; at the end of a dream either
    one is enough. The first segment is never part of the tail.
    """
    count = 0
    for segment in reversed(segments[1:]):
        if not (
            segment.no_speech_prob > settings.no_speech_threshold
            or segment.avg_logprob < settings.logprob_threshold
        ):
            break
        count += 1
    return count


def words_after_voice(words: Sequence[Word], presence: SpeechPresence) -> int:
    """How many words at the end start after the visitor's voice has ended (times in s).

    Chatter after a visitor stops, or silence, lets Whisper go on talking ("so I'll see you
    next time"); those words have no voice of the visitor under them.
    """
    if presence.frames is None:
        return 0
    voice_end_s = presence.end_sample / SAMPLE_RATE + _WORD_PAD_S
    count = 0
    for word in reversed(words):
        if word.start <= voice_end_s:
            break
        count += 1
    return count


def repetition(text: str) -> str:
    """What repeats in a transcript the way Whisper's loops do, or "" when nothing does.

    A sentence of three or more words said twice, a four-word phrase said three times, or a word
    (or piece of one) four times in a row. Loops that Whisper splits into several segments each
    pass the compression-ratio check; the whole transcript does not.
    """
    stutter = _STUTTER.search(text)
    if stutter:
        return f"{stutter.group(1)!r} repeated in a row"
    sentences = Counter(
        " ".join(words)
        for words in (normalize_words(part) for part in re.split(r"[.!?]+", text))
        if len(words) >= _MIN_SENTENCE_WORDS
    )
    if sentences:
        sentence, count = sentences.most_common(1)[0]
        if count >= 2:
            return f"the sentence {sentence!r} said {count} times"
    words = normalize_words(text)
    phrases = Counter(
        " ".join(words[i : i + _REPEATED_NGRAM]) for i in range(len(words) - _REPEATED_NGRAM + 1)
    )
    if phrases:
        phrase, count = phrases.most_common(1)[0]
        if count >= _REPEATED_NGRAM_COUNT:
            return f"the phrase {phrase!r} said {count} times"
    return ""


def transcript_rejection(
    text: str, words: Sequence[Word], presence: SpeechPresence, settings: SpeechSettings
) -> str:
    """Why a whole transcript is not a dream, or "" when it may be one.

    text: the kept segments' text; words: Whisper's words with timestamps (s from the clip's
    start; may be empty); presence: where the visitor's voice was.
    """
    repeated = repetition(text)
    if repeated:
        return f"repetition loop: {repeated}"
    # Words need the visitor's own voice under them: where little of it stands out from the
    # room, Whisper guesses most words through the chatter.
    count = len(normalize_words(text))
    if count > settings.max_words_per_s * presence.voiced_s:
        return f"{count} words on {presence.voiced_s:.2f} s of the visitor's voice"
    if words:
        sure = sum(w.probability for w in words) / len(words)
        if sure < settings.min_word_probability:
            return f"Whisper is unsure of its words (mean probability {sure:.2f})"
    if words and presence.frames is not None:
        placed = sum(
            presence.voiced_between(w.start - _WORD_PAD_S, w.end + _WORD_PAD_S) > 0 for w in words
        )
        if placed < settings.min_aligned_words * len(words):
            return f"only {placed} of {len(words)} words fall where the visitor's voice was"
    return ""
