"""Errors a user of the archive package can cause."""

__all__ = ["ArchiveError", "RecordNotFound"]


class ArchiveError(ValueError):
    """Bad archive input, settings or hardware state; the message says what to do."""


class RecordNotFound(ArchiveError, LookupError):
    """No record with the asked id (or it is hidden from this viewer)."""
