"""The show: the visitor's journey driving speech, drawing, plotting and analysis workers."""

from __future__ import annotations

import dataclasses
import errno
import io
import logging
import os
import queue
import shutil
import tempfile
import threading
import time
import unicodedata
import wave
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from dreamdraw.archive import Archive, ArchiveError, Consent, Record, RecordNotFound
from dreamdraw.archive import open_archive as _open_archive
from dreamdraw.drawing import ClipModel, Drawing, DrawProgress
from dreamdraw.installation.analysis_stage import analyse_and_store, analysis_clip
from dreamdraw.installation.drawing_stage import DrawFunction, DrawingStage
from dreamdraw.installation.faults import FaultLog
from dreamdraw.installation.moderation import WordList
from dreamdraw.installation.plot_queue import PlotEntry, PlotQueue
from dreamdraw.installation.plotting import PlotterStation
from dreamdraw.installation.retention import sweep_retention
from dreamdraw.installation.sections import Config
from dreamdraw.installation.states import Event, Journey, Screen, State
from dreamdraw.installation.status import StatusServer, write_status
from dreamdraw.plotter import JobResult, PenInfo, PlotterError, Progress, Toolpath
from dreamdraw.speech import (
    SAMPLE_RATE,
    AudioSource,
    Engine,
    PushToTalk,
    Transcript,
    capture_dream,
    transcribe,
)

__all__ = ["Dream", "PlotOutcome", "Show", "clean_dream"]

log = logging.getLogger("dreamdraw.show")

_TICK_S = 0.1
_STATUS_EVERY_S = 1.0
_DISK_EVERY_S = 2.0
_PROBE_BYTES = 1 << 20  # after a failed write, the show reopens once this much can be written
_RETENTION_EVERY_S = 24 * 3600.0
_TYPING_TIMEOUT_S = 120.0  # keyboard mode: a visitor who walks away mid-sentence


def clean_dream(text: str, max_chars: int) -> str:
    """Visitor text made safe to store and show: no control characters, one-line spaces, cut."""
    kept = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
        for c in text
        if unicodedata.category(c) != "Cf" or c == "\u200d"
    )
    return " ".join(kept.split())[:max_chars].strip()


def _wav_bytes(audio: np.ndarray) -> bytes:
    """(n,) float32 at 16 kHz as a 16-bit mono WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def _is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


@dataclass
class Dream:
    """An accepted dream on its way to the drawing engine; `text` is untrusted visitor text."""

    visitor: int
    text: str
    prompt: str
    transcript: Transcript
    audio: np.ndarray | None = None


@dataclass
class PlotOutcome:
    """A plotted drawing: its record, the toolpath, how the job went, what the pen drew (mm).

    `faults`: the plotter faults it survived (each may redraw the stroke it interrupted).
    """

    record_id: int
    toolpath: Toolpath
    result: JobResult
    trace: list[np.ndarray]
    faults: int = 0


class Show:
    """The installation running: one visitor at the kiosk, workers behind it.

    The kiosk (or a test) calls listen / press_talk / release_talk / type_dream / accept /
    speak_again, and tick() runs the timers. Workers: speech (one per capture), drawing,
    plotting (a persisted queue), analysis (background, yields to drawing). `microphone`
    makes an AudioSource per visitor; None means keyboard mode.
    """

    def __init__(
        self,
        config: Config,
        data_dir: Path,
        *,
        clip: ClipModel,
        speech_engine: Engine | None = None,
        microphone: Callable[[], AudioSource] | None = None,
        plotter: PlotterStation | None = None,
        archive: Archive | None = None,
        faults: FaultLog | None = None,
        draw_fn: DrawFunction | None = None,
    ) -> None:
        self.config = config
        self.data_dir = Path(data_dir)
        self.faults = faults or FaultLog(self.data_dir)
        self.journey = Journey()
        self.journey.subscribe(self._on_transition)
        self._own_archive = archive is None
        self.archive = archive or _open_archive(self.data_dir, settings=config.archive)
        self.clip = clip
        stage_args = {"draw_fn": draw_fn} if draw_fn is not None else {}
        self.drawing = DrawingStage(config.drawing, config.show, clip, self.faults, **stage_args)
        self.speech_engine = speech_engine
        self.microphone = None if config.show.keyboard_only else microphone
        if self.microphone is None and not config.show.keyboard_only:
            self.faults.report("no_microphone", "no microphone: visitors type their dreams")
        self.plotter = plotter if config.plot_queue.enabled else None
        self.plot_queue = PlotQueue(self.data_dir / "plot-queue", config.plot_queue.max_waiting)
        self.draw_queue: queue.Queue[Dream] = queue.Queue(maxsize=config.show.draw_queue_size)
        self.analysis_queue: queue.Queue[tuple[Record, Drawing, Dream]] = queue.Queue(
            maxsize=config.show.analysis_queue_size
        )
        self.most_queued = {"draw": 0, "analysis": 0}
        self.words = WordList(config.moderation.words)
        self.push_to_talk = PushToTalk()
        self.counters: Counter[str] = Counter()
        self.plotted: list[PlotOutcome] = []
        self.draw_progress: DrawProgress | None = None
        self.plot_progress: Progress | None = None
        self.plot_record: int | None = None
        self.pen_change: PenInfo | None = None
        self.level_dbfs = -90.0
        self.speaking = False
        self._pending: tuple[Transcript, np.ndarray | None] | None = None
        self._record_visitor: dict[int, int] = {}
        self._plot_faults: Counter[int] = Counter()
        self._stop = threading.Event()
        self._listen_stop = threading.Event()
        self._pen_confirmed = threading.Event()
        self._drawing_busy = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.RLock()
        self._status_server: StatusServer | None = None
        self._last_status = self._last_disk = 0.0
        self._write_failed = False  # a write failed for want of space; cleared by a probe write
        self._last_retention = -_RETENTION_EVERY_S

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def keyboard_mode(self) -> bool:
        return self.microphone is None

    def start(self, status_page: bool = True) -> Show:
        """Start the workers (and the status page when show.status_port is set)."""
        workers: list[tuple[str, Callable[[], None]]] = [
            ("drawing", self._drawing_worker),
            ("housekeeping", self._housekeeping_worker),
        ]
        if self.plotter is not None:
            workers.append(("plotting", self._plotting_worker))
        if self.config.show.analyse:
            workers.append(("analysis", self._analysis_worker))
        for name, target in workers:
            thread = threading.Thread(target=self._guarded(name, target), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        if status_page and self.config.show.status_port:
            try:
                self._status_server = StatusServer(
                    self.status, self.config.show.status_host, self.config.show.status_port
                ).start()
            except OSError as exc:
                log.warning(
                    "status page not started on port %d: %s", self.config.show.status_port, exc
                )
        self._check_disk()
        self.write_status()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking dreams, let workers finish their current step, keep queued plots on disk."""
        self._stop.set()
        self._listen_stop.set()
        self._pen_confirmed.set()
        if self.plotter is not None:
            self.plotter.abort()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        if self._status_server is not None:
            self._status_server.stop()
        self.write_status(running=False)
        if self._own_archive:
            self.archive.close()

    def _guarded(self, name: str, target: Callable[[], None]) -> Callable[[], None]:
        """A worker that logs and restarts its loop on any unexpected error instead of dying."""

        def run() -> None:
            while not self._stop.is_set():
                try:
                    target()
                    return
                except Exception as exc:
                    self.faults.report(
                        f"{name}_failed",
                        f"the {name} worker failed and restarts: {exc!r}",
                        severity="error",
                        active=False,
                    )
                    log.exception("%s worker failed", name)
                    time.sleep(0.5)

        return run

    # -- the visitor -----------------------------------------------------------------------
    @property
    def screen(self) -> Screen:
        return self.journey.screen

    @property
    def state(self) -> State:
        return self.journey.state

    def can_take_dream(self) -> bool:
        """A new visitor may start: no blocking fault, the drawing queue has room."""
        return (
            self.state in (State.ATTRACT, State.PLOTTING, State.DONE)
            and not self.draw_queue.full()
            and not self._stop.is_set()
        )

    def listen(self, source: AudioSource | None = None) -> bool:
        """A visitor starts speaking (talk key, or voice in automatic mode); False if not now.

        `source` overrides the microphone for this capture (tests, a WAV for the demo).
        In keyboard mode the kiosk then waits for type_dream().
        """
        if not self.can_take_dream():
            return False
        if not self.journey.fire(Event.LISTEN, expect=(State.ATTRACT, State.PLOTTING, State.DONE)):
            return False
        self._start_capture(source)
        return True

    def press_talk(self) -> bool:
        """The talk key went down: start listening (push-to-talk) if a visitor may start."""
        self.push_to_talk.reset()
        self.push_to_talk.press()
        if self.state is State.LISTENING:
            return True
        return self.listen()

    def release_talk(self) -> None:
        """The talk key came up: the capture ends and is transcribed."""
        self.push_to_talk.release()

    def speak_again(self) -> bool:
        """On the confirm screen: throw the transcript away and listen again."""
        if not self.journey.fire(Event.SPEAK_AGAIN, expect=State.CONFIRM):
            return False
        self._start_capture(None)
        return True

    def type_dream(self, text: str) -> bool:
        """The visitor typed (or corrected) the dream; it goes to the confirm screen."""
        text = clean_dream(text, self.config.kiosk.max_dream_chars)
        if not text:
            return False
        if self.state in (State.ATTRACT, State.PLOTTING, State.DONE) and not self.can_take_dream():
            return False
        self._listen_stop.set()
        transcript = Transcript(text=text, language=None, english=text, engine="keyboard")
        with self._lock:
            self._pending = (transcript, None)
        return self.journey.fire(
            Event.TYPED,
            dream=text,
            expect=(State.ATTRACT, State.LISTENING, State.CONFIRM, State.PLOTTING, State.DONE),
        )

    def accept(self) -> bool:
        """Confirm the dream: moderation, then the drawing queue."""
        screen = self.screen
        if screen.state is not State.CONFIRM:
            return False
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is None:
            return False
        transcript, audio = pending
        blocked = self.words.blocked_by(f"{transcript.text} {transcript.english or ''}")
        if blocked is not None:
            self._moderate(transcript)
            return self.journey.fire(
                Event.MODERATED, message=self.config.moderation.message, expect=State.CONFIRM
            )
        dream = Dream(screen.visitor, transcript.text, transcript.prompt, transcript, audio)
        self.draw_progress = None
        if not self.journey.fire(Event.ACCEPT, expect=State.CONFIRM, visitor=screen.visitor):
            return False
        self.counters["accepted"] += 1
        self.draw_queue.put_nowait(dream)  # room was checked when the visitor began
        self._note_queue("draw", self.draw_queue.qsize())
        return True

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Wait until condition() holds; False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def confirm_pen_change(self) -> None:
        """The attendant has put in the pen the plotter asked for."""
        self._pen_confirmed.set()

    def tick(self, now: float | None = None) -> None:
        """Run the timers: confirm and done screens, the disk check, status, retention."""
        now = time.monotonic() if now is None else now
        screen = self.screen
        age = now - screen.since
        if screen.state is State.CONFIRM and age >= self.config.kiosk.confirm_s:
            self.accept()
        elif screen.state is State.DONE and age >= self.config.kiosk.done_s:
            self.journey.fire(Event.TIMEOUT, expect=State.DONE, visitor=screen.visitor)
        elif screen.state is State.LISTENING and self.keyboard_mode and age >= _TYPING_TIMEOUT_S:
            self.journey.fire(Event.TIMEOUT, expect=State.LISTENING, visitor=screen.visitor)
        if now - self._last_disk >= _DISK_EVERY_S:
            self._last_disk = now
            self._check_disk()
        if now - self._last_retention >= _RETENTION_EVERY_S:
            self._last_retention = now
            try:
                deleted = sweep_retention(self.archive, self.config.consent.retention_days)
                if deleted:
                    self.counters["deleted_by_retention"] += deleted
            except ArchiveError as exc:
                self.faults.report("archive_error", f"retention sweep failed: {exc}", active=False)
        if now - self._last_status >= _STATUS_EVERY_S:
            self._last_status = now
            self.write_status()

    def _housekeeping_worker(self) -> None:
        while not self._stop.wait(_TICK_S):
            self.tick()

    # -- speech ----------------------------------------------------------------------------
    def _start_capture(self, source: AudioSource | None) -> None:
        if source is None:
            if self.microphone is None:
                return  # keyboard mode: the kiosk waits for type_dream()
            try:
                source = self.microphone()
            except Exception as exc:  # unplugged since the show started
                self.microphone = None
                self.faults.report(
                    "no_microphone", f"the microphone is gone ({exc}): keyboard mode"
                )
                return
        self._listen_stop = threading.Event()
        visitor = self.screen.visitor
        thread = threading.Thread(
            target=self._capture_and_transcribe,
            args=(source, visitor, self._listen_stop),
            name=f"speech-{visitor}",
            daemon=True,
        )
        thread.start()

    def _on_level(self, dbfs: float, speaking: bool) -> None:
        self.level_dbfs, self.speaking = dbfs, speaking

    def _capture_and_transcribe(
        self, source: AudioSource, visitor: int, stop: threading.Event
    ) -> None:
        settings = self.config.speech
        ptt = self.push_to_talk if settings.mode == "push-to-talk" else None
        try:
            try:
                capture = capture_dream(
                    source, settings, push_to_talk=ptt, level_callback=self._on_level, stop=stop
                )
            finally:
                source.stop()
            if stop.is_set():
                return
            if not capture.heard:
                self.counters["nothing_heard"] += 1
                self.journey.fire(
                    Event.NOTHING_HEARD,
                    message="Sorry, I did not hear a dream. Would you try again, a little closer?",
                    expect=State.LISTENING,
                    visitor=visitor,
                )
                return
            if not self.journey.fire(Event.HEARD, expect=State.LISTENING, visitor=visitor):
                return
            if self.speech_engine is None:
                raise RuntimeError("no speech engine loaded")
            transcript = transcribe(
                capture.audio, self.speech_engine, settings, truncated=capture.truncated
            )
        except Exception as exc:
            self.faults.report("speech_failed", f"listening failed: {exc}", active=False)
            self.journey.fire(
                Event.NOTHING_HEARD,
                message="Sorry, I could not listen just now. Would you try again?",
                expect=(State.LISTENING, State.TRANSCRIBING),
                visitor=visitor,
            )
            return
        if transcript.nothing_heard:
            self.counters["nothing_heard"] += 1
            self.journey.fire(
                Event.NOTHING_HEARD,
                message="Sorry, I did not catch a dream. Would you try again?",
                expect=State.TRANSCRIBING,
                visitor=visitor,
            )
            return
        text = clean_dream(transcript.text, self.config.kiosk.max_dream_chars)
        with self._lock:
            self._pending = (transcript, capture.audio)
        self.journey.fire(Event.TRANSCRIBED, dream=text, expect=State.TRANSCRIBING, visitor=visitor)

    # -- moderation and archiving --------------------------------------------------------------
    def _consent(self) -> Consent:
        c = self.config.consent
        return Consent(public=c.public, research=c.research, audio=c.store_audio)

    def _moderate(self, transcript: Transcript) -> None:
        self.counters["moderated"] += 1
        log.info("a dream was blocked by the moderation word list")
        if self.config.moderation.blocked != "archive_hidden":
            return
        try:
            record = self.archive.add(
                transcript=transcript,
                drawing={},
                venue=self.config.venue.name,
                consent=self._consent(),
                plot_status="skipped",
            )
            self.archive.hide(record.id, actor="moderation")  # type: ignore[arg-type]
        except (ArchiveError, OSError) as exc:
            self._archive_failed(exc)

    def _archive_pair(self, dream: Dream, drawing: Drawing, plot_status: str) -> Record:
        with tempfile.TemporaryDirectory(dir=self.data_dir) as tmp:
            png_path = Path(tmp) / "drawing.png"
            drawing.to_png(png_path, 800)
            png = png_path.read_bytes()
        keep_audio = self.config.consent.store_audio and dream.audio is not None
        record = self.archive.add(
            transcript=dream.transcript,
            drawing=drawing,
            svg=drawing.to_svg(),
            png=png,
            audio=_wav_bytes(dream.audio) if keep_audio else None,  # type: ignore[arg-type]
            venue=self.config.venue.name,
            consent=self._consent(),
            plot_status=plot_status,
        )
        self.counters["archived"] += 1
        return record

    def _archive_failed(self, exc: BaseException) -> None:
        if _is_disk_full(exc):
            self._disk_full(f"the archive could not write: {exc}")
        else:
            self.faults.report("archive_error", f"archiving failed: {exc}", severity="error")

    # -- drawing ---------------------------------------------------------------------------
    def _note_queue(self, name: str, size: int) -> None:
        self.most_queued[name] = max(self.most_queued[name], size)

    def _drawing_worker(self) -> None:
        while not self._stop.is_set():
            try:
                dream = self.draw_queue.get(timeout=0.2)
            except queue.Empty:
                continue
            self._draw_one(dream)

    def _draw_one(self, dream: Dream) -> None:
        def progress(p: DrawProgress) -> None:
            self.draw_progress = p

        self._drawing_busy.set()
        try:
            drawing, note = self.drawing.draw(dream.prompt, progress)
        except Exception as exc:
            self.counters["draw_failed"] += 1
            self.faults.report("drawing_failed", f"drawing failed: {exc}", "error", active=False)
            self.journey.fire(
                Event.DRAW_FAILED,
                message="Sorry, the robot could not draw this dream. Would you tell it again?",
                expect=State.DRAWING,
                visitor=dream.visitor,
            )
            return
        finally:
            self._drawing_busy.clear()
        plotting = self.plotter is not None and len(self.plot_queue) < self.plot_queue.capacity
        if not plotting:
            self.counters["plot_skipped"] += 1
        if self.plotter is not None and not plotting:
            self.faults.report(
                "plot_queue_full",
                f"{self.plot_queue.capacity} drawings already wait for the plotter; "
                "this one is archived but not plotted",
                active=False,
            )
        try:
            record = self._archive_pair(dream, drawing, "pending" if plotting else "skipped")
        except (ArchiveError, OSError) as exc:
            self._archive_failed(exc)
            self.journey.fire(
                Event.DRAW_FAILED,
                message="Sorry, the robot could not keep this drawing.",
                expect=State.DRAWING,
                visitor=dream.visitor,
            )
            return
        assert record.id is not None
        self._record_visitor[record.id] = dream.visitor
        # The visitor sees the plotting screen before the plotter can report the plot done.
        self.journey.fire(Event.DRAWN, message=note, expect=State.DRAWING, visitor=dream.visitor)
        queued = self.plot_queue.put(record.id, drawing.to_svg(), dream.text) if plotting else None
        self._queue_analysis(record, drawing, dream)
        if queued is None:
            message = (
                "Your drawing is in the archive; the plotter is too busy to draw it today."
                if self.plotter is not None
                else "Your drawing is in the archive."
            )
            self.journey.fire(
                Event.PLOT_DEFERRED,
                message=f"{note} {message}".strip(),
                expect=State.PLOTTING,
                visitor=dream.visitor,
            )
        elif self.plotter is not None and self.plotter.state == "missing":
            self._defer_visitor(record.id)

    def _queue_analysis(self, record: Record, drawing: Drawing, dream: Dream) -> None:
        if not self.config.show.analyse:
            return
        try:
            self.analysis_queue.put_nowait((record, drawing, dream))
            self._note_queue("analysis", self.analysis_queue.qsize())
        except queue.Full:
            self.counters["analysis_skipped"] += 1
            log.warning("analysis queue full: record %s is left unanalysed", record.id)

    # -- plotting --------------------------------------------------------------------------
    def _defer_visitor(self, record_id: int) -> None:
        visitor = self._record_visitor.get(record_id)
        if visitor is not None:
            self.journey.fire(
                Event.PLOT_DEFERRED,
                message="The plotter is resting; your drawing will be plotted when it is back.",
                expect=State.PLOTTING,
                visitor=visitor,
            )

    def _plotting_worker(self) -> None:
        assert self.plotter is not None
        while not self._stop.is_set():
            entry = self.plot_queue.next(timeout=0.2)
            if entry is None:
                continue
            if not self._plot_one(entry):
                self._stop.wait(self.config.plot_queue.retry_s)

    def _plot_one(self, entry: PlotEntry) -> bool:
        """Plot one waiting drawing; False when the plotter is missing (retry later)."""
        assert self.plotter is not None
        try:
            self.archive.set_plot_status(entry.record_id, "plotting")
        except RecordNotFound:  # a curator deleted the pair meanwhile
            self.plot_queue.remove(entry)
            self.counters["plot_skipped"] += 1
            return True
        except (ArchiveError, OSError) as exc:
            self._archive_failed(exc)
            return False
        self.plot_record = entry.record_id
        self.plot_progress = None
        resuming = entry.job_path.is_file()
        try:
            toolpath, result = self.plotter.plot(
                entry.svg_path,
                entry.job_path,
                on_progress=self._on_plot_progress,
                on_pen_change=self._on_pen_change
                if self.config.plot_queue.ask_pen_change
                else None,
                on_fault=lambda message: self._on_plot_fault(entry.record_id, message),
            )
        except PlotterError as exc:
            self.plot_record = None
            self._plot_faults[entry.record_id] += 1
            kind = "plotter_lost" if entry.job_path.is_file() else "no_plotter"
            self.faults.report(kind, f"{exc}", record=entry.record_id)
            self.archive.set_plot_status(entry.record_id, "pending", f"waiting: {exc}")
            self._defer_visitor(entry.record_id)
            return False
        self.plot_record = None
        self.faults.clear("no_plotter")
        self.faults.clear("plotter_lost")
        if not result.completed:  # aborted: the show is closing; the job file resumes it
            self.archive.set_plot_status(entry.record_id, "pending", "interrupted: show closed")
            return True
        trace = self.plotter.trace_of(entry.job_path)
        self.archive.set_plot_status(
            entry.record_id,
            "plotted",
            f"plotted {result.strokes_total} strokes in {result.elapsed_s:.1f} s"
            + (", resumed" if resuming else "")
            + (f", {len(result.restarts)} strokes redrawn after faults" if result.restarts else ""),
        )
        self.plot_queue.remove(entry)
        self.counters["plotted"] += 1
        faults = self._plot_faults.pop(entry.record_id, 0)
        self.plotted.append(PlotOutcome(entry.record_id, toolpath, result, trace, faults))
        visitor = self._record_visitor.pop(entry.record_id, None)
        if visitor is not None:
            self.journey.fire(Event.PLOTTED, expect=State.PLOTTING, visitor=visitor)
        return True

    def _on_plot_fault(self, record_id: int, message: str) -> None:
        self._plot_faults[record_id] += 1
        self.faults.report("plotter_lost", message, active=False, record=record_id)

    def _on_plot_progress(self, progress: Progress) -> None:
        self.plot_progress = progress

    def _on_pen_change(self, pen: PenInfo) -> None:
        self.pen_change = pen
        self.faults.report("pen_change", f"put in {pen.label()} ({pen.color}); then press F2")
        self._pen_confirmed.clear()
        while not self._pen_confirmed.wait(0.2) and not self._stop.is_set():
            pass
        self.pen_change = None
        self.faults.clear("pen_change")

    # -- analysis --------------------------------------------------------------------------
    def _analysis_worker(self) -> None:
        while not self._stop.is_set():
            try:
                record, drawing, dream = self.analysis_queue.get(timeout=0.2)
            except queue.Empty:
                continue
            while self._drawing_busy.is_set() and not self._stop.is_set():
                time.sleep(0.05)  # a visitor is watching a drawing: it has the processor first
            self._analyse_one(record, drawing, dream)

    def _analyse_one(self, record: Record, drawing: Drawing, dream: Dream) -> None:
        assert record.id is not None
        try:
            analyse_and_store(
                self.archive,
                record.id,
                drawing,
                dream.transcript,
                analysis_clip(self.config.analysis, self.config.drawing, self.drawing.clip),
                self.config.analysis,
                self.data_dir,
            )
            self.counters["analysed"] += 1
        except RecordNotFound:  # a curator deleted the pair meanwhile
            self.counters["analysis_skipped"] += 1
        except Exception as exc:
            self.counters["analysis_failed"] += 1
            if _is_disk_full(exc):
                self._disk_full(f"the analysis could not be stored: {exc}")
            self.faults.report(
                "analysis_failed", f"record {record.id}: {exc}", active=False, record=record.id
            )

    # -- faults, status --------------------------------------------------------------------
    def _disk_full(self, message: str, *, write_failed: bool = True) -> None:
        self._write_failed |= write_failed
        self.faults.report("disk_full", message, "error")
        self.journey.fire(
            Event.FAULT,
            message="The robot is resting for a moment. Please ask a member of staff.",
        )

    def _check_disk(self) -> None:
        try:
            free_mb = shutil.disk_usage(self.data_dir).free / 1e6
        except OSError:
            return
        low = free_mb < self.config.show.min_free_mb
        if self._write_failed and not low:
            # A write failed for want of space: reopen only once a real write succeeds.
            low = not self._room_to_write()
            self._write_failed = low
        if low and not self.faults.is_active("disk_full"):
            self._disk_full(
                f"only {free_mb:.0f} MB free on the data disk ({self.data_dir}); the show takes "
                f"no dreams below show.min_free_mb = {self.config.show.min_free_mb:g} MB. "
                "Free space (or move data_dir), and the show resumes by itself.",
                write_failed=False,
            )
        elif not low and self.faults.clear("disk_full"):
            self.journey.fire(Event.RECOVERED, expect=State.FAULT)
        elif low and self.state is not State.FAULT:
            self.journey.fire(Event.FAULT, message="The robot is resting for a moment.")

    def _room_to_write(self) -> bool:
        """Whether a drawing's worth of data (_PROBE_BYTES) can be written to the data disk."""
        probe = self.data_dir / ".space-probe"
        try:
            with open(probe, "wb") as out:
                out.write(bytes(_PROBE_BYTES))
                out.flush()
                os.fsync(out.fileno())
            return True
        except OSError:
            return False
        finally:
            probe.unlink(missing_ok=True)

    def _on_transition(self, screen: Screen, event: Event) -> None:
        if event in (Event.FAULT, Event.RECOVERED, Event.ACCEPT, Event.DRAWN):
            self.write_status()

    def status(self) -> dict[str, Any]:
        """Everything the technician needs, as JSON-ready data (the status page and file)."""
        screen = self.screen
        progress = self.plot_progress
        plot_state = self.plotter.state if self.plotter is not None else "disabled"
        return {
            "running": not self._stop.is_set(),
            "heartbeat": time.time(),
            "venue": self.config.venue.name,
            "state": screen.state.value,
            "visitor": screen.visitor,
            "message": screen.message,
            "keyboard_mode": self.keyboard_mode,
            "drawing_device": str(self.drawing.clip.device),
            "queues": {
                "draw": {
                    "size": self.draw_queue.qsize(),
                    "bound": self.draw_queue.maxsize,
                    "most": self.most_queued["draw"],
                },
                "plot": {
                    "size": len(self.plot_queue),
                    "bound": self.plot_queue.capacity,
                    "most": self.plot_queue.most_waiting,
                },
                "analysis": {
                    "size": self.analysis_queue.qsize(),
                    "bound": self.analysis_queue.maxsize,
                    "most": self.most_queued["analysis"],
                },
            },
            "plotter": {
                "state": plot_state,
                "record": self.plot_record,
                "fraction": progress.fraction if progress and self.plot_record else 0.0,
                "remaining_s": progress.remaining_s if progress and self.plot_record else None,
                "pen_change": self.pen_change.label() if self.pen_change else None,
            },
            "faults": [dataclasses.asdict(f) for f in self.faults.snapshot()],
            "fault_counts": dict(self.faults.counts),
            "counters": dict(self.counters),
        }

    def write_status(self, running: bool | None = None) -> None:
        status = self.status()
        if running is not None:
            status["running"] = running
        write_status(self.data_dir, status)
