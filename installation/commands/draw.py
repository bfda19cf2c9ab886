"""`dreamdraw draw`: the drawing engine's command."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import click
from dreamdraw.drawing.model import parse_pens
from dreamdraw.drawing.settings import DEFAULT_CLIP, DrawSettings
from dreamdraw.installation.commands.params import Number, OutputDir, at_least, positive
from dreamdraw.installation.context import AppContext, pass_app
from dreamdraw.installation.progress import StageProgress
from dreamdraw.installation.progress_meter import format_duration

if TYPE_CHECKING:
    from dreamdraw.drawing import DrawProgress

__all__ = ["COMMANDS"]


@click.command("draw")
@click.argument("text")
@click.option(
    "--out",
    "out_dir",
    type=OutputDir(),
    required=True,
    help="Folder for drawing.json, drawing.svg and drawing.png.",
)
@click.option(
    "--mode",
    type=click.Choice(["plotter", "classic"]),
    help="plotter (default) or classic CLIPDraw.",
)
@click.option("--strokes", type=positive(), help="Number of strokes.")
@click.option("--iterations", type=positive(), help="Optimisation steps.")
@click.option("--augmentations", type=at_least(0), help="Augmented copies per step (0: none).")
@click.option("--seed", type=at_least(0), help="Random seed (default: a new one, recorded).")
@click.option(
    "--prune/--no-prune",
    default=None,
    help="Plotter mode: drop strokes CLIP sees the dream better without (default: on).",
)
@click.option(
    "--plain-view/--no-plain-view",
    default=None,
    help="Plotter mode: CLIP also sees the whole canvas unaugmented at each step (default: on).",
)
@click.option("--pens", help="Pens as '#rrggbb:WIDTH_MM,...' (ids 1..n).")
@click.option("--paper", help="A3, A4, A5, A6, letter, A4-portrait, or WxHmm.")
@click.option(
    "--negative", "negatives", multiple=True, help="A caption to steer away from (repeatable)."
)
@click.option(
    "--clip", "clip_spec", help=f"open_clip NAME:TAG (default {DEFAULT_CLIP}) or test:tiny."
)
@click.option(
    "--clip-checkpoint",
    type=click.Path(exists=True, path_type=Path),
    help="Local CLIP checkpoint file or folder.",
)
@click.option("--device", help="auto, cpu or cuda.")
@click.option(
    "--png-width",
    type=Number(int, ge=16, le=20000),
    default=1200,
    show_default=True,
    help="Width of drawing.png in px.",
)
@pass_app
def draw_command(
    app: AppContext,
    text: str,
    out_dir: Path,
    png_width: int,
    pens: str | None,
    negatives: tuple[str, ...],
    clip_spec: str | None,
    clip_checkpoint: Path | None,
    **overrides: object,
) -> None:
    """Draw TEXT as pen strokes and write the drawing as JSON, SVG and PNG."""
    settings = app.config.drawing
    changes = {k: v for k, v in overrides.items() if v is not None}
    if pens:
        changes["pens"] = parse_pens(pens)
    if negatives:
        changes["negative_prompts"] = list(negatives)
    if clip_spec:
        changes["clip"] = clip_spec
    if clip_checkpoint:
        changes["clip_checkpoint"] = str(clip_checkpoint)
    settings: DrawSettings = dataclasses.replace(settings, **changes)
    from dreamdraw.drawing.clipdraw import draw

    app.data_dir  # noqa: B018 - sets up logging
    with StageProgress() as progress:

        def on_progress(p: DrawProgress) -> None:
            on_cpu = p.drawing.settings.get("device") == "cpu"
            if on_cpu and p.iteration == first_report and p.iteration < p.iterations:
                click.echo(cpu_estimate(p), err=True)
            detail = f"step {p.iteration}/{p.iterations}, score {p.score:.3f}"
            progress.update("drawing", p.iteration / p.iterations, detail)

        first_report = min(max(1, settings.progress_every), settings.iterations)

        drawing = draw(text, settings, progress=on_progress)
    paths = drawing.write(out_dir, png_width)
    if drawing.model_label:
        click.echo(f"note: {drawing.model_id} is a {drawing.model_label}")
    pruned = drawing.settings.get("strokes_pruned")
    strokes = f"{len(drawing.strokes)} strokes" + (f", {pruned} pruned" if pruned else "")
    click.echo(
        f"CLIP score {drawing.final_score:.4f} ({drawing.model_id}, {strokes}, seed {drawing.seed})"
    )
    for path in paths.values():
        click.echo(f"wrote {path}")


def cpu_estimate(p: DrawProgress) -> str:
    """How long the whole drawing will take on the CPU, from the pace of its first steps."""
    total_s = p.elapsed_s / p.iteration * p.iterations
    strokes = p.drawing.settings["strokes"]
    duration = f"{total_s:.1f} s" if total_s < 10 else format_duration(total_s)
    return (
        f"drawing on the CPU: about {duration} for {strokes} strokes x "
        f"{p.iterations} iterations, timed over the first {p.iteration} "
        "(Ctrl-C to stop; --strokes/--iterations to shorten)"
    )


COMMANDS: list[click.Command] = [draw_command]
