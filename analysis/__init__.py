"""The explainability suite and cluster assignment."""

from analysis.errors import AnalysisError
from analysis.settings import AnalysisSettings

__all__ = ["AnalysisError", "AnalysisSettings"]
