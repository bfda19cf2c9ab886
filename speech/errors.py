"""Errors a user of the speech package can cause."""

__all__ = ["SpeechError"]


class SpeechError(ValueError):
    """Bad speech input, settings or hardware state; the message says what to do."""
