"""Errors a user of the drawing engine can cause."""

__all__ = ["DrawingError", "ClipModelMissing"]


class DrawingError(ValueError):
    """Bad drawing input or settings; the message says what to change."""


class ClipModelMissing(DrawingError):
    """CLIP weights are not on this machine and cannot be downloaded."""
