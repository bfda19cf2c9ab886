"""What every CLI command shares: the loaded config and the data directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
from dreamdraw.installation.config import Config, load_config
from dreamdraw.installation.logs import setup_logging
from dreamdraw.installation.paths import resolve_data_dir

__all__ = ["AppContext", "pass_app"]


@dataclass
class AppContext:
    """The config file's contents and the resolved data directory."""

    config_path: Path | None
    data_dir_option: Path | None
    verbose: int
    _config: Config | None = None
    _data_dir: Path | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def use_config(self, path: Path | None) -> None:
        """Read the config from `path` instead (a subcommand's own --config); None keeps it."""
        if path is not None:
            self.config_path = path
            self._config = None

    @property
    def data_dir(self) -> Path:
        if self._data_dir is None:
            self._data_dir = resolve_data_dir(self.data_dir_option, self.config.venue.data_dir)
            setup_logging(self.config.venue.log_level, self._data_dir, self.verbose)
        return self._data_dir


pass_app = click.make_pass_decorator(AppContext)
