"""The installation: config, the visitor's journey, the kiosk and the `dreamdraw` CLI."""

from dreamdraw.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "config": ["Config", "ConfigError", "load_config"],
        "errors": ["ClusterError", "ModelsError", "ShowError"],
        "analysis_stage": ["analyse_archive", "select_pairs"],
        "study": ["load_study", "run_study"],
        "study_report": ["write_study_report"],
    },
)
