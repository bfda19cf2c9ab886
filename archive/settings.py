"""Archive settings as they appear in the `[archive]` table of the venue config."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ArchiveSettings"]


@dataclass
class ArchiveSettings:
    """The archive of dream-drawing pairs and the curator web app."""
