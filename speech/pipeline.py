"""From audio to a Transcript: guards, decoding, translation; and listen = capture + transcribe."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
from dreamdraw.speech.audio import SAMPLE_RATE, as_mono_16k, load_audio
from dreamdraw.speech.capture import Capture, LevelCallback, PushToTalk, capture_dream
from dreamdraw.speech.engine import DecodeOptions, Engine, Word
from dreamdraw.speech.guards import (
    ADVICE_NO_VOICE,
    ADVICE_OVER_ROOM,
    ADVICE_UNCLEAR,
    SpeechPresence,
    drop_reason,
    measure_speech,
    transcript_rejection,
    unsure_tail,
    words_after_voice,
)
from dreamdraw.speech.mixing import fade_edges
from dreamdraw.speech.room import RoomTracker, duck_room, subtract_room
from dreamdraw.speech.settings import SpeechSettings
from dreamdraw.speech.sources import AudioSource
from dreamdraw.speech.transcript import Segment, Transcript

__all__ = ["listen", "transcribe"]

log = logging.getLogger(__name__)

_PAD_BEFORE_S = 0.3  # audio kept around the voiced span handed to Whisper
_PAD_AFTER_S = 0.5
_FADE_S = 0.1  # the clip's edges fade in and out over this much of the padding (s)
_ROOM_FLOOR_DB = -20.0  # a known room is turned down this much where the visitor is not speaking


def transcribe(
    audio: np.ndarray | str | Path,
    engine: Engine,
    settings: SpeechSettings | None = None,
    *,
    sample_rate: int = SAMPLE_RATE,
    truncated: bool = False,
    room_dbfs: float | None = None,
) -> Transcript:
    """Transcribe one dream: (n,) or (n, channels) samples at sample_rate Hz, or a WAV/FLAC path.

    Audio past settings.max_length_s is cut (the Transcript says truncated). room_dbfs is the
    room's speech-band level (dBFS) measured just before (default: settings.room_dbfs); with
    it, only voice standing settings.room_margin_db above the room is the visitor's. Too little
    such voice, or a decode the guards reject, gives a "nothing heard" Transcript with a reason
    and the advice the kiosk shows, never a dream.
    """
    settings = settings or SpeechSettings()
    started = time.perf_counter()
    if isinstance(audio, (str, Path)):
        samples = load_audio(audio)
    else:
        samples = as_mono_16k(audio, sample_rate)
    max_samples = int(settings.max_length_s * SAMPLE_RATE)
    if len(samples) > max_samples:
        samples, truncated = samples[:max_samples], True
    duration_s = len(samples) / SAMPLE_RATE
    about = {"duration_s": duration_s, "engine": engine.name, "model": engine.model_id}

    room = settings.room_dbfs if room_dbfs is None else room_dbfs
    presence = measure_speech(samples, settings, room)
    if presence.voiced_s < settings.min_speech_s:
        over_room = presence.heard_s >= settings.min_speech_s
        return Transcript.nothing(
            f"voice {presence.heard_s:.2f} s, none of it {settings.room_margin_db:g} dB above "
            f"the room ({room:.1f} dBFS) for {settings.min_speech_s:.2f} s"
            if over_room
            else f"no voice ({presence.voiced_s:.2f} s voiced, {settings.min_speech_s:.2f} s needed)",
            advice=ADVICE_OVER_ROOM if over_room else ADVICE_NO_VOICE,
            truncated=truncated,
            processing_s=time.perf_counter() - started,
            **about,
        )

    if presence.stand_out_db is not None and presence.stand_out_db < settings.room_margin_db:
        # Its loudest moments stood out, the voice as a whole did not: over chatter, Whisper
        # guesses a sentence from the few syllables it hears (at 5 dB babble, "I wonder
        # what's going to happen today." for "My mother was planting yellow flowers...").
        return Transcript.nothing(
            f"the voice stands {presence.stand_out_db:.1f} dB above the room "
            f"({room:.1f} dBFS), {settings.room_margin_db:g} dB needed",
            advice=ADVICE_OVER_ROOM,
            truncated=truncated,
            processing_s=time.perf_counter() - started,
            **about,
        )

    offset = max(0, presence.first_sample - int(_PAD_BEFORE_S * SAMPLE_RATE))
    end = min(len(samples), presence.end_sample + int(_PAD_AFTER_S * SAMPLE_RATE))
    if room is not None and presence.frames is not None:
        if settings.subtract_room:
            samples = subtract_room(samples, presence.frames, presence.voice)
        samples = duck_room(samples, presence.frames, _ROOM_FLOOR_DB)
    # Fades stay within the padding: the visitor's first and last sounds keep their level.
    fade_in_s = min(_FADE_S, (presence.first_sample - offset) / SAMPLE_RATE)
    fade_out_s = min(_FADE_S, (end - presence.end_sample) / SAMPLE_RATE)
    clip = fade_edges(samples[offset:end], fade_in_s, fade_out_s)
    options = DecodeOptions.from_settings(settings)
    decoded = engine.decode(clip, options)
    shift, clip_s = offset / SAMPLE_RATE, len(clip) / SAMPLE_RATE
    # Segments starting past the audio are invented by the decoder.
    segments = [
        replace(s, start=s.start + shift, end=min(s.end, clip_s) + shift)
        for s in decoded.segments
        if s.start < clip_s
    ]
    words = [replace(w, start=w.start + shift, end=w.end + shift) for w in decoded.words]

    kept: list[Segment] = []
    reasons: list[str] = []
    for segment in segments:
        reason = drop_reason(segment, presence, settings)
        if reason:
            log.info("dropped segment %r: %s", segment.text, reason)
            reasons.append(reason)
        else:
            kept.append(segment)
    tail = unsure_tail(kept, settings)
    if tail:
        reasons += [f"unsure segment {s.text!r} after the dream" for s in kept[-tail:]]
        kept = kept[:-tail]
    text = " ".join(s.text for s in kept).strip()
    kept_words = [w for w in words if any(s.start <= w.start <= s.end for s in kept)]
    after = words_after_voice(kept_words, presence)
    if 0 < after < len(kept_words):
        cut = " ".join(w.text for w in kept_words[-after:])
        log.info("cut %d words after the voice ended: %r", after, cut)
        kept_words = kept_words[:-after]
        kept = _end_at(kept, kept_words)
        text = " ".join(s.text for s in kept).strip()
    rejection = transcript_rejection(text, kept_words, presence, settings) if text else ""
    if rejection:
        log.info("rejected transcript %r: %s", text, rejection)
        reasons.append(rejection)
    if not text or rejection:
        return Transcript.nothing(
            "; ".join(reasons) or "no words decoded",
            advice=_advice(presence, settings),
            truncated=truncated,
            language=decoded.language,
            segments=segments,
            processing_s=time.perf_counter() - started,
            **about,
        )

    language = decoded.language
    english: str | None = None
    if language == "en" or not engine.multilingual:
        english = text
    elif settings.translate:
        translation = engine.decode(clip, replace(options, language=language, task="translate"))
        english = (
            " ".join(
                s.text for s in translation.segments if not drop_reason(s, presence, settings)
            ).strip()
            or None
        )
    return Transcript(
        text=text,
        language=language,
        english=english,
        segments=kept,
        truncated=truncated,
        language_probability=decoded.language_probability,
        processing_s=time.perf_counter() - started,
        **about,
    )


def _end_at(segments: list[Segment], words: list[Word]) -> list[Segment]:
    """The segments cut after the last of `words` (all within them): the last one keeps its words."""
    last = words[-1]
    kept = [s for s in segments if s.start <= last.start]
    own = [w.text for w in words if w.start >= kept[-1].start]
    kept[-1] = replace(kept[-1], text=" ".join(own), end=max(kept[-1].start, last.end))
    return kept


def _advice(presence: SpeechPresence, settings: SpeechSettings) -> str:
    """What to tell a visitor whose words were rejected: the room drowned them, or they were unclear."""
    others_talking = presence.heard_s - presence.voiced_s >= settings.min_speech_s
    return ADVICE_OVER_ROOM if others_talking else ADVICE_UNCLEAR


def listen(
    source: AudioSource,
    engine: Engine,
    settings: SpeechSettings | None = None,
    *,
    push_to_talk: PushToTalk | None = None,
    level_callback: LevelCallback | None = None,
    stop: threading.Event | None = None,
    on_capture: Callable[[Capture], None] | None = None,
    room: RoomTracker | None = None,
) -> Transcript:
    """Capture one dream from a source and transcribe it; nothing captured is "nothing heard".

    In automatic mode, transcription starts as soon as the visitor pauses, while the trailing
    silence runs out; when the pause turns out to end the dream, that result is used.
    on_capture receives the recorded audio (for the archive, where consent allows) as soon
    as the capture ends. room keeps the room's level across visitors (default: learnt anew
    from what is heard before the dream, starting from settings.room_dbfs).
    """
    settings = settings or SpeechSettings()
    room = room or RoomTracker(settings.room_dbfs)
    automatic = push_to_talk is None and settings.mode == "auto"
    # One worker: a stale early decode and the final one take turns instead of sharing the CPU.
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="speech-decode")
    early: list[tuple[np.ndarray, Future[Transcript]]] = []

    def transcribe_early(audio: np.ndarray) -> None:
        for _, stale in early:
            stale.cancel()
        # The room is not learnt during a dream: its level now is the one the dream ends with.
        future = worker.submit(transcribe, audio, engine, settings, room_dbfs=room.level_dbfs)
        early.append((audio, future))

    try:
        capture = capture_dream(
            source,
            settings,
            push_to_talk=push_to_talk,
            level_callback=level_callback,
            stop=stop,
            on_pause=transcribe_early if automatic else None,
            room=room,
        )
        if on_capture is not None:
            on_capture(capture)
        if not capture.heard:
            return Transcript.nothing(
                capture.reason, advice=ADVICE_NO_VOICE, engine=engine.name, model=engine.model_id
            )
        if early and not capture.truncated and np.array_equal(early[-1][0], capture.audio):
            return early[-1][1].result()
        for _, stale in early:
            stale.cancel()
        final = worker.submit(
            transcribe,
            capture.audio,
            engine,
            settings,
            truncated=capture.truncated,
            room_dbfs=capture.room_dbfs,
        )
        return final.result()
    finally:
        worker.shutdown(wait=False, cancel_futures=True)
