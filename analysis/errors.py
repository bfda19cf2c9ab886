"""Errors a user of the analysis package can cause."""

__all__ = ["AnalysisError"]


class AnalysisError(ValueError):
    """Bad analysis input, settings or hardware state; the message says what to do."""
