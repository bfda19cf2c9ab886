"""Audio helpers and voice activity: resampling, levels, the streaming Silero detector."""

from __future__ import annotations

import numpy as np
import pytest
from dreamdraw.speech import SAMPLE_RATE, SpeechError, VoiceActivity
from dreamdraw.speech.audio import as_mono_16k, level_dbfs
from dreamdraw.speech.vad import FRAME_SAMPLES, voiced_seconds

from tests.speech.speech_helpers import cough, dream_audio, silence, white_noise


def test_stereo_44k_becomes_mono_16k():
    t = np.arange(44_100) / 44_100
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    audio = as_mono_16k(np.stack([tone, tone], axis=1), 44_100)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) - SAMPLE_RATE) <= 1
    assert level_dbfs(audio) == pytest.approx(level_dbfs(tone), abs=0.2)


def test_integer_pcm_is_scaled_to_unit_range():
    audio = as_mono_16k(np.array([0, 16384, -32767], dtype=np.int16))
    assert audio.tolist() == pytest.approx([0.0, 0.5, -1.0], abs=1e-4)


def test_three_dimensional_audio_is_refused():
    with pytest.raises(SpeechError):
        as_mono_16k(np.zeros((2, 2, 2), dtype=np.float32))


def test_level_of_a_full_scale_sine_is_minus_three_dbfs():
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    assert level_dbfs(np.sin(2 * np.pi * 100 * t)) == pytest.approx(-3.01, abs=0.05)
    assert level_dbfs(silence(1.0)) == -120.0


def test_speech_is_voiced_for_most_of_a_spoken_dream():
    audio = dream_audio("whale_city.wav")
    assert voiced_seconds(audio) > 0.6 * len(audio) / SAMPLE_RATE


@pytest.mark.parametrize(
    "sound",
    [silence(2.0), white_noise(2.0), white_noise(2.0, rms=0.4), cough()],
    ids=["silence", "white-noise", "loud-white-noise", "cough"],
)
def test_silence_noise_and_a_cough_are_not_voiced(sound: np.ndarray):
    assert voiced_seconds(sound) < 0.2


def test_streaming_in_odd_blocks_gives_the_same_probabilities_as_one_call():
    audio = dream_audio("red_door.wav")[: 40 * FRAME_SAMPLES]
    whole = [f.probability for f in VoiceActivity().feed(audio)]
    detector = VoiceActivity()
    streamed = []
    for start in range(0, len(audio), 700):
        streamed += [f.probability for f in detector.feed(audio[start : start + 700])]
    assert streamed == pytest.approx(whole, abs=1e-5)


def test_energy_gate_silences_quiet_speech():
    quiet = dream_audio("whale_city.wav") * 10 ** (-60 / 20)
    assert voiced_seconds(quiet, energy_gate_dbfs=-50.0) == 0.0
