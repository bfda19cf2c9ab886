"""Listening and transcription (Whisper)."""

from speech.errors import SpeechError
from speech.settings import SpeechSettings

__all__ = ["SpeechError", "SpeechSettings"]
