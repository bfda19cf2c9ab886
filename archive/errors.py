"""Errors a user of the archive package can cause."""

__all__ = ["ArchiveError", "BlobUnavailable", "RecordNotFound"]


class ArchiveError(ValueError):
    """Bad archive input, settings or hardware state; the message says what to do."""


class RecordNotFound(ArchiveError, LookupError):
    """No record with the asked id (or it is hidden from this viewer)."""


class BlobUnavailable(ArchiveError):
    """A stored file is missing or its bytes no longer hash to its name (`sha`)."""

    def __init__(self, message: str, sha: str) -> None:
        super().__init__(message)
        self.sha = sha
