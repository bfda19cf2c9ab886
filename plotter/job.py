"""Plot jobs: stream a toolpath stroke by stroke, survive faults, and resume from a job file."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from dreamdraw.plotter.driver import Driver
from dreamdraw.plotter.errors import ControllerError, DeviceFault, PlotterError
from dreamdraw.plotter.kinematics import Kinematics
from dreamdraw.plotter.machine import GrblMachine
from dreamdraw.plotter.settings import PlotterSettings
from dreamdraw.plotter.toolpath import PenInfo, Toolpath
from dreamdraw.vocabulary import format_tag

__all__ = ["JobFile", "JobResult", "PlotJob", "Progress", "Restart"]

log = logging.getLogger("dreamdraw.plotter.job")


@dataclass(frozen=True)
class Progress:
    """Where a job stands: strokes, share of the estimated time, seconds gone and left."""

    strokes_done: int
    strokes_total: int
    fraction: float
    elapsed_s: float
    remaining_s: float
    pen: PenInfo
    restarts: int


@dataclass(frozen=True)
class Restart:
    """A stroke drawn again from its start after a fault."""

    stroke: int
    reason: str


@dataclass
class JobResult:
    """How a job ended."""

    completed: bool
    aborted: bool
    strokes_total: int
    drawn: list[int] = field(default_factory=list)  # stroke indices confirmed, in order
    restarts: list[Restart] = field(default_factory=list)
    elapsed_s: float = 0.0
    estimated_s: float = 0.0  # the model's time for the whole plot (the machine's own limits)
    job_file: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["job_file"] = str(self.job_file) if self.job_file else None
        return data


class JobFile:
    """A job on disk, JSON lines: a header (toolpath, device, settings), then each stroke done.

    Appending one small line per confirmed stroke (flushed to disk) means a job killed at
    any moment resumes at the first stroke not confirmed.
    """

    FORMAT = format_tag("plotjob")

    def __init__(self, path: Path, header: dict[str, Any], done: set[int]) -> None:
        self.path = path
        self.header = header
        self.done = done

    @classmethod
    def create(
        cls, path: str | Path, toolpath: Toolpath, settings: PlotterSettings, port: str | None
    ) -> JobFile:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {
            "format": cls.FORMAT,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "device": settings.device,
            "port": port,
            "settings": asdict(settings),
            "toolpath": toolpath.to_dict(),
        }
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            f.write(json.dumps(header) + "\n")
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
        return cls(path, header, set())

    @classmethod
    def load(cls, path: str | Path) -> JobFile:
        path = Path(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise PlotterError(f"cannot read plot job {path}: {exc}") from None
        try:
            header = json.loads(lines[0])
        except (IndexError, json.JSONDecodeError):
            raise PlotterError(f"{path} is not a dreamdraw plot job") from None
        if header.get("format") != cls.FORMAT:
            raise PlotterError(f"{path} is not a dreamdraw plot job (format {cls.FORMAT})")
        done: set[int] = set()
        for line in lines[1:]:
            try:
                done.add(int(json.loads(line)["done"]))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue  # a line cut short when the process died
        return cls(path, header, done)

    @property
    def toolpath(self) -> Toolpath:
        return Toolpath.from_dict(self.header["toolpath"])

    @property
    def settings(self) -> PlotterSettings:
        return PlotterSettings(**self.header["settings"])

    @property
    def machine(self) -> GrblMachine | None:
        """The controller's settings as read when the job last connected."""
        data = self.header.get("machine")
        return GrblMachine.from_dict(data) if data else None

    def record_machine(self, machine: GrblMachine) -> None:
        """Keep the controller's settings in the header (rewritten atomically)."""
        self.header["machine"] = machine.to_dict()
        lines = self.path.read_text(encoding="utf-8").splitlines()[1:]
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            f.write("\n".join([json.dumps(self.header), *lines]) + "\n")
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.path)

    def record_done(self, stroke: int) -> None:
        self.done.add(stroke)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"done": stroke}) + "\n")
            f.flush()
            os.fsync(f.fileno())


class PlotJob:
    """Plot a toolpath on a driver: progress, pause/resume/abort, pen changes, fault recovery.

    on_progress(Progress) after every stroke; on_pen_change(PenInfo) blocks until the
    attendant has put in that pen; on_fault(str) when a fault is being recovered from.
    pause(), resume() and abort() may be called from any thread.
    """

    def __init__(
        self,
        toolpath: Toolpath,
        driver: Driver,
        job_file: JobFile | str | Path | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_pen_change: Callable[[PenInfo], None] | None = None,
        on_fault: Callable[[str], None] | None = None,
    ) -> None:
        self.toolpath = toolpath
        self.driver = driver
        self.settings = driver.settings
        if isinstance(job_file, (str, Path)):
            job_file = JobFile.create(job_file, toolpath, self.settings, driver.port_name)
        self.job_file = job_file
        self.done: set[int] = set(job_file.done) if job_file else set()
        self.on_progress = on_progress
        self.on_pen_change = on_pen_change
        self.on_fault = on_fault
        self._paused = threading.Event()
        self._held = False
        self._abort = threading.Event()
        self.machine: GrblMachine | None = None
        self._costs = _stroke_costs(toolpath, self.settings)
        self.restarts: list[Restart] = []
        self.drawn: list[int] = []
        self._faults = 0

    @classmethod
    def load(cls, job_file: str | Path, driver: Driver, **callbacks: Any) -> PlotJob:
        """Continue a job from its file: the strokes it records as done are skipped."""
        jf = JobFile.load(job_file)
        return cls(jf.toolpath, driver, jf, **callbacks)

    # -- control (any thread) ------------------------------------------------------------
    def pause(self, immediate: bool = False) -> None:
        """Pause after the current stroke (pen up), or at once (feed hold) where supported."""
        self._paused.set()
        if immediate and self.driver.supports_hold:
            self.driver.hold()
            self._held = True

    def resume(self) -> None:
        if self._held:
            self.driver.release()
            self._held = False
        self._paused.clear()

    def abort(self) -> None:
        """Stop now: the controller halts and drops its queue; run() returns aborted."""
        self._abort.set()
        self._paused.clear()
        try:
            self.driver.abort()
        except PlotterError as exc:
            log.warning("abort: %s", exc)

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    # -- running -------------------------------------------------------------------------
    def run(self) -> JobResult:
        """Plot every stroke not yet done; raises PlotterError when it cannot go on."""
        started = time.monotonic()
        total = len(self.toolpath.strokes)
        if self.driver.link is None:
            self.driver.connect()
        self._read_machine()
        resumed = bool(self.done)
        first_layer = True
        try:
            for pen, indices in self.toolpath.layers():
                todo = [i for i in indices if i not in self.done]
                if not todo:
                    continue
                if not self._change_pen(pen, ask=resumed or not first_layer):
                    break
                first_layer = False
                for i in todo:
                    self._wait_while_paused()
                    if self._abort.is_set():
                        break
                    self._draw(i)
                    self.done.add(i)
                    self.drawn.append(i)
                    if self.job_file:
                        self.job_file.record_done(i)
                    self._report(started, pen)
                if self._abort.is_set():
                    break
            if not self._abort.is_set():
                self._recovering(self.driver.park, None)
        except ControllerError as exc:
            self._stop_machine()
            raise PlotterError(f"{exc}; the plot stopped.{self._resume_hint()}") from None
        completed = len(self.done) == total and not self._abort.is_set()
        if self._abort.is_set():
            self._stop_machine()
        return JobResult(
            completed=completed,
            aborted=self._abort.is_set(),
            strokes_total=total,
            drawn=list(self.drawn),
            restarts=list(self.restarts),
            elapsed_s=time.monotonic() - started,
            estimated_s=self.estimated_s,
            job_file=self.job_file.path if self.job_file else None,
        )

    def _read_machine(self) -> None:
        """Take the controller's own settings: check the travel before the first move, time
        the plan with its rates, and keep them with the job."""
        machine = self.driver.machine
        if machine is None:
            return
        self.machine = machine
        todo = [s.points for i, s in enumerate(self.toolpath.strokes) if i not in self.done]
        if todo:
            points = self.driver.device_from_paper(np.concatenate([*todo, [self.toolpath.home]]))
            machine.check_travel(points, self.driver.work_offset)
        self._costs = _stroke_costs(self.toolpath, self.settings, machine)
        if self.job_file is not None:
            self.job_file.record_machine(machine)

    @property
    def estimated_s(self) -> float:
        """Seconds the whole plot takes by the model (the machine's own limits once read):
        every stroke, then the way back to the origin."""
        if not self.toolpath.strokes:
            return 0.0
        back = np.vstack([self.toolpath.strokes[-1].points[-1], self.toolpath.home])
        return float(self._costs.sum()) + _kinematics(self.settings, self.machine).chain_time(back)

    def _draw(self, index: int) -> None:
        points = self.toolpath.strokes[index].points
        self._recovering(lambda: self.driver.draw_stroke(points), index)

    def _recovering(self, action: Callable[[], object], stroke: int | None) -> None:
        """Run `action`; after a fault recover the controller and run it again from the start."""
        while True:
            try:
                action()
                return
            except DeviceFault as fault:
                if self._abort.is_set():
                    return
                if fault.lost_position and not self.settings.grbl_homing:
                    # Without homing nothing can put the position right: plotting on would
                    # draw shifted. The operator checks the machine, unlocks, and resumes.
                    raise PlotterError(
                        f"{fault}; the plot stopped. Check the pen and the paper, move the pen "
                        "to the origin if it moved, unlock (`dreamdraw plotter unlock`), then "
                        f"continue.{self._resume_hint()}"
                    ) from None
                if stroke is not None:
                    self.restarts.append(Restart(stroke, str(fault)))
                self._faults += 1
                if self._faults > self.settings.max_restarts:
                    raise PlotterError(
                        f"the plotter faulted {self._faults} times (last: {fault}); "
                        f"giving up.{self._resume_hint()}"
                    ) from None
                log.warning("fault (stroke %s): %s; recovering", stroke, fault)
                if self.on_fault:
                    redo = (
                        f"redrawing stroke {stroke + 1} from its start"
                        if stroke is not None
                        else "retrying"
                    )
                    self.on_fault(f"{fault}; {redo}")
                try:
                    self.driver.recover(str(fault))
                except PlotterError as exc:
                    raise PlotterError(f"{exc}{self._resume_hint()}") from None

    def _change_pen(self, pen: PenInfo, ask: bool) -> bool:
        """Select or ask for `pen`; False if the job was aborted meanwhile."""
        if self.settings.pen_change == "device":
            self._recovering(lambda: self.driver.select_pen(pen), None)
        elif ask and self.on_pen_change is not None:
            self._recovering(self.driver.park, None)
            self.on_pen_change(pen)
        if self._abort.is_set():
            return False
        self._recovering(lambda: self.driver.announce_pen(pen), None)
        return True

    def _wait_while_paused(self) -> None:
        while self._paused.is_set() and not self._abort.is_set():
            time.sleep(0.05)

    def _stop_machine(self) -> None:
        """After an abort or a refused command: halt, then leave the pen up if we can."""
        try:
            self.driver.abort()
            self.driver.recover("stopping")
            self.driver.pen_up()
        except PlotterError as exc:
            log.warning("could not lift the pen after stopping: %s", exc)

    def _report(self, started: float, pen: PenInfo) -> None:
        if self.on_progress is None:
            return
        total = float(self._costs.sum()) or 1.0
        done = float(self._costs[sorted(self.done)].sum()) if self.done else 0.0
        elapsed = time.monotonic() - started
        this_run = float(self._costs[self.drawn].sum()) if self.drawn else 0.0
        pace = elapsed / this_run if this_run > 0 else 1.0
        self.on_progress(
            Progress(
                strokes_done=len(self.done),
                strokes_total=len(self.toolpath.strokes),
                fraction=done / total,
                elapsed_s=elapsed,
                remaining_s=(total - done) * pace,
                pen=pen,
                restarts=len(self.restarts),
            )
        )

    def _resume_hint(self) -> str:
        if self.job_file is None:
            return ""
        return f" Continue with `dreamdraw plot --resume {self.job_file.path}`."


def _kinematics(settings: PlotterSettings, machine: GrblMachine | None) -> Kinematics:
    if machine is None:
        return Kinematics.from_settings(settings)
    return Kinematics.from_machine(settings, machine)


def _stroke_costs(
    toolpath: Toolpath, settings: PlotterSettings, machine: GrblMachine | None = None
) -> np.ndarray:
    """Estimated seconds per stroke: travel from the previous stroke, pen, and drawing."""
    strokes = [s.points for s in toolpath.strokes]
    return _kinematics(settings, machine).stroke_times(strokes, toolpath.home).sum(axis=1)
