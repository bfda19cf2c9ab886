"""The capture stage: one visitor's speech, from the microphone to a transcript, on its own thread."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import numpy as np
from dreamdraw.installation.faults import FaultLog
from dreamdraw.installation.states import Event, Journey, State
from dreamdraw.speech import AudioSource, Engine, PushToTalk, Transcript, capture_dream, transcribe
from dreamdraw.speech.room import RoomTracker
from dreamdraw.speech.settings import SpeechSettings

__all__ = ["CaptureStage", "Transcribed"]

# (visitor, transcript, audio): a dream was heard and written down.
Transcribed = Callable[[int, Transcript, np.ndarray | None], None]


class CaptureStage:
    """Listens to one visitor at a time; `microphone` makes a source per visitor (None: keyboard).

    Results reach the visitor's journey as events; a transcript goes to `on_transcribed`.
    """

    def __init__(
        self,
        settings: SpeechSettings,
        engine: Engine | None,
        microphone: Callable[[], AudioSource] | None,
        journey: Journey,
        faults: FaultLog,
        counters: Counter[str],
        on_transcribed: Transcribed,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.microphone = microphone
        self.journey = journey
        self.faults = faults
        self.counters = counters
        self.on_transcribed = on_transcribed
        self.push_to_talk = PushToTalk()
        # The room is learnt across visitors: what the microphone hears between dreams.
        self.room = RoomTracker(settings.room_dbfs)
        self.level_dbfs = -90.0
        self.speaking = False
        self._stop = threading.Event()

    @property
    def keyboard_mode(self) -> bool:
        return self.microphone is None

    def start(self, source: AudioSource | None, visitor: int) -> None:
        """Listen for `visitor` (from `source`, or a new microphone source) on a new thread."""
        if source is None:
            if self.microphone is None:
                return  # keyboard mode: the kiosk waits for the typed dream
            try:
                source = self.microphone()
            except Exception as exc:  # unplugged since the show started
                self.microphone = None
                self.faults.report(
                    "no_microphone", f"the microphone is gone ({exc}): keyboard mode"
                )
                return
        self._stop = threading.Event()
        threading.Thread(
            target=self._listen,
            args=(source, visitor, self._stop),
            name=f"speech-{visitor}",
            daemon=True,
        ).start()

    def cancel(self) -> None:
        """Stop the capture in progress (the visitor typed instead, or the show closes)."""
        self._stop.set()

    def _on_level(self, dbfs: float, speaking: bool) -> None:
        self.level_dbfs, self.speaking = dbfs, speaking

    def _nothing_heard(self, visitor: int, message: str, expect: State | tuple[State, ...]) -> None:
        self.journey.fire(Event.NOTHING_HEARD, message=message, expect=expect, visitor=visitor)

    def _listen(self, source: AudioSource, visitor: int, stop: threading.Event) -> None:
        settings = self.settings
        ptt = self.push_to_talk if settings.mode == "push-to-talk" else None
        try:
            try:
                capture = capture_dream(
                    source,
                    settings,
                    push_to_talk=ptt,
                    level_callback=self._on_level,
                    stop=stop,
                    room=self.room,
                )
            finally:
                source.stop()
            if stop.is_set():
                return
            if not capture.heard:
                self.counters["nothing_heard"] += 1
                self._nothing_heard(
                    visitor,
                    "Sorry, I did not hear a dream. Would you try again, a little closer?",
                    State.LISTENING,
                )
                return
            if not self.journey.fire(Event.HEARD, expect=State.LISTENING, visitor=visitor):
                return
            if self.engine is None:
                raise RuntimeError("no speech engine loaded")
            transcript = transcribe(
                capture.audio,
                self.engine,
                settings,
                truncated=capture.truncated,
                room_dbfs=capture.room_dbfs,
            )
        except Exception as exc:
            self.faults.report("speech_failed", f"listening failed: {exc}", active=False)
            self._nothing_heard(
                visitor,
                "Sorry, I could not listen just now. Would you try again?",
                (State.LISTENING, State.TRANSCRIBING),
            )
            return
        if transcript.nothing_heard:
            self.counters["nothing_heard"] += 1
            message = transcript.advice or "Sorry, I did not catch a dream. Would you try again?"
            self._nothing_heard(visitor, message, State.TRANSCRIBING)
            return
        self.on_transcribed(visitor, transcript, capture.audio)
