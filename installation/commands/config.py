"""`dreamdraw config`: write and check venue configuration files."""

from __future__ import annotations

from pathlib import Path

import click
from dreamdraw.installation.commands.params import OutputFile
from dreamdraw.installation.config import ConfigError, load_config, render_default_config
from dreamdraw.installation.context import AppContext, pass_app

__all__ = ["COMMANDS"]


@click.group("config")
def config_group() -> None:
    """Write and check the venue configuration (TOML)."""


@config_group.command("init")
@click.argument("path", type=OutputFile(), default="venue.toml")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def config_init(path: Path, force: bool) -> None:
    """Write a commented config with every default to PATH (default venue.toml)."""
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; use --force to overwrite it")
    path.write_text(render_default_config(), encoding="utf-8")
    click.echo(f"wrote {path}")


@config_group.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def config_check(app: AppContext, path: Path | None) -> None:
    """Validate PATH (default: the --config file) and report the first problem, naming its key."""
    path = path or app.config_path
    if path is None:
        raise click.UsageError("name a config file: dreamdraw config check PATH (or --config PATH)")
    load_config(path)
    click.echo(f"{path}: ok")


COMMANDS: list[click.Command] = [config_group]
