"""The explainability suite and cluster assignment."""

from analysis.clusters import (
    CLUSTERS,
    ClusterAssignment,
    ClusterEvidence,
    assign_cluster,
    cluster_agreement,
    kmeans_clusters,
    kmeans_report,
)
from analysis.errors import AnalysisError
from analysis.fixlip import fixlip
from analysis.interactions import InteractionResult
from analysis.pair import PairAnalysis, analyse_pair
from analysis.settings import AnalysisSettings
from analysis.surgery import network_surgery

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
