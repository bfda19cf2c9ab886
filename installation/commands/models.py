"""`dreamdraw models`: list, pull, export and import the CLIP and Whisper models a show needs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click
from dreamdraw.installation.commands.params import OutputDir
from dreamdraw.installation.context import AppContext, pass_app

__all__ = ["COMMANDS"]


@click.group("models")
def models_group() -> None:
    """The CLIP and Whisper models on this machine, checked by sha256; carry them to an offline
    venue with `export DIR` here and `import DIR` there."""


@models_group.command("list")
@click.option("--no-verify", is_flag=True, help="Do not check the files' sha256 (faster).")
@click.option(
    "--known", is_flag=True, help="List the names `pull` knows instead of the models here."
)
@pass_app
def models_list(app: AppContext, no_verify: bool, known: bool) -> None:
    """The models present: kind, name, size, sha256 status and folder."""
    from dreamdraw.installation.models import known_models, list_models, model_roots

    if known:
        for kind, name in known_models():
            click.echo(f"{kind:<8}{name}")
        return
    models = list_models(app.config, verify=not no_verify)
    for model in models:
        click.echo(model.describe())
    if not models:
        caches = ", ".join(str(r) for r in model_roots(app.config))
        click.echo(f"no models in {caches}; `dreamdraw models pull NAME` downloads one")


@models_group.command("pull")
@click.argument("name", default="ViT-B-32:openai")
@click.option(
    "--cache-dir",
    type=OutputDir(),
    help="Keep CLIP weights here instead of drawing.clip_cache_dir or the standard cache.",
)
@pass_app
def models_pull(app: AppContext, name: str, cache_dir: Path | None) -> None:
    """Download NAME ahead of a show: a CLIP tag NAME:TAG (default ViT-B-32:openai, into
    drawing.clip_cache_dir when the config sets it) or a Whisper model (tiny.en, base, small, ...)."""
    from dreamdraw.installation.models import pull_model

    config = app.config
    if cache_dir is not None:
        drawing = dataclasses.replace(config.drawing, clip_cache_dir=str(cache_dir))
        config = dataclasses.replace(config, drawing=drawing)
    app.data_dir  # noqa: B018 - sets up logging
    click.echo(f"ready: {pull_model(name, config).describe()}")


@models_group.command("export")
@click.argument("folder", type=OutputDir())
@pass_app
def models_export(app: AppContext, folder: Path) -> None:
    """Copy every downloaded model into FOLDER (e.g. a USB stick) with their sha256s."""
    from dreamdraw.installation.models import export_models

    for model in export_models(folder, app.config):
        click.echo(f"exported {model.kind} {model.name}")
    click.echo(f"wrote {folder}; on the venue machine run `dreamdraw models import {folder}`")


@models_group.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@pass_app
def models_import(app: AppContext, folder: Path) -> None:
    """Check FOLDER (written by `models export`) file by file, then copy its models in."""
    from dreamdraw.installation.models import import_models

    for model in import_models(folder, app.config):
        click.echo(f"imported {model.describe()}")


COMMANDS: list[click.Command] = [models_group]
