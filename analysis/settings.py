"""Analysis settings as they appear in the `[analysis]` table of the venue config."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AnalysisSettings"]


@dataclass
class AnalysisSettings:
    """The explainability suite and cluster assignment."""
