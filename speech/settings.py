"""Speech settings as they appear in the `[speech]` table of the venue config."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SpeechSettings"]


@dataclass
class SpeechSettings:
    """Listening and transcription (Whisper)."""
