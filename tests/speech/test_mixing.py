"""Mixing at a signal-to-noise ratio, and the synthetic gallery sounds mixed under dreams."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dreamdraw.speech import SAMPLE_RATE, SpeechError
from dreamdraw.speech.audio import level_dbfs
from dreamdraw.speech.mixing import fade_edges, mix_at_snr, rms, scale_to_dbfs
from dreamdraw.speech.vad import voiced_seconds

from tests.speech.babble import babble, pink_noise, white_noise
from tests.speech.speech_helpers import dream_audio


def test_scaling_sets_the_rms_level():
    assert level_dbfs(scale_to_dbfs(white_noise(1.0), -32.0)) == pytest.approx(-32.0, abs=0.01)


@pytest.mark.parametrize("snr_db", [20.0, 10.0, 5.0, 0.0])
def test_mix_puts_the_noise_snr_db_below_the_speech_which_keeps_its_level(snr_db: float):
    speech = dream_audio("red_door.wav")
    noise = pink_noise(4.0, seed=2)
    mixed = mix_at_snr(speech, noise, snr_db, offset_s=0.5)
    start = SAMPLE_RATE // 2
    under = mixed[start : start + len(speech)] - speech
    assert 20 * np.log10(rms(speech) / rms(under)) == pytest.approx(snr_db, abs=0.01)
    assert len(mixed) == len(noise)


def test_noise_shorter_than_the_speech_is_refused():
    with pytest.raises(SpeechError, match="too short"):
        mix_at_snr(dream_audio("red_door.wav"), white_noise(1.0), 10.0)


def test_babble_is_the_same_for_a_seed_and_differs_between_seeds(babble_cache: Path):
    first = babble(3.0, seed=5, cache=babble_cache)
    assert np.array_equal(first, babble(3.0, seed=5, cache=babble_cache))
    assert not np.allclose(first, babble(3.0, seed=6, cache=babble_cache))


def test_babble_is_voice_almost_all_the_time_at_the_level_asked(babble_cache: Path):
    chatter = babble(6.0, seed=1, level_dbfs=-30.0, cache=babble_cache)
    assert len(chatter) == 6 * SAMPLE_RATE
    assert level_dbfs(chatter) == pytest.approx(-30.0, abs=0.01)
    assert voiced_seconds(chatter) > 4.5


def test_pink_noise_has_less_power_per_hertz_at_high_frequencies():
    noise = pink_noise(4.0)
    power = np.abs(np.fft.rfft(noise)) ** 2
    frequencies = np.fft.rfftfreq(len(noise), 1 / SAMPLE_RATE)
    low = power[(frequencies > 100) & (frequencies < 200)].mean()
    high = power[(frequencies > 3200) & (frequencies < 6400)].mean()
    assert 10 * np.log10(low / high) == pytest.approx(10 * np.log10(32), abs=2.0)


def test_fades_touch_only_the_edges_asked_for():
    noise = white_noise(1.0)
    faded = fade_edges(noise, 0.1, 0.0)
    assert faded[0] == 0.0
    assert np.array_equal(faded[1600:], noise[1600:])
    assert np.array_equal(fade_edges(noise, 0.0, 0.0), noise)
