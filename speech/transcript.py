"""The Transcript: what the visitor said, or that nothing was heard."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from dreamdraw.speech.errors import SpeechError
from dreamdraw.vocabulary import dump_tagged, format_tag, load_tagged

__all__ = ["FORMAT", "Outcome", "Segment", "Transcript"]

FORMAT = format_tag("transcript")

Outcome = Literal["dream", "nothing_heard"]


@dataclass(frozen=True)
class Segment:
    """One decoded stretch of speech: times in seconds from the clip's start, Whisper's confidence."""

    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float = 0.0


@dataclass
class Transcript:
    """A dream as heard: text as spoken, its language, the English for drawing, and how sure we are.

    `outcome` is "nothing_heard" when the guards found no dream (silence, noise, chatter,
    mumbling, a known silence phrase); then `text` is empty, `reason` says why (for logs and the
    archive) and `advice` what the kiosk may tell the visitor. `truncated` says that
    the speech ran past the maximum length and was cut. `english` is the text itself for
    English dreams, Whisper's translation for others, None when translation was off.
    """

    text: str
    language: str | None
    english: str | None
    segments: list[Segment] = field(default_factory=list)
    duration_s: float = 0.0
    engine: str = ""
    model: str = ""
    outcome: Outcome = "dream"
    reason: str = ""
    truncated: bool = False
    language_probability: float | None = None
    processing_s: float = 0.0
    advice: str = ""

    @property
    def nothing_heard(self) -> bool:
        """True when no dream was heard (the kiosk shows "nothing heard", nothing is drawn)."""
        return self.outcome == "nothing_heard"

    @property
    def prompt(self) -> str:
        """The text to draw from: the English when there is one, else the text as spoken."""
        return self.english if self.english is not None else self.text

    @classmethod
    def nothing(
        cls,
        reason: str,
        *,
        advice: str = "",
        duration_s: float = 0.0,
        engine: str = "",
        model: str = "",
        truncated: bool = False,
        language: str | None = None,
        segments: list[Segment] | None = None,
        processing_s: float = 0.0,
    ) -> Transcript:
        """A "nothing heard" outcome; `segments` keeps what the guards dropped, as evidence."""
        return cls(
            text="",
            language=language,
            english=None,
            segments=list(segments or []),
            duration_s=duration_s,
            engine=engine,
            model=model,
            outcome="nothing_heard",
            reason=reason,
            truncated=truncated,
            processing_s=processing_s,
            advice=advice,
        )

    def to_json(self) -> str:
        return dump_tagged(asdict(self), "transcript")

    @classmethod
    def from_json(cls, text: str) -> Transcript:
        data = load_tagged(text, "transcript", SpeechError)
        try:
            data["segments"] = [Segment(**segment) for segment in data.get("segments", [])]
            transcript = cls(**data)
        except TypeError as exc:
            raise SpeechError(f"transcript JSON has wrong fields: {exc}") from None
        if transcript.outcome not in ("dream", "nothing_heard"):
            raise SpeechError(f"transcript outcome {transcript.outcome!r} is unknown")
        return transcript
