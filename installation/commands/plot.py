"""`dreamdraw plot` and `dreamdraw plotter ...`: plot drawings and SVGs, set up the machine."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from dreamdraw.installation.commands.params import (
    OutputFile,
    SerialPort,
    positive,
    setting_range,
)
from dreamdraw.installation.context import AppContext, pass_app
from dreamdraw.installation.progress import StageProgress
from dreamdraw.plotter.settings import PlotterSettings

if TYPE_CHECKING:
    from dreamdraw.plotter import PenInfo, PlotJob, Progress

__all__ = ["COMMANDS"]

DEVICES = ["grbl", "axidraw", "hpgl"]
_BAUD = setting_range(PlotterSettings, "baud", int)


def _settings(app: AppContext, **overrides: Any) -> PlotterSettings:
    return app.config.plotter.with_options(**overrides)


def _svg_source(path: Path) -> str | Path:
    """A drawing.json becomes its SVG text (pens as layers); anything else is read as SVG."""
    if path.suffix.lower() == ".json":
        from dreamdraw.drawing import Drawing

        return Drawing.load(path).to_svg()
    return path


def _job_path(app: AppContext, source: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return app.data_dir / "plot-jobs" / f"{stamp}-{source.stem}.jsonl"


def _progress_printer() -> Callable[[Progress], None]:
    """The plot's progress on stderr: a bar on a terminal, a line at start and end in a file."""
    progress = StageProgress()

    def show(p: Progress) -> None:
        minutes, seconds = divmod(round(p.remaining_s), 60)
        detail = f"stroke {p.strokes_done}/{p.strokes_total} {p.pen.label()} - {minutes}:{seconds:02d} left"
        done = p.strokes_done == p.strokes_total
        progress.update("plotting", 1.0 if done else p.fraction, detail)

    return show


def _ask_for_pen(pen: PenInfo) -> None:
    click.echo("", err=True)
    click.prompt(
        f"Put in {pen.label()}{f' ({pen.color})' if pen.color else ''}, then press Enter",
        default="",
        show_default=False,
        err=True,
    )


def _run_job(job: PlotJob, job_file: Path) -> None:
    from dreamdraw.plotter import PlotterError

    try:
        result = job.run()
    except (KeyboardInterrupt, click.Abort):
        job.abort()
        raise PlotterError(
            f"plot interrupted; continue with `dreamdraw plot --resume {job_file}`"
        ) from None
    restarts = f", {len(result.restarts)} strokes redrawn after faults" if result.restarts else ""
    click.echo(
        f"plotted {len(result.drawn)} strokes in {result.elapsed_s:.0f} s{restarts}; job {job_file}"
    )


@click.command("plot")
@click.argument(
    "source", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--device", type=click.Choice(DEVICES), help="Protocol. Default: [plotter] device.")
@click.option(
    "--port", type=SerialPort(), help="Serial port or pyserial URL. Default: [plotter] port."
)
@click.option("--baud", type=_BAUD, help="Serial speed. Default: [plotter] baud.")
@click.option("--paper", help="A4, A3, letter, WxHmm ... Default: [plotter] paper.")
@click.option(
    "--orientation", type=click.Choice(["landscape", "portrait"]), help="For named paper sizes."
)
@click.option(
    "--margin",
    "margin_mm",
    type=setting_range(PlotterSettings, "margin_mm", float),
    help="Blank border in mm.",
)
@click.option("--fit", type=click.Choice(["page", "content", "none"]), help="How to fit the sheet.")
@click.option("--dry-run", is_flag=True, help="Print the plan and time estimate; move nothing.")
@click.option(
    "--to-file",
    type=OutputFile(),
    help="Write G-code (.gcode) or HPGL (.hpgl) instead of plotting.",
)
@click.option(
    "--resume",
    "resume",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Continue a job file after a crash or an error.",
)
@pass_app
def plot_command(
    app: AppContext,
    source: Path | None,
    resume: Path | None,
    dry_run: bool,
    to_file: Path | None,
    **options: Any,
) -> None:
    """Plot SOURCE (an SVG, or a dreamdraw drawing.json) on a pen plotter."""
    from dreamdraw.plotter import (
        JobFile,
        PlotJob,
        PlotterError,
        open_driver,
        plan_toolpath,
        write_plot_file,
    )

    if resume is not None:
        job_file = JobFile.load(resume)
        overrides = {k: v for k, v in options.items() if k in ("port", "baud", "device")}
        settings = job_file.settings.with_options(**overrides)
        click.echo(f"resuming {resume}: {len(job_file.done)} strokes already drawn", err=True)
        driver = open_driver(settings=settings, sheet=job_file.toolpath.sheet)
        job = PlotJob.load(
            resume, driver, on_progress=_progress_printer(), on_pen_change=_ask_for_pen
        )
        try:
            _run_job(job, resume)
        finally:
            driver.close()
        return
    if source is None:
        raise PlotterError("give an SVG or drawing.json to plot, or --resume JOB")
    settings = _settings(app, **options)
    if dry_run or to_file is not None:
        toolpath = plan_toolpath(_svg_source(source), settings)
        click.echo(toolpath.summary(), err=True)
        if to_file is not None:
            kind = write_plot_file(toolpath, to_file, settings)
            click.echo(f"wrote {kind} to {to_file}")
        return
    job_path = _job_path(app, source)
    # Connect first: the plan is fitted and timed with the machine's own settings.
    driver = open_driver(settings=settings)
    try:
        if driver.machine is not None:
            click.echo(driver.machine.summary(), err=True)
        toolpath = plan_toolpath(_svg_source(source), settings, driver.sheet, driver.machine)
        click.echo(toolpath.summary(), err=True)
        first = toolpath.pen(toolpath.strokes[0].pen)
        if settings.pen_change == "prompt" and len(toolpath.pens) > 1:
            click.echo(f"starting with {first.label()}", err=True)
        job = PlotJob(
            toolpath,
            driver,
            job_file=job_path,
            on_progress=_progress_printer(),
            on_pen_change=_ask_for_pen,
            on_fault=lambda text: click.echo(f"\nfault: {text}", err=True),
        )
        _run_job(job, job_path)
    finally:
        driver.close()


@click.group("plotter")
def plotter_group() -> None:
    """Set up a plotter: list ports, simulate one, pen up/down, home, jog."""


@plotter_group.command("ports")
def ports_command() -> None:
    """List the serial ports on this machine and what is probably on them."""
    from dreamdraw.plotter import list_ports

    ports = list_ports()
    if not ports:
        click.echo("no serial ports found")
    for port in ports:
        guess = f"  [{port.guess}]" if port.guess else ""
        click.echo(f"{port.device}  {port.description}  {port.hwid}{guess}")


@plotter_group.command("simulate")
@click.option(
    "--protocol", type=click.Choice(DEVICES), default="grbl", show_default=True, help="Protocol."
)
@click.option(
    "--speedup", type=positive(float), default=1.0, show_default=True, help="Motion time scale."
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="KIND@LINE[:SECONDS]",
    help="Inject a fault (error, alarm, reset, garbage, lose, duplicate, vanish, stall).",
)
@click.option(
    "--png",
    type=OutputFile(),
    help="On exit, draw what the pen drew into this PNG.",
)
@click.option(
    "--seconds", type=positive(float), help="Stop after this long (default: until Ctrl-C)."
)
@pass_app
def simulate_command(
    app: AppContext,
    protocol: str,
    speedup: float,
    faults: tuple[str, ...],
    png: Path | None,
    seconds: float | None,
) -> None:
    """Run a simulated plotter on a pty and print its port, for `dreamdraw plot --port`."""
    from dreamdraw.plotter import Fault, PenInfo, PlotterError, simulator_for

    settings = _settings(app, device=protocol)
    parsed = []
    for spec in faults:
        try:
            kind, _, rest = spec.partition("@")
            line, _, duration = rest.partition(":")
            parsed.append(Fault(kind, int(line), float(duration or 0.5)))
        except ValueError as exc:
            raise PlotterError(f"bad --fault {spec!r}: {exc}; use KIND@LINE[:SECONDS]") from None
    simulator = simulator_for(settings, speedup=speedup, faults=parsed)
    pens = [PenInfo(p.id, p.name, p.color, p.width_mm) for p in app.config.drawing.pens]
    # Signals are caught before the port is announced: one sent any time after ends the wait.
    with _stop_signals() as stopped, simulator:
        click.echo(simulator.port)
        click.echo(
            f"{protocol} simulator on {simulator.pty_path}; "
            f"plot with: dreamdraw plot FILE --device {protocol} --port {simulator.port}",
            err=True,
        )
        if png is not None:
            click.echo(
                f"{png} is drawn at Ctrl-C or SIGTERM; {_pen_note(protocol, settings)}", err=True
            )
        end = time.monotonic() + seconds if seconds is not None else None
        while not stopped and (end is None or time.monotonic() < end):
            time.sleep(0.05)
        if png is not None:
            sheet = settings.sheet()
            simulator.render_png(png, (sheet.width_mm, sheet.height_mm), pens=pens)
            click.echo(f"wrote {png}", err=True)


def _pen_note(protocol: str, settings: PlotterSettings) -> str:
    """Where the PNG's colours come from: the pen each protocol names on the wire."""
    colours = "colours from the config's [drawing] pens, an unknown pen black"
    if protocol == "axidraw":
        return f"the AxiDraw protocol names no pen: every path in pen 1's colour ({colours})"
    if protocol == "hpgl" and settings.pen_change == "prompt":
        return f"with pen_change = prompt every path is drawn with HPGL pen 1 ({colours})"
    word = "tool number T" if protocol == "grbl" else "HPGL pen SP"
    return f"each path in the colour of its {word} ({colours})"


@contextlib.contextmanager
def _stop_signals() -> Iterator[list[int]]:
    """SIGINT and SIGTERM, while inside, are appended to the list instead of ending us."""
    stopped: list[int] = []
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {
        sig: signal.signal(sig, lambda number, _: stopped.append(number)) for sig in signals
    }
    try:
        yield stopped
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _machine_options(func: Callable) -> Callable:
    options = [
        click.option("--device", type=click.Choice(DEVICES), help="Protocol."),
        click.option("--port", type=SerialPort(), help="Serial port or pyserial URL."),
        click.option("--baud", type=_BAUD, help="Serial speed."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _with_driver(app: AppContext, options: dict[str, Any], action: Callable) -> None:
    from dreamdraw.plotter import open_driver

    driver = open_driver(settings=_settings(app, **options))
    try:
        action(driver)
        driver.wait_idle()
    finally:
        driver.close()


@plotter_group.command("pen-up")
@_machine_options
@pass_app
def pen_up_command(app: AppContext, **options: Any) -> None:
    """Lift the pen."""
    _with_driver(app, options, lambda d: d.pen_up())


@plotter_group.command("pen-down")
@_machine_options
@pass_app
def pen_down_command(app: AppContext, **options: Any) -> None:
    """Lower the pen (to check its height)."""
    _with_driver(app, options, lambda d: d.pen_down())


@plotter_group.command("home")
@_machine_options
@pass_app
def home_command(app: AppContext, **options: Any) -> None:
    """Pen up and go to the machine origin (a homing cycle where the machine has one)."""
    _with_driver(app, options, lambda d: d.home())


@plotter_group.command("unlock")
@_machine_options
@pass_app
def unlock_command(app: AppContext, **options: Any) -> None:
    """Clear a GRBL alarm or lock with $X, trusting the pen is where the machine thinks."""
    from dreamdraw.plotter import open_driver

    driver = open_driver(settings=_settings(app, **{**options, "device": "grbl"}), connect=False)
    driver.unlock_at_connect = True
    try:
        driver.connect()
        click.echo(f"unlocked; {driver.query_status().state}")
    finally:
        driver.close()


@plotter_group.command("jog")
@click.argument("dx", type=float)
@click.argument("dy", type=float)
@_machine_options
@pass_app
def jog_command(app: AppContext, dx: float, dy: float, **options: Any) -> None:
    """Move by DX, DY mm (paper directions: x right, y down) with the pen as it is."""
    _with_driver(app, options, lambda d: d.move_by(dx, dy))


COMMANDS: list[click.Command] = [plot_command, plotter_group]
