"""A visitor's accepted dream as it travels through the stages, and visitor text made safe."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
from dreamdraw.speech.transcript import Transcript

__all__ = ["Dream", "clean_dream"]


def clean_dream(text: str, max_chars: int) -> str:
    """Visitor text made safe to store and show: no control characters, one-line spaces, cut."""
    kept = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
        for c in text
        if unicodedata.category(c) != "Cf" or c == "\u200d"
    )
    return " ".join(kept.split())[:max_chars].strip()


@dataclass
class Dream:
    """An accepted dream on its way to the drawing engine; `text` is untrusted visitor text."""

    visitor: int
    text: str
    prompt: str
    transcript: Transcript
    audio: np.ndarray | None = None
