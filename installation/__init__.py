"""The installation: config, the visitor's journey, the kiosk and the `dreamdraw` CLI."""

from dreamdraw.installation.config import Config, ConfigError, load_config

__all__ = ["Config", "ConfigError", "load_config"]
