"""`dreamdraw run`, `dreamdraw demo` and `dreamdraw status`: the show, one dream, the technician's view."""

from __future__ import annotations

import dataclasses
import json
import signal
from pathlib import Path

import click
from dreamdraw.installation.commands.params import OutputDir
from dreamdraw.installation.config import Config
from dreamdraw.installation.context import AppContext, pass_app
from dreamdraw.installation.progress import StageProgress

__all__ = ["COMMANDS"]

_CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Venue config file (TOML); the same as `dreamdraw --config FILE ...`.",
)


_CLIP_OPTION = click.option(
    "--clip",
    "clip_spec",
    help="open_clip NAME:TAG instead of drawing.clip; toy:clip is the rehearsal model.",
)
_CLIP_CHECKPOINT_OPTION = click.option(
    "--clip-checkpoint",
    type=click.Path(exists=True, path_type=Path),
    help="A local CLIP checkpoint (file, with --clip NAME; or an open_clip folder).",
)
_REHEARSE_OPTION = click.option(
    "--rehearse",
    is_flag=True,
    help="Rehearse without downloaded weights: the toy CLIP, the packaged tiny.en, a "
    "simulated plotter (the keyboard when no microphone is found).",
)


def _model_note(config: Config, rehearse: bool) -> str | None:
    """The line that tells the technician what the show draws with, when it is not the real
    thing (a rehearsal, a toy or random-weight CLIP); None otherwise."""
    from dreamdraw.drawing.clip import clip_spec_label

    clip = config.drawing.clip
    label = clip_spec_label(clip)
    if rehearse:
        return f"rehearsal: drawing with {clip} ({label or 'real weights'}), simulated plotter"
    return f"note: {clip} is a {label}" if label else None


def _stop_on_signals() -> None:
    """Ctrl-C (SIGINT, systemd's KillSignal) and SIGTERM both end the show through its
    clean shutdown, also when the process inherited SIGINT ignored (a background job of
    a shell script), which would otherwise leave Ctrl-C without effect."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


@click.command("run")
@_CONFIG_OPTION
@click.option("--fullscreen/--windowed", default=None, help="Override kiosk.fullscreen.")
@click.option(
    "--simulate-plotter", is_flag=True, help="Plot on a simulated GRBL plotter (rehearsals)."
)
@click.option("--keyboard", is_flag=True, help="No microphone: visitors type their dreams.")
@_CLIP_OPTION
@_CLIP_CHECKPOINT_OPTION
@_REHEARSE_OPTION
@pass_app
def run_command(
    app: AppContext,
    config_path: Path | None,
    fullscreen: bool | None,
    simulate_plotter: bool,
    keyboard: bool,
    clip_spec: str | None,
    clip_checkpoint: Path | None,
    rehearse: bool,
) -> None:
    """Run the show: the kiosk, listening, drawing, plotting, archiving and analysis."""
    from dreamdraw.installation.kiosk import run_kiosk
    from dreamdraw.installation.show_models import rehearsal_config, use_clip
    from dreamdraw.installation.venue import open_show

    app.use_config(config_path)
    config = app.config
    if rehearse:
        config = rehearsal_config(config)
    config = use_clip(config, clip_spec, str(clip_checkpoint) if clip_checkpoint else None)
    if note := _model_note(config, rehearse):
        click.echo(note)
    if fullscreen is not None:
        config = dataclasses.replace(
            config, kiosk=dataclasses.replace(config.kiosk, fullscreen=fullscreen)
        )
    if simulate_plotter:
        config = dataclasses.replace(
            config, plot_queue=dataclasses.replace(config.plot_queue, simulate=True)
        )
    if keyboard:
        config = dataclasses.replace(
            config, show=dataclasses.replace(config.show, keyboard_only=True)
        )
    _stop_on_signals()
    click.echo("loading the models...")
    show = open_show(config, app.data_dir)
    show.start()
    if config.show.status_port:
        click.echo(
            f"status page: http://{config.show.status_host}:{config.show.status_port}/ "
            "(JSON at /status.json)"
        )
    try:
        run_kiosk(show)
    finally:
        show.stop()
        if show.plotter is not None:
            show.plotter.close()


@click.command("demo")
@_CONFIG_OPTION
@click.argument("text", required=False)
@click.option(
    "--wav",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A recorded dream (WAV/FLAC) to transcribe instead of TEXT.",
)
@click.option(
    "--clip",
    "clip_spec",
    help="CLIP model NAME:TAG; test:tiny runs offline with a random (not real) model.",
)
@_CLIP_CHECKPOINT_OPTION
@_REHEARSE_OPTION
@click.option(
    "--out",
    "out_dir",
    type=OutputDir(),
    help="Folder for the drawing, the plotted PNG and the analysis (default DATA/demo/ID).",
)
@pass_app
def demo_command(
    app: AppContext,
    config_path: Path | None,
    text: str | None,
    wav: Path | None,
    clip_spec: str | None,
    clip_checkpoint: Path | None,
    rehearse: bool,
    out_dir: Path | None,
) -> None:
    """Run one dream end to end: transcribe (--wav), draw, plot on a simulated plotter, archive, analyse."""
    from dreamdraw.installation.demo import demo_config, run_demo
    from dreamdraw.installation.show_models import rehearsal_config, use_clip

    app.use_config(config_path)
    config = rehearsal_config(app.config) if rehearse else app.config
    config = use_clip(config, clip_spec, str(clip_checkpoint) if clip_checkpoint else None)
    config = demo_config(config)
    if note := _model_note(config, rehearse):
        click.echo(note)
    with StageProgress() as progress:
        result = run_demo(
            config, app.data_dir, text=text, wav=wav, out_dir=out_dir, on_progress=progress.update
        )
    click.echo(f"dream: {result.dream}")
    click.echo(f"archived as record {result.record_id} (plot status {result.plot_status})")
    if result.cluster:
        click.echo(f"cluster: {result.cluster}: {result.rationale}")
    for name, path in result.files.items():
        click.echo(f"{name}: {path}")
    for note in result.notes:
        click.echo(f"note: {note}")
    click.echo(f"archive: {app.data_dir} (browse it with `dreamdraw archive serve`)")


@click.command("status")
@_CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@pass_app
def status_command(app: AppContext, config_path: Path | None, as_json: bool) -> None:
    """Show the running show's state, queues, plotter and active faults (for the technician)."""
    from dreamdraw.installation.status import format_status, read_status

    app.use_config(config_path)
    status = read_status(app.data_dir)
    if as_json:
        click.echo(json.dumps(status, ensure_ascii=False, indent=1))
    else:
        click.echo(format_status(status))


COMMANDS: list[click.Command] = [run_command, demo_command, status_command]
