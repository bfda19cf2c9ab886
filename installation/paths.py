"""The data directory: archive, queues, logs and job files live under it."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["resolve_data_dir"]


def resolve_data_dir(cli_value: str | Path | None, config_value: str | None) -> Path:
    """The data directory: `--data-dir`, then $DREAMDRAW_DATA_DIR, then config, then the user data dir."""
    chosen = cli_value or os.environ.get("DREAMDRAW_DATA_DIR") or config_value
    path = Path(chosen).expanduser() if chosen else Path(platformdirs.user_data_dir("dreamdraw"))
    path.mkdir(parents=True, exist_ok=True)
    return path
