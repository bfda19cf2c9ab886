"""The explainability suite and cluster assignment."""

from dreamdraw.analysis.clusters import (
    CLUSTERS,
    ClusterAssignment,
    ClusterEvidence,
    assign_cluster,
    cluster_agreement,
    kmeans_clusters,
    kmeans_report,
)
from dreamdraw.analysis.errors import AnalysisError
from dreamdraw.analysis.fixlip import fixlip
from dreamdraw.analysis.interactions import InteractionResult
from dreamdraw.analysis.pair import PairAnalysis, analyse_pair
from dreamdraw.analysis.settings import AnalysisSettings
from dreamdraw.analysis.surgery import network_surgery

__all__ = [
    "CLUSTERS",
    "AnalysisError",
    "AnalysisSettings",
    "ClusterAssignment",
    "ClusterEvidence",
    "InteractionResult",
    "PairAnalysis",
    "analyse_pair",
    "assign_cluster",
    "cluster_agreement",
    "fixlip",
    "kmeans_clusters",
    "kmeans_report",
    "network_surgery",
]
