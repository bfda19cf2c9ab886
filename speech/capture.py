"""Capturing one dream from a source: push-to-talk or automatic voice activity."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from dreamdraw.speech.audio import SAMPLE_RATE, level_dbfs
from dreamdraw.speech.room import RoomTracker, SpeechBandMeter
from dreamdraw.speech.settings import SpeechSettings
from dreamdraw.speech.sources import AudioSource
from dreamdraw.speech.vad import FRAME_SAMPLES, VoiceActivity

__all__ = ["Capture", "LevelCallback", "PushToTalk", "capture_dream"]

FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
_HYSTERESIS = 0.15  # once speaking, a lower Silero probability still counts (as Silero does)
_ONSET_FRAMES = 2  # voiced frames in a row that start a dream: single clicks do not
_TAIL_S = 0.3  # silence kept after the last voiced frame

# Called for every 32 ms frame with its level (dBFS) and whether the visitor is speaking.
LevelCallback = Callable[[float, bool], None]


@dataclass
class Capture:
    """What one capture recorded: (n,) float32 audio at 16 kHz, possibly empty, and why it ended.

    speech_end is the time.monotonic() at which the last speech arrived (or the button was
    released), for measuring the delay until the text is ready. room_dbfs is the room's
    speech-band level (dBFS) heard before the dream began, None when it was not known.
    """

    audio: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    reason: str = ""
    truncated: bool = False
    speech_end: float | None = None
    room_dbfs: float | None = None

    @property
    def duration_s(self) -> float:
        return len(self.audio) / SAMPLE_RATE

    @property
    def heard(self) -> bool:
        """True when something was recorded that may be a dream."""
        return self.audio.size > 0


class PushToTalk:
    """The talk button: the kiosk or a key handler calls press() and release() from any thread."""

    def __init__(self) -> None:
        self._pressed = threading.Event()
        self._released = threading.Event()

    def press(self) -> None:
        self._released.clear()
        self._pressed.set()

    def release(self) -> None:
        if self._pressed.is_set():
            self._released.set()

    @property
    def pressed(self) -> bool:
        return self._pressed.is_set()

    @property
    def released(self) -> bool:
        return self._released.is_set()

    def reset(self) -> None:
        self._pressed.clear()
        self._released.clear()


def _frames(source: AudioSource, stop: threading.Event | None, poll_s: float):
    """Yield (512-sample frame, arrival time) until the stream ends or `stop` is set.

    Yields (None, time) when nothing arrived within poll_s, so callers can check timeouts.
    """
    pending = np.zeros(0, dtype=np.float32)
    while stop is None or not stop.is_set():
        block = source.read(timeout=poll_s)
        now = time.monotonic()
        if block is None:
            if pending.size:
                yield np.pad(pending, (0, FRAME_SAMPLES - pending.size)), now
            return
        if block.size == 0:
            yield None, now
            continue
        pending = np.concatenate([pending, block]) if pending.size else block
        whole = len(pending) // FRAME_SAMPLES * FRAME_SAMPLES
        for start in range(0, whole, FRAME_SAMPLES):
            yield pending[start : start + FRAME_SAMPLES], now
        pending = pending[whole:]


def capture_dream(
    source: AudioSource,
    settings: SpeechSettings | None = None,
    *,
    push_to_talk: PushToTalk | None = None,
    level_callback: LevelCallback | None = None,
    stop: threading.Event | None = None,
    on_pause: Callable[[np.ndarray], None] | None = None,
    room: RoomTracker | None = None,
) -> Capture:
    """Record one dream from a source (16 kHz float32 blocks), in settings.mode or push-to-talk.

    Automatic mode waits for voice (Silero VAD + energy gate), keeps pre_roll_s before it, and
    ends after trailing_silence_s of silence; speech shorter than min_length_s is ignored and
    listening goes on. Push-to-talk records while the button is held (a PushToTalk given here
    selects that mode). Both cut at max_length_s and mark the capture truncated. Setting `stop`
    ends the capture at once, with nothing recorded. In automatic mode, on_pause is called with
    the dream so far as soon as the visitor pauses: if the pause lasts, that is the capture, so
    a caller can start transcribing while the trailing silence runs out.

    Frames heard before the dream are the room: `room` (kept by the caller across visitors;
    default: a new one starting from settings.room_dbfs) learns its level from them. Once the
    room is known, only voice settings.room_margin_db above it starts or continues a dream, so
    chatter nearby neither starts one nor keeps one from ending.
    """
    settings = settings or SpeechSettings()
    room = room or RoomTracker(settings.room_dbfs)
    source.start()
    if push_to_talk is not None or settings.mode == "push-to-talk":
        return _capture_push_to_talk(
            source, settings, push_to_talk or PushToTalk(), level_callback, stop, room
        )
    return _capture_automatic(source, settings, level_callback, stop, on_pause, room)


def _capture_push_to_talk(
    source: AudioSource,
    settings: SpeechSettings,
    button: PushToTalk,
    level_callback: LevelCallback | None,
    stop: threading.Event | None,
    room: RoomTracker,
) -> Capture:
    max_frames = int(settings.max_length_s / FRAME_S)
    waited_since = time.monotonic()
    recorded: list[np.ndarray] = []
    meter = SpeechBandMeter()
    room_dbfs = room.level_dbfs
    for frame, now in _frames(source, stop, poll_s=0.05):
        if frame is not None:
            talking = button.pressed and not button.released
            if level_callback is not None:
                level_callback(level_dbfs(frame), talking)
            if button.pressed and not button.released:
                recorded.append(frame)
            elif not recorded:
                room.add(float(meter.levels(frame)[0]))
                room_dbfs = room.level_dbfs
        if button.released:
            if not recorded:
                return Capture(reason="too short (0.00 s)")
            return _finish(recorded, "released", settings, now, room_dbfs=room_dbfs)
        if len(recorded) >= max_frames:
            return _finish(recorded, "max length", settings, now, True, room_dbfs)
        if not recorded and _timed_out(settings, waited_since, now):
            return Capture(reason="timeout")
    if recorded:
        return _finish(recorded, "end of stream", settings, time.monotonic(), room_dbfs=room_dbfs)
    return Capture(reason="stopped" if stop is not None and stop.is_set() else "end of stream")


def _capture_automatic(
    source: AudioSource,
    settings: SpeechSettings,
    level_callback: LevelCallback | None,
    stop: threading.Event | None,
    on_pause: Callable[[np.ndarray], None] | None,
    room: RoomTracker,
) -> Capture:
    detector = VoiceActivity(settings.vad_threshold, settings.energy_gate_dbfs)
    meter = SpeechBandMeter()
    pre_roll: deque[np.ndarray] = deque(maxlen=max(1, round(settings.pre_roll_s / FRAME_S)))
    # Frames join the room only once they leave the pre-roll: Silero needs a few frames to
    # hear a voice, and a visitor's first syllables must not raise the room's level.
    waiting: deque[float] = deque(maxlen=pre_roll.maxlen)
    max_frames = int(settings.max_length_s / FRAME_S)
    trailing_frames = max(1, round(settings.trailing_silence_s / FRAME_S))
    tail_frames = round(_TAIL_S / FRAME_S)
    recorded: list[np.ndarray] = []
    onset = 0
    last_voiced = 0  # frames recorded up to and including the last voiced one
    speech_start = 0
    speech_end = 0.0
    waited_since = time.monotonic()
    for frame, now in _frames(source, stop, poll_s=0.1):
        if frame is None:
            if not recorded and _timed_out(settings, waited_since, now):
                return Capture(reason="timeout")
            continue
        (activity,) = detector.feed(frame)
        band_dbfs = float(meter.levels(frame)[0])
        room_dbfs = room.level_dbfs
        stands_out = room_dbfs is None or band_dbfs >= room_dbfs + settings.room_margin_db
        speaking = stands_out and (
            activity.voiced
            or (
                bool(recorded)
                and activity.probability >= settings.vad_threshold - _HYSTERESIS
                and activity.level_dbfs >= settings.energy_gate_dbfs
            )
        )
        if level_callback is not None:
            level_callback(activity.level_dbfs, speaking)
        if not recorded:
            if len(waiting) == waiting.maxlen:
                room.add(waiting[0])
            waiting.append(band_dbfs)
            pre_roll.append(frame)
            onset = onset + 1 if speaking else 0
            if onset >= _ONSET_FRAMES:
                recorded = list(pre_roll)
                speech_start = len(recorded) - onset
                last_voiced, speech_end = len(recorded), now
            elif _timed_out(settings, waited_since, now):
                return Capture(reason="timeout")
            continue
        recorded.append(frame)
        if speaking:
            last_voiced, speech_end = len(recorded), now
        if len(recorded) >= max_frames:
            return _finish(recorded, "max length", settings, now, True, room.level_dbfs)
        long_enough = (last_voiced - speech_start) * FRAME_S >= settings.min_length_s
        if on_pause is not None and long_enough and len(recorded) - last_voiced == tail_frames:
            on_pause(np.concatenate(recorded))
        if len(recorded) - last_voiced >= trailing_frames:
            if long_enough:
                kept = recorded[: last_voiced + tail_frames]
                return _finish(
                    kept, "trailing silence", settings, speech_end, room_dbfs=room.level_dbfs
                )
            # Too short to be a dream (a cough, a word to a friend): keep listening.
            recorded, onset = [], 0
            pre_roll.clear()
            waiting.clear()
            detector.reset()
    if recorded and (last_voiced - speech_start) * FRAME_S >= settings.min_length_s:
        kept = recorded[: last_voiced + tail_frames]
        return _finish(kept, "end of stream", settings, speech_end, room_dbfs=room.level_dbfs)
    return Capture(reason="stopped" if stop is not None and stop.is_set() else "end of stream")


def _timed_out(settings: SpeechSettings, since: float, now: float) -> bool:
    return settings.listen_timeout_s > 0 and now - since >= settings.listen_timeout_s


def _finish(
    frames: list[np.ndarray],
    reason: str,
    settings: SpeechSettings,
    speech_end: float,
    truncated: bool = False,
    room_dbfs: float | None = None,
) -> Capture:
    audio = np.concatenate(frames).astype(np.float32, copy=False)
    if reason != "max length" and len(audio) < settings.min_length_s * SAMPLE_RATE:
        return Capture(reason=f"too short ({len(audio) / SAMPLE_RATE:.2f} s)")
    return Capture(audio, reason, truncated, speech_end, room_dbfs)
