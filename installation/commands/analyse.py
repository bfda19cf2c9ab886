"""`dreamdraw analyse`: the explainability suite on one pair, and agreement with curators."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click
from dreamdraw.analysis.settings import AnalysisSettings
from dreamdraw.installation.commands.params import (
    Number,
    OutputDir,
    OutputFile,
    positive,
    ray_options,
    setting_range,
)
from dreamdraw.installation.context import AppContext, pass_app

__all__ = ["COMMANDS"]


@click.group()
def analyse() -> None:
    """Explain dream-drawing pairs and assign their clusters."""


def _settings_and_clip(
    app: AppContext,
    clip_spec: str | None,
    clip_checkpoint: Path | None,
    device: str | None,
    budget: int | None,
    p: float | None,
    no_fixlip: bool,
):
    """The config's [analysis] settings with the command line's overrides, and its CLIP."""
    from dreamdraw.drawing import load_clip, resolve_device

    settings = _settings(app, clip_spec, clip_checkpoint, device, budget, p, no_fixlip)
    return settings, load_clip(
        settings.clip,
        settings.clip_checkpoint,
        resolve_device(settings.device),
        app.config.drawing.clip_cache_dir,  # where `dreamdraw models pull|import` put them
    )


def _settings(
    app: AppContext,
    clip_spec: str | None,
    clip_checkpoint: Path | None,
    device: str | None,
    budget: int | None,
    p: float | None,
    no_fixlip: bool,
):
    """The config's [analysis] settings with the command line's overrides."""
    from dreamdraw.analysis import AnalysisError

    changes: dict[str, object] = {}
    for key, value in (
        ("clip", clip_spec),
        ("clip_checkpoint", str(clip_checkpoint) if clip_checkpoint else None),
        ("device", device),
        ("fixlip_budget", budget),
        ("fixlip_p", p),
    ):
        if value is not None:
            changes[key] = value
    if no_fixlip:
        changes["fixlip"] = False
    try:
        return dataclasses.replace(app.config.analysis, **changes)
    except ValueError as exc:
        raise AnalysisError(str(exc)) from None


def _confidence(confidence: float | None, model_is_random: bool) -> str:
    """A cluster's confidence (0-1) as shown: none for a random-weight model, whose clusters
    mean nothing."""
    if model_is_random:
        return "no meaningful confidence: random-weight model"
    return "no confidence" if confidence is None else f"confidence {confidence:.2f}"


def _clip_options(command):
    """The options every command that loads CLIP shares."""
    for option in reversed(
        [
            click.option(
                "--clip", "clip_spec", help="open_clip NAME:TAG, or test:tiny (random, offline)."
            ),
            click.option(
                "--clip-checkpoint",
                type=click.Path(exists=True, path_type=Path),
                help="A local CLIP checkpoint (file with --clip NAME, or an open_clip folder).",
            ),
            click.option("--device", help="auto, cpu, cuda or cuda:N (default: the config's)."),
            click.option(
                "--budget",
                type=setting_range(AnalysisSettings, "fixlip_budget", int),
                help="FIXLIP coalitions (default: the config's).",
            ),
            click.option(
                "--p",
                "p",
                type=setting_range(AnalysisSettings, "fixlip_p", float),
                help="FIXLIP inclusion probability (default: the config's).",
            ),
            click.option(
                "--no-fixlip", is_flag=True, help="Skip FIXLIP (alignment and probes only)."
            ),
        ]
    ):
        command = option(command)
    return command


@analyse.command("pair")
@click.argument("text")
@click.argument("drawing", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=OutputDir(),
    help="Folder for analysis.json and the figures (created).",
)
@_clip_options
@click.option(
    "--speech-logprob",
    type=Number(float, le=0),
    help="The transcript's average log-probability.",
)
@click.option(
    "--translated/--not-translated", default=None, help="Whether the dream was translated."
)
@pass_app
def pair(
    app: AppContext,
    text: str,
    drawing: Path,
    out_dir: Path,
    clip_spec: str | None,
    clip_checkpoint: Path | None,
    device: str | None,
    budget: int | None,
    p: float | None,
    no_fixlip: bool,
    speech_logprob: float | None,
    translated: bool | None,
) -> None:
    """Analyse the dream TEXT against DRAWING (.json, .svg or .png); writes OUT/analysis.json."""
    from dreamdraw.analysis import analyse_pair

    settings, clip = _settings_and_clip(
        app, clip_spec, clip_checkpoint, device, budget, p, no_fixlip
    )
    result = analyse_pair(
        text,
        drawing,
        clip,
        settings,
        out_dir=out_dir,
        speech_logprob=speech_logprob,
        translated=translated,
    )
    click.echo(
        f"{result.display_name} ({_confidence(result.confidence, clip.is_random)}): {result.rationale}"
    )
    if result.truncated_words:
        click.echo(
            f"note: the dream was truncated to the model's context; "
            f"{len(result.truncated_words)} words were not analysed",
            err=True,
        )
    if clip.is_random:
        click.echo("note: the CLIP model has random weights; the numbers mean nothing", err=True)
    click.echo(f"wrote {out_dir / 'analysis.json'} and {len(result.figures)} figures")


@analyse.command("agreement")
@click.argument("labels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def agreement(labels: Path, as_json: bool) -> None:
    """Agreement of automatic clusters with curator labels in LABELS (.csv or .jsonl)."""
    from dreamdraw.analysis.clusters import CLUSTERS, cluster_agreement, read_labels

    result = cluster_agreement(*read_labels(labels))
    if as_json:
        click.echo(result.to_json())
        return
    click.echo(
        f"pairs: {result.n}  accuracy: {result.accuracy:.3f}  Cohen's kappa: {result.kappa:.3f}"
    )
    click.echo("confusion (rows: curator, columns: automatic):")
    width = max(len(label) for label in result.labels)
    click.echo(" " * (width + 2) + "  ".join(f"{i + 1:>4}" for i in range(len(result.labels))))
    for i, (label, row) in enumerate(zip(result.labels, result.confusion, strict=True)):
        click.echo(f"{i + 1} {label:<{width}} " + "  ".join(f"{v:>4}" for v in row))
    click.echo(
        "; ".join(f"{i + 1} = {CLUSTERS[label].name}" for i, label in enumerate(result.labels))
    )


@analyse.command("surgery")
@click.option(
    "--model",
    "model_spec",
    default="torchvision:resnet50",
    show_default=True,
    help="The standalone CNN as torchvision:NAME.",
)
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The standalone model's state dict (default: random weights).",
)
@click.option(
    "--captions",
    "captions_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Captions, one per line.",
)
@click.option(
    "--images",
    "images_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of PNG/JPEG images.",
)
@click.option(
    "--clip",
    "clip_spec",
    default="RN50:openai",
    show_default=True,
    help="A ResNet CLIP as NAME:TAG.",
)
@click.option(
    "--clip-checkpoint",
    type=click.Path(exists=True, path_type=Path),
    help="A local checkpoint for --clip NAME.",
)
@click.option("--limit", type=positive(), help="Use at most this many images.")
@click.option("--batch-size", type=positive(), default=16, show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option(
    "--out",
    "out_path",
    type=OutputFile(),
    help="Write the full result (scores, tallies, matches) as JSON.",
)
def surgery(
    model_spec: str,
    checkpoint: Path | None,
    captions_path: Path,
    images_dir: Path,
    clip_spec: str,
    clip_checkpoint: Path | None,
    limit: int | None,
    batch_size: int,
    device: str,
    out_path: Path | None,
) -> None:
    """Swap a standalone CNN's best-matching channels into CLIP and tally the captions they push."""
    from dreamdraw.analysis.surgery import (
        load_images,
        load_standalone,
        network_surgery,
        read_captions,
    )
    from dreamdraw.drawing import load_clip, resolve_device

    # Cheap checks first: a wrong file fails before the CLIP model loads.
    captions = read_captions(captions_path)
    dev = resolve_device(device)
    standalone = load_standalone(model_spec, checkpoint, str(dev))
    clip = load_clip(clip_spec, clip_checkpoint, dev)
    images = load_images(images_dir, clip.image_size, limit)
    result = network_surgery(standalone, clip, images, captions, batch_size)
    click.echo(
        f"{len(images)} images, {result.standalone_channels} standalone x "
        f"{result.clip_channels} CLIP channels, {result.seconds:.1f} s"
    )
    for stage, tally in result.tallies.items():
        ranked = sorted(tally.items(), key=lambda kv: -kv[1])
        click.echo(f"{stage}: " + ", ".join(f"{c!r} {n}" for c, n in ranked if n))
    if out_path is not None:
        out_path.write_text(result.to_json(), encoding="utf-8")
        click.echo(f"wrote {out_path}")


@analyse.command("archive")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "everything", is_flag=True, help="Every pair in the archive.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Pairs archived since this UTC date or time.",
)
@click.option("--only-new", is_flag=True, help="Skip pairs that already have an analysis.")
@click.option(
    "--retry-failed", is_flag=True, help="Try again the pairs that failed with these settings."
)
@ray_options
@click.option(
    "--cpus-per-worker",
    type=positive(),
    default=1,
    show_default=True,
    help="CPU cores per Ray worker when there is no GPU.",
)
@click.option(
    "--batch-size",
    "pairs_per_batch",
    type=positive(),
    default=4,
    show_default=True,
    help="Pairs sent to a Ray worker at a time.",
)
@_clip_options
@pass_app
def analyse_archive_command(
    app: AppContext,
    ids: tuple[int, ...],
    everything: bool,
    since,
    only_new: bool,
    retry_failed: bool,
    ray_address: str | None,
    workers: int | None,
    cpus_per_worker: int,
    pairs_per_batch: int,
    clip_spec: str | None,
    clip_checkpoint: Path | None,
    device: str | None,
    budget: int | None,
    p: float | None,
    no_fixlip: bool,
) -> None:
    """Analyse archived pairs (IDS, --since DATE or --all) and store results and figures.

    Pairs already analysed with the same settings and model are skipped, and so are those
    that failed with them (unless --retry-failed): a stopped job, started again, goes on
    where it was. Ctrl-C keeps every finished result.
    """
    import sys
    from contextlib import nullcontext
    from datetime import UTC

    from dreamdraw.archive import open_archive
    from dreamdraw.installation.analysis_stage import analyse_archive, select_pairs
    from dreamdraw.installation.progress_meter import ProgressMeter
    from dreamdraw.installation.reanalysis import PairResult

    if ray_address is None:
        settings, clip = _settings_and_clip(
            app, clip_spec, clip_checkpoint, device, budget, p, no_fixlip
        )
        engine = nullcontext(None)
    else:
        from dreamdraw.installation.cluster import RayEngine, RaySettings

        settings = _settings(app, clip_spec, clip_checkpoint, device, budget, p, no_fixlip)
        clip = None
        ray_settings = RaySettings(ray_address, workers, cpus_per_worker, pairs_per_batch)
        engine = RayEngine(settings, ray_settings, app.config.drawing.clip_cache_dir)

    with open_archive(app.data_dir, settings=app.config.archive) as archive:
        selected = select_pairs(
            archive,
            ids=ids,
            since=since.replace(tzinfo=UTC) if since else None,
            everything=everything,
        )
        meter = ProgressMeter(len(selected), sys.stderr)

        done: list[PairResult] = []

        def report(outcome: PairResult) -> None:
            done.append(outcome)
            meter.clear()
            if outcome.error:
                click.echo(f"{outcome.id}: not analysed: {outcome.error}", err=True)
            else:
                random = bool((outcome.analysis or {}).get("model_is_random"))
                click.echo(
                    f"{outcome.id}: {outcome.cluster} ({_confidence(outcome.confidence, random)})"
                )
            meter.advance(failed=outcome.error is not None)

        skipped: list[int] = []

        def skip(record_id: int) -> None:
            skipped.append(record_id)
            meter.total -= 1

        try:
            with engine as ray_engine:
                analyse_archive(
                    archive,
                    clip,
                    settings,
                    app.data_dir,
                    ids=selected,
                    only_new=only_new,
                    retry_failed=retry_failed,
                    engine=ray_engine,
                    progress=report,
                    skipped=skip,
                )
        except KeyboardInterrupt:
            meter.close()
            click.echo(
                f"stopped: {meter.done} pairs finished and stored; run the same command "
                "again to go on",
                err=True,
            )
            raise SystemExit(130) from None
        meter.close()
    failed = sum(1 for d in done if d.error)
    click.echo(
        f"analysed {len(done) - failed} pairs, {failed} failed"
        + (f", {len(skipped)} already done" if skipped else "")
    )
    if any((d.analysis or {}).get("model_is_random") for d in done):
        click.echo("note: the CLIP model has random weights; the numbers mean nothing", err=True)
    if failed:
        raise SystemExit(1)


COMMANDS: list[click.Command] = [analyse]
