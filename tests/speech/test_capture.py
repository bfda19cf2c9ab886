"""Capturing a dream from a stream: automatic voice activity and push-to-talk."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from dreamdraw.speech import (
    SAMPLE_RATE,
    ArraySource,
    Decoded,
    PushSource,
    PushToTalk,
    Segment,
    SpeechSettings,
    capture_dream,
    listen,
)
from dreamdraw.speech.wer import word_error_rate

from tests.speech.speech_helpers import (
    ScriptedEngine,
    cough,
    dream_audio,
    silence,
    white_noise,
)

WHALE = "I dreamed of a whale flying over a sleeping city."


def _stream(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate(parts).astype(np.float32)


def test_automatic_mode_cuts_the_dream_out_of_a_longer_stream():
    dream = dream_audio("whale_city.wav")
    stream = _stream(silence(2.0), white_noise(1.0, rms=0.003), dream, silence(3.0))
    capture = capture_dream(ArraySource(stream), SpeechSettings(trailing_silence_s=1.0))
    assert capture.reason == "trailing silence"
    assert not capture.truncated
    dream_s = len(dream) / SAMPLE_RATE
    # The dream, plus at most the pre-roll before it and a short tail after it.
    assert dream_s - 0.3 <= capture.duration_s <= dream_s + 0.4 + 0.5


def test_automatic_capture_transcribes_to_the_dream(tiny_en):
    stream = _stream(silence(1.5), dream_audio("whale_city.wav"), silence(2.0))
    transcript = listen(ArraySource(stream), tiny_en, SpeechSettings(trailing_silence_s=1.0))
    assert word_error_rate(WHALE, transcript.text) <= 0.25


def test_a_cough_before_the_dream_does_not_start_it():
    stream = _stream(silence(1.0), cough(), silence(2.0), dream_audio("red_door.wav"), silence(2))
    capture = capture_dream(ArraySource(stream), SpeechSettings(trailing_silence_s=1.0))
    assert capture.heard
    assert capture.duration_s < len(dream_audio("red_door.wav")) / SAMPLE_RATE + 0.9


def test_speech_shorter_than_the_minimum_is_ignored_and_listening_goes_on():
    dream = dream_audio("whale_city.wav")
    blip = dream[: int(0.5 * SAMPLE_RATE)]
    stream = _stream(silence(1.0), blip, silence(2.0), dream, silence(2.0))
    settings = SpeechSettings(min_length_s=1.0, trailing_silence_s=1.0)
    capture = capture_dream(ArraySource(stream), settings)
    assert capture.duration_s > 2.5


def test_a_stream_without_speech_captures_nothing():
    stream = _stream(silence(2.0), white_noise(2.0), cough(), silence(1.0))
    capture = capture_dream(ArraySource(stream))
    assert not capture.heard
    assert capture.reason == "end of stream"


def test_listen_hands_out_the_captured_audio_for_the_archive(tiny_en):
    dream = dream_audio("whale_city.wav")
    captures = []
    stream = _stream(silence(1.0), dream, silence(2.0))
    listen(ArraySource(stream), tiny_en, on_capture=captures.append)
    (capture,) = captures
    assert capture.reason == "trailing silence"
    assert abs(capture.duration_s - len(dream) / SAMPLE_RATE) < 0.9


def test_listening_to_nothing_is_nothing_heard(tiny_en):
    transcript = listen(ArraySource(_stream(silence(2.0), white_noise(2.0))), tiny_en)
    assert transcript.nothing_heard
    assert transcript.engine == "faster-whisper"


def test_speech_past_the_maximum_length_stops_the_capture_and_is_flagged():
    stream = _stream(silence(0.5), dream_audio("long_train.wav"), silence(2.0))
    capture = capture_dream(ArraySource(stream), SpeechSettings(max_length_s=3.0))
    assert capture.truncated
    assert capture.reason == "max length"
    assert capture.duration_s == pytest.approx(3.0, abs=0.05)


def test_truncated_capture_gives_a_truncated_transcript(tiny_en):
    stream = _stream(silence(0.5), dream_audio("long_train.wav"), silence(2.0))
    transcript = listen(ArraySource(stream), tiny_en, SpeechSettings(max_length_s=4.0))
    assert transcript.truncated
    assert not transcript.nothing_heard


def test_waiting_gives_up_after_the_listen_timeout():
    source = ArraySource(silence(5.0), realtime=True)
    capture = capture_dream(source, SpeechSettings(listen_timeout_s=0.3))
    assert capture.reason == "timeout"
    assert source.position < 2 * SAMPLE_RATE


def test_level_callback_reports_every_frame_with_its_level():
    dream = dream_audio("whale_city.wav")
    levels: list[tuple[float, bool]] = []
    capture_dream(
        ArraySource(_stream(silence(1.0), dream, silence(2.0))),
        SpeechSettings(trailing_silence_s=1.0),
        level_callback=lambda level, speaking: levels.append((level, speaking)),
    )
    quiet = [level for level, speaking in levels if not speaking]
    loud = [level for level, speaking in levels if speaking]
    assert len(loud) > 40
    assert min(quiet) <= -100 and np.median(loud) > -40


class _Button:
    """Presses and releases the talk button at given frame counts, like a visitor would."""

    def __init__(self, press_at: int, release_at: int) -> None:
        self.button = PushToTalk()
        self.frames = 0
        self.press_at, self.release_at = press_at, release_at

    def __call__(self, level: float, talking: bool) -> None:
        self.frames += 1
        if self.frames == self.press_at:
            self.button.press()
        elif self.frames == self.release_at:
            self.button.release()


def test_push_to_talk_records_exactly_while_the_button_is_held():
    stream = _stream(dream_audio("whale_city.wav"), silence(5.0))
    visitor = _Button(press_at=10, release_at=60)
    capture = capture_dream(
        ArraySource(stream), push_to_talk=visitor.button, level_callback=visitor
    )
    assert capture.reason == "released"
    assert len(capture.audio) == 50 * 512
    frame_10 = 10 * 512 - 512
    assert np.array_equal(capture.audio, stream[frame_10 : frame_10 + 50 * 512])


def test_push_to_talk_transcribes_what_was_said_while_held(tiny_en):
    dream = dream_audio("whale_city.wav")
    stream = _stream(silence(1.0), dream, silence(1.0), dream_audio("red_door.wav"))
    frames_before = int(0.8 * SAMPLE_RATE) // 512
    frames_dream = int(len(dream) + 0.5 * SAMPLE_RATE) // 512
    visitor = _Button(press_at=frames_before, release_at=frames_before + frames_dream)
    transcript = listen(
        ArraySource(stream), tiny_en, push_to_talk=visitor.button, level_callback=visitor
    )
    assert word_error_rate(WHALE, transcript.text) <= 0.25


def test_push_to_talk_is_cut_at_the_maximum_length():
    visitor = _Button(press_at=1, release_at=10_000)
    capture = capture_dream(
        ArraySource(silence(6.0)),
        SpeechSettings(max_length_s=2.0),
        push_to_talk=visitor.button,
        level_callback=visitor,
    )
    assert capture.truncated and capture.reason == "max length"
    assert capture.duration_s == pytest.approx(2.0, abs=0.05)


def test_a_tap_on_the_button_is_too_short_to_be_a_dream():
    visitor = _Button(press_at=5, release_at=8)
    capture = capture_dream(
        ArraySource(silence(3.0)), push_to_talk=visitor.button, level_callback=visitor
    )
    assert not capture.heard
    assert capture.reason.startswith("too short")


def test_push_source_fed_from_another_thread_like_a_microphone(tiny_en):
    source = PushSource()
    audio = _stream(silence(1.0), dream_audio("whale_city.wav"), silence(2.0))

    def feed() -> None:
        for start in range(0, len(audio), 480):  # 30 ms blocks, like an audio callback
            source.push(audio[start : start + 480])
        source.end()

    feeder = threading.Thread(target=feed)
    feeder.start()
    transcript = listen(source, tiny_en, SpeechSettings(trailing_silence_s=1.0))
    feeder.join()
    assert word_error_rate(WHALE, transcript.text) <= 0.25


def test_stop_event_ends_a_capture_with_nothing():
    stop = threading.Event()
    stop.set()
    capture = capture_dream(PushSource(), stop=stop)
    assert not capture.heard and capture.reason == "stopped"


def test_a_pause_hands_out_the_dream_before_the_trailing_silence_is_over():
    stream = _stream(silence(1.0), dream_audio("whale_city.wav"), silence(3.0))
    paused: list[np.ndarray] = []
    capture = capture_dream(
        ArraySource(stream), SpeechSettings(trailing_silence_s=1.2), on_pause=paused.append
    )
    assert paused
    assert np.array_equal(paused[-1], capture.audio)


def test_the_decode_started_at_the_final_pause_is_the_one_returned():
    engine = ScriptedEngine(Decoded([Segment(0.0, 2.0, "A red door.", -0.2, 0.1, 1.0)], "en"))
    stream = _stream(silence(0.5), dream_audio("red_door.wav"), silence(3.0))
    transcript = listen(ArraySource(stream), engine)
    assert transcript.text == "A red door."
    assert len(engine.calls) == 1


def test_push_to_talk_decodes_once_after_the_release():
    engine = ScriptedEngine(Decoded([Segment(0.0, 2.0, "A red door.", -0.2, 0.1, 1.0)], "en"))
    visitor = _Button(press_at=1, release_at=100)
    stream = _stream(dream_audio("red_door.wav"), silence(3.0))
    listen(ArraySource(stream), engine, push_to_talk=visitor.button, level_callback=visitor)
    assert len(engine.calls) == 1
