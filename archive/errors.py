"""Errors a user of the archive package can cause."""

__all__ = ["ArchiveError"]


class ArchiveError(ValueError):
    """Bad archive input, settings or hardware state; the message says what to do."""
