"""`dreamdraw study`: dreams drawn under a grid of conditions, analysed, and reported."""

from __future__ import annotations

from pathlib import Path

import click
from dreamdraw.installation.commands.params import OutputDir, ray_options

__all__ = ["COMMANDS"]


@click.group()
def study() -> None:
    """Drawing studies: a grid of conditions over a list of dreams."""


@study.command("run")
@click.argument("study_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@ray_options
def run(study_file: Path, ray_address: str | None, workers: int | None) -> None:
    """Draw every dream of STUDY_FILE under every condition and analyse the pairs (resumes)."""
    from contextlib import nullcontext

    from dreamdraw.archive import open_archive
    from dreamdraw.installation.study import load_study, run_study

    spec = load_study(study_file)
    engine = nullcontext(None)
    if ray_address is not None:
        from dreamdraw.installation.cluster import RayEngine, RaySettings

        engine = RayEngine(spec.analysis, RaySettings(ray_address, workers))
    with open_archive(spec.archive_dir) as archive, engine as ray_engine:
        ids = run_study(
            spec,
            archive,
            ray_engine,
            drawn=lambda condition, dream: click.echo(f"drew {condition}: {dream}"),
            analysed=lambda r: click.echo(f"{r.id}: {r.error or r.cluster}"),
        )
    click.echo(f"{len(ids)} pairs in {spec.archive_dir}")


@study.command("report")
@click.argument("study_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=OutputDir(),
    help="Folder for report.md, summary.json and the plots (created).",
)
def report(study_file: Path, out_dir: Path) -> None:
    """Write the Markdown report of STUDY_FILE's archive: table, plots, agreement."""
    from dreamdraw.archive import open_archive
    from dreamdraw.installation.study import load_study
    from dreamdraw.installation.study_report import write_study_report

    spec = load_study(study_file)
    with open_archive(spec.archive_dir) as archive:
        path = write_study_report(spec, archive, out_dir)
    click.echo(f"wrote {path}")


COMMANDS: list[click.Command] = [study]
