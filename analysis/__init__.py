"""The explainability suite and cluster assignment."""

from dreamdraw.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "clusters": [
            "CLUSTERS",
            "ClusterAssignment",
            "ClusterEvidence",
            "assign_cluster",
            "cluster_agreement",
            "kmeans_clusters",
            "kmeans_report",
        ],
        "errors": ["AnalysisError"],
        "fixlip": ["fixlip"],
        "interactions": ["InteractionResult"],
        "pair": ["PairAnalysis", "analyse_pair"],
        "settings": ["AnalysisSettings"],
        "surgery": ["network_surgery"],
    },
)
