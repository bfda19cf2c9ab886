"""The show: the visitor's journey, and the stages (capture, drawing, plotting, analysis) behind it."""

from __future__ import annotations

import io
import logging
import tempfile
import threading
import time
import wave
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from dreamdraw.archive import Archive, ArchiveError, Consent, Record
from dreamdraw.archive import open_archive as _open_archive
from dreamdraw.drawing import ClipModel, Drawing
from dreamdraw.installation.analysis_stage import AnalysisStage
from dreamdraw.installation.capture_stage import CaptureStage
from dreamdraw.installation.disk_watch import DiskWatch, is_disk_full
from dreamdraw.installation.drawing_stage import DrawFunction, DrawingStage
from dreamdraw.installation.dream import Dream, clean_dream
from dreamdraw.installation.faults import FaultLog
from dreamdraw.installation.moderation import WordList
from dreamdraw.installation.plot_queue import PlotQueue
from dreamdraw.installation.plotting import PlotterStation
from dreamdraw.installation.plotting_stage import PlotOutcome, PlottingStage
from dreamdraw.installation.retention import sweep_retention
from dreamdraw.installation.sections import Config
from dreamdraw.installation.snapshot import QueueStatus, ShowSnapshot
from dreamdraw.installation.stage import Stage
from dreamdraw.installation.states import Event, Journey, Screen, State
from dreamdraw.installation.status import StatusServer, write_status
from dreamdraw.speech import SAMPLE_RATE, AudioSource, Engine, Transcript

__all__ = ["Dream", "PlotOutcome", "Show", "clean_dream"]

log = logging.getLogger("dreamdraw.show")

_TICK_S = 0.1
_STATUS_EVERY_S = 1.0
_DISK_EVERY_S = 2.0
_RETENTION_EVERY_S = 24 * 3600.0
_TYPING_TIMEOUT_S = 120.0  # keyboard mode: a visitor who walks away mid-sentence
_STARTS_JOURNEY = (State.ATTRACT, State.PLOTTING, State.DONE)


def _wav_bytes(audio: np.ndarray) -> bytes:
    """(n,) float32 at 16 kHz as a 16-bit mono WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


class Show:
    """The installation running: one visitor at the kiosk, stages behind it.

    The kiosk (or a test) calls listen / press_talk / release_talk / type_dream / accept /
    speak_again, and tick() runs the timers; it reads what to show from snapshot(). The
    stages each own their worker and queue: capture (speech, one thread per visitor),
    drawing, plotting (a persisted queue; None without a plotter) and analysis (background,
    yields to drawing; None when off). `microphone` makes an AudioSource per visitor; None
    means keyboard mode.
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
        self.counters: Counter[str] = Counter()
        self.words = WordList(config.moderation.words)
        self._stopping = threading.Event()
        self._lock = threading.RLock()
        self._pending: tuple[Transcript, np.ndarray | None] | None = None
        # Visitors whose drawing waits for the plotter, by record id; each leaves when plotted.
        self._waiting_visitor: dict[int, int] = {}

        if microphone is None and not config.show.keyboard_only:
            self.faults.report("no_microphone", "no microphone: visitors type their dreams")
        self.capture = CaptureStage(
            config.speech,
            speech_engine,
            None if config.show.keyboard_only else microphone,
            self.journey,
            self.faults,
            self.counters,
            self._on_transcribed,
        )
        self.drawing = DrawingStage(
            config.drawing,
            config.show,
            clip,
            self.faults,
            **({"draw_fn": draw_fn} if draw_fn is not None else {}),
            stopping=self._stopping,
            on_drawn=self._on_drawn,
            on_failed=self._on_draw_failed,
        )
        self.plot_queue = PlotQueue(self.data_dir / "plot-queue", config.plot_queue.max_waiting)
        self.plotter = plotter if config.plot_queue.enabled else None
        self.plotting = (
            PlottingStage(
                self.plotter,
                self.plot_queue,
                config.plot_queue,
                self.archive,
                self.faults,
                self._stopping,
                self.counters,
                on_plotted=self._on_plotted,
                on_waiting=self._on_plot_waiting,
                on_archive_failed=self._archive_failed,
            )
            if self.plotter is not None
            else None
        )
        self.analysis = (
            AnalysisStage(
                config.analysis,
                self.drawing,
                self.archive,
                self.data_dir,
                self.faults,
                self._stopping,
                self.counters,
                on_disk_full=self._disk_full,
                maxsize=config.show.analysis_queue_size,
            )
            if config.show.analyse
            else None
        )
        self.disk = DiskWatch(self.data_dir, config.show, self.faults)
        self._stages: list[Stage] = [
            s for s in (self.drawing, self.plotting, self.analysis) if s is not None
        ]
        self._housekeeping: threading.Thread | None = None
        self._status_server: StatusServer | None = None
        self._last_status = self._last_disk = 0.0
        self._last_retention = -_RETENTION_EVERY_S

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def keyboard_mode(self) -> bool:
        return self.capture.keyboard_mode

    def start(self, status_page: bool = True) -> Show:
        """Start the stages' workers (and the status page when show.status_port is set)."""
        for stage in self._stages:
            stage.start()
        self._housekeeping = threading.Thread(
            target=self._housekeeping_worker, name="housekeeping", daemon=True
        )
        self._housekeeping.start()
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
        self._stopping.set()
        self.capture.cancel()
        if self.plotting is not None:
            self.plotting.abort()
        for stage in self._stages:
            stage.join(timeout)
        if self._housekeeping is not None:
            self._housekeeping.join(timeout)
            self._housekeeping = None
        if self._status_server is not None:
            self._status_server.stop()
        self.write_status(running=False)
        if self._own_archive:
            self.archive.close()

    # -- what the kiosk and the status page read ---------------------------------------------
    @property
    def screen(self) -> Screen:
        return self.journey.screen

    @property
    def state(self) -> State:
        return self.journey.state

    def snapshot(self) -> ShowSnapshot:
        """The show now, as one immutable value."""
        plotting = self.plotting
        return ShowSnapshot(
            running=not self._stopping.is_set(),
            venue=self.config.venue.name,
            screen=self.screen,
            keyboard_mode=self.keyboard_mode,
            can_take_dream=self.can_take_dream(),
            level_dbfs=self.capture.level_dbfs,
            speaking=self.capture.speaking,
            drawing_device=str(self.drawing.clip.device),
            draw_progress=self.drawing.progress,
            plotter_state=self.plotter.state if self.plotter is not None else "disabled",
            plot_record=plotting.record if plotting else None,
            plot_progress=plotting.progress if plotting else None,
            pen_change=plotting.pen_change if plotting else None,
            draw_queue=QueueStatus(**self.drawing.queue_status()),
            plot_queue=QueueStatus(
                len(self.plot_queue), self.plot_queue.capacity, self.plot_queue.most_waiting
            ),
            analysis_queue=QueueStatus(
                **(
                    self.analysis.queue_status()
                    if self.analysis is not None
                    else {"size": 0, "bound": self.config.show.analysis_queue_size, "most": 0}
                )
            ),
            faults=tuple(self.faults.snapshot()),
            fault_counts=dict(self.faults.counts),
            counters=dict(self.counters),
            last_drawing=self.drawing.finished[-1] if self.drawing.finished else None,
            finished=tuple(self.drawing.finished) if self.config.consent.public else (),
            notes=self._notes(),
        )

    def _notes(self) -> tuple[str, ...]:
        """What visitors must be told about how the robot works today: the degraded modes."""
        # (A test or toy model is named by the kiosk from the config, see kiosk._footer.)
        notes = []
        if self.drawing.clip.device.type == "cpu" and (
            self.faults.is_active("no_gpu") or self.faults.is_active("gpu_out_of_memory")
        ):
            notes.append("The robot draws more slowly today, with fewer strokes.")
        if self.faults.is_active("no_microphone"):
            notes.append("No microphone today: please type your dream.")
        if self.plotter is not None and self.plotter.state == "missing":
            notes.append("The plotter is resting: drawings are kept and plotted when it is back.")
        return tuple(notes)

    def status(self) -> dict:
        """Everything the technician needs, as JSON-ready data (the status page and file)."""
        return self.snapshot().status(heartbeat=time.time())

    def write_status(self, running: bool | None = None) -> None:
        status = self.status()
        if running is not None:
            status["running"] = running
        write_status(self.data_dir, status)

    # -- the visitor -----------------------------------------------------------------------
    def can_take_dream(self) -> bool:
        """A new visitor may start: no blocking fault, the drawing queue has room."""
        return (
            self.state in _STARTS_JOURNEY
            and not self.drawing.queue.full()
            and not self._stopping.is_set()
        )

    def listen(self, source: AudioSource | None = None) -> bool:
        """A visitor starts speaking (talk key, or voice in automatic mode); False if not now.

        `source` overrides the microphone for this capture (tests, a WAV for the demo).
        In keyboard mode the kiosk then waits for type_dream().
        """
        if not self.can_take_dream():
            return False
        if not self.journey.fire(Event.LISTEN, expect=_STARTS_JOURNEY):
            return False
        self.capture.start(source, self.screen.visitor)
        return True

    def press_talk(self) -> bool:
        """The talk key went down: start listening (push-to-talk) if a visitor may start."""
        self.capture.push_to_talk.reset()
        self.capture.push_to_talk.press()
        if self.state is State.LISTENING:
            return True
        return self.listen()

    def release_talk(self) -> None:
        """The talk key came up: the capture ends and is transcribed."""
        self.capture.push_to_talk.release()

    def speak_again(self) -> bool:
        """On the confirm screen: throw the transcript away and listen again."""
        if not self.journey.fire(Event.SPEAK_AGAIN, expect=State.CONFIRM):
            return False
        self.capture.start(None, self.screen.visitor)
        return True

    def type_dream(self, text: str) -> bool:
        """The visitor typed (or corrected) the dream; it goes to the confirm screen."""
        text = clean_dream(text, self.config.kiosk.max_dream_chars)
        if not text:
            return False
        if self.state in _STARTS_JOURNEY and not self.can_take_dream():
            return False
        self.capture.cancel()
        transcript = Transcript(text=text, language=None, english=text, engine="keyboard")
        with self._lock:
            self._pending = (transcript, None)
        return self.journey.fire(
            Event.TYPED,
            dream=text,
            expect=(State.LISTENING, State.CONFIRM, *_STARTS_JOURNEY),
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
        if not self.journey.fire(Event.ACCEPT, expect=State.CONFIRM, visitor=screen.visitor):
            return False
        self.counters["accepted"] += 1
        self.drawing.offer(dream)  # room was checked when the visitor began
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
        if self.plotting is not None:
            self.plotting.confirm_pen_change()

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
        while not self._stopping.wait(_TICK_S):
            self.tick()

    # -- what the stages hand back ---------------------------------------------------------
    def _on_transcribed(
        self, visitor: int, transcript: Transcript, audio: np.ndarray | None
    ) -> None:
        text = clean_dream(transcript.text, self.config.kiosk.max_dream_chars)
        with self._lock:
            self._pending = (transcript, audio)
        self.journey.fire(Event.TRANSCRIBED, dream=text, expect=State.TRANSCRIBING, visitor=visitor)

    def _on_draw_failed(self, dream: Dream, exc: Exception) -> None:
        self.counters["draw_failed"] += 1
        self.journey.fire(
            Event.DRAW_FAILED,
            message="Sorry, the robot could not draw this dream. Would you tell it again?",
            expect=State.DRAWING,
            visitor=dream.visitor,
        )

    def _on_drawn(self, dream: Dream, drawing: Drawing, note: str) -> None:
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
        queued = self.plot_queue.put(record.id, drawing.to_svg(), dream.text) if plotting else None
        if queued is not None:
            self._waiting_visitor[record.id] = dream.visitor
        # The visitor sees the plotting screen before the plotter can report the plot done.
        self.journey.fire(Event.DRAWN, message=note, expect=State.DRAWING, visitor=dream.visitor)
        if self.analysis is not None and not self.analysis.offer(
            (record.id, drawing, dream.transcript)
        ):
            self.counters["analysis_skipped"] += 1
            log.warning("analysis queue full: record %s is left unanalysed", record.id)
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
            self._on_plot_waiting(record.id)

    def _on_plot_waiting(self, record_id: int) -> None:
        visitor = self._waiting_visitor.get(record_id)
        if visitor is not None:
            self.journey.fire(
                Event.PLOT_DEFERRED,
                message="The plotter is resting; your drawing will be plotted when it is back.",
                expect=State.PLOTTING,
                visitor=visitor,
            )

    def _on_plotted(self, record_id: int) -> None:
        visitor = self._waiting_visitor.pop(record_id, None)
        if visitor is not None:
            self.journey.fire(Event.PLOTTED, expect=State.PLOTTING, visitor=visitor)

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
        if is_disk_full(exc):
            self._disk_full(f"the archive could not write: {exc}")
        else:
            self.faults.report("archive_error", f"archiving failed: {exc}", severity="error")

    # -- the disk --------------------------------------------------------------------------
    def _disk_full(self, message: str) -> None:
        self.disk.write_failed(message)
        self.journey.fire(
            Event.FAULT,
            message="The robot is resting for a moment. Please ask a member of staff.",
        )

    def _check_disk(self) -> None:
        full = self.disk.check()
        if full is None:
            return
        if not full and self.faults.clear("disk_full"):
            self.journey.fire(Event.RECOVERED, expect=State.FAULT)
        elif full and self.state is not State.FAULT:
            self.journey.fire(Event.FAULT, message="The robot is resting for a moment.")

    def _on_transition(self, screen: Screen, event: Event) -> None:
        if event in (Event.FAULT, Event.RECOVERED, Event.ACCEPT, Event.DRAWN):
            self.write_status()
