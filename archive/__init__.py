"""The archive of dream-drawing pairs and the curator web app."""

from archive.errors import ArchiveError
from archive.settings import ArchiveSettings

__all__ = ["ArchiveError", "ArchiveSettings"]
