"""One dream end to end, as at the show: (transcribe,) draw, plot on a simulated plotter, archive, analyse."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dreamdraw.drawing import Drawing
from dreamdraw.installation.errors import ShowError
from dreamdraw.installation.orchestrator import Show
from dreamdraw.installation.plotting_stage import PlotOutcome
from dreamdraw.installation.sections import Config
from dreamdraw.installation.states import State
from dreamdraw.installation.venue import open_show
from dreamdraw.speech import FileSource

__all__ = ["DemoResult", "demo_config", "run_demo"]


@dataclass
class DemoResult:
    """Where the demo's dream went: its record, the files written, the cluster, the pen's trace."""

    record_id: int
    dream: str
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)
    plot_status: str = ""
    cluster: str | None = None
    rationale: str = ""
    model_is_random: bool = False
    notes: list[str] = field(default_factory=list)


def demo_config(config: Config, clip: str | None = None) -> Config:
    """The venue config made for a demo: typed or WAV input, a simulated plotter, no pauses."""
    drawing = dataclasses.replace(config.drawing, clip=clip) if clip else config.drawing
    analysis = config.analysis
    if clip:
        analysis = dataclasses.replace(analysis, clip=clip, clip_checkpoint=None)
    return dataclasses.replace(
        config,
        drawing=drawing,
        analysis=analysis,
        show=dataclasses.replace(config.show, keyboard_only=True, status_port=0),
        plot_queue=dataclasses.replace(
            config.plot_queue, enabled=True, simulate=True, ask_pen_change=False
        ),
    )


def _wait(show: Show, condition: Callable[[], bool], what: str, timeout_s: float) -> None:
    if not show.wait_until(condition, timeout_s):
        raise ShowError(f"the demo gave up waiting for {what} after {timeout_s:.0f} s")


def run_demo(
    config: Config,
    data_dir: Path,
    *,
    text: str | None = None,
    wav: Path | None = None,
    out_dir: Path | None = None,
    on_progress: Callable[[str, float], None] | None = None,
    timeout_s: float = 3600.0,
) -> DemoResult:
    """Run one dream through the show; `config` should come from demo_config().

    on_progress(stage, fraction) is called while drawing and plotting (fraction in [0, 1]).
    """
    if (text is None) == (wav is None):
        raise ShowError("give the demo either a dream TEXT or --wav FILE")
    show = open_show(config, data_dir, with_speech=wav is not None)
    show.start(status_page=False)
    try:
        return _one_dream(show, text, wav, out_dir, on_progress, timeout_s)
    finally:
        show.stop()
        if show.plotter is not None:
            show.plotter.close()


def _one_dream(
    show: Show,
    text: str | None,
    wav: Path | None,
    out_dir: Path | None,
    on_progress: Callable[[str, float], None] | None,
    timeout_s: float,
) -> DemoResult:
    assert show.plotting is not None, "the demo plots on a simulated plotter"
    outcomes: list[PlotOutcome] = []
    show.plotting.subscribe(outcomes.append)
    if wav is not None:
        if not show.listen(FileSource(wav)):
            raise ShowError(f"the show cannot take a dream now: {show.status()['faults']}")
        _wait(show, lambda: show.state in (State.CONFIRM, State.ATTRACT), "the transcript", 600)
        if show.state is State.ATTRACT:
            raise ShowError(f"nothing was heard in {wav}: {show.screen.message}")
    elif not show.type_dream(text or ""):
        raise ShowError("the dream text is empty (or the show cannot take a dream now)")
    dream = show.screen.dream
    show.accept()
    if show.state is State.ATTRACT:
        raise ShowError(f"the dream was not drawn: {show.screen.message}")

    def drawn_or_failed() -> bool:
        p = show.drawing.progress
        if on_progress is not None and p is not None:
            on_progress("drawing", p.iteration / p.iterations)
        return show.counters["archived"] + show.counters["draw_failed"] > 0

    _wait(show, drawn_or_failed, "the drawing", timeout_s)
    if show.counters["draw_failed"]:
        raise ShowError(f"the drawing failed: {show.faults.snapshot() or show.screen.message}")

    def plotted() -> bool:
        p = show.plotting.progress if show.plotting is not None else None
        if on_progress is not None and p is not None:
            on_progress("plotting", p.fraction)
        return bool(outcomes)

    _wait(show, plotted, "the plotter", timeout_s)
    if show.config.show.analyse:
        _wait(
            show,
            lambda: show.counters["analysed"] + show.counters["analysis_failed"] > 0,
            "the analysis",
            timeout_s,
        )
    outcome = outcomes[0]
    record = show.archive.get(outcome.record_id)
    folder = out_dir or show.data_dir / "demo" / f"{outcome.record_id:06d}"
    drawing = Drawing.from_json(json.dumps(record.drawing))
    files = {f"drawing.{k}": v for k, v in drawing.write(folder).items()}
    plotted_png = folder / "plotted.png"
    assert show.plotter is not None and show.plotter.simulator is not None
    sheet = outcome.toolpath.sheet
    show.plotter.simulator.render_png(
        plotted_png, (sheet.width_mm, sheet.height_mm), pens=outcome.toolpath.pens
    )
    files["plotted.png"] = plotted_png
    (folder / "transcript.json").write_text(
        json.dumps(record.transcript, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    files["transcript.json"] = folder / "transcript.json"
    if record.analysis is not None:
        (folder / "analysis.json").write_text(
            json.dumps(record.analysis, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        files["analysis.json"] = folder / "analysis.json"
        # The figures analysis.json names, beside it (the archive keeps them by content hash).
        for role, sha in record.blobs.items():
            if role.startswith("figure:"):
                name = f"{role.removeprefix('figure:')}.png"
                (folder / name).write_bytes(show.archive.blob(sha))
                files[name] = folder / name
    notes = [f.message for f in show.faults.snapshot()]
    return DemoResult(
        record_id=outcome.record_id,
        dream=dream,
        out_dir=folder,
        files=files,
        plot_status=record.plot_status,
        cluster=record.cluster,
        rationale=record.cluster_rationale,
        model_is_random=drawing.model_is_random,
        notes=notes,
    )
