"""The installation: config, the visitor's journey, the kiosk and the `dreamdraw` CLI."""

from dreamdraw.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "config": ["Config", "ConfigError", "load_config"],
        "errors": ["ModelsError", "ShowError"],
    },
)
