"""The `dreamdraw` command line: a thin layer of click commands over the library."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from dreamdraw.installation.commands import (
    analyse,
    archive,
    config,
    draw,
    models,
    plot,
    run,
    speech,
    study,
)
from dreamdraw.installation.commands.params import OutputDir
from dreamdraw.installation.context import AppContext
from dreamdraw.installation.errors import USER_ERRORS

__all__ = ["cli", "main"]


@click.group()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DREAMDRAW_CONFIG",
    help="Venue config file (TOML). Default: built-in defaults.",
)
@click.option(
    "--data-dir",
    type=OutputDir(),
    help="Data directory (archive, queues, logs). Default: $DREAMDRAW_DATA_DIR or the user data dir.",
)
@click.option("-v", "--verbose", count=True, help="More log output.")
@click.version_option(package_name="dreamdraw")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, data_dir: Path | None, verbose: int) -> None:
    """dreamdraw: a visitor tells a dream, CLIPDraw draws it, a pen plotter plots it."""
    ctx.obj = AppContext(config_path=config_path, data_dir_option=data_dir, verbose=verbose)


for module in (config, draw, plot, speech, archive, analyse, run, models, study):
    for command in module.COMMANDS:
        cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors print one line and exit 2, never a traceback."""
    try:
        code = cli.main(args=argv, prog_name="dreamdraw", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        # One line naming the option, instead of click's usage block.
        hint = f"; see `{exc.ctx.command_path} --help`" if exc.ctx is not None else ""
        click.echo(f"error: {exc.format_message().rstrip('.')}{hint}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except USER_ERRORS as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
